using Npgsql;
using NpgsqlTypes;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>Parameters bound with their type, so a null needs no cast in the statement and "@x IS NULL" is well typed.</summary>
internal static class Params
{
    public static NpgsqlParameter Bigint(string name, long? value) => Typed(name, NpgsqlDbType.Bigint, value);

    public static NpgsqlParameter Integer(string name, int? value) => Typed(name, NpgsqlDbType.Integer, value);

    public static NpgsqlParameter Text(string name, string? value) => Typed(name, NpgsqlDbType.Text, value);

    public static NpgsqlParameter Boolean(string name, bool value) => Typed(name, NpgsqlDbType.Boolean, value);

    public static NpgsqlParameter BigintArray(string name, long[] values) => Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint, values);

    public static NpgsqlParameter NullableBigintArray(string name, long?[] values) => Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Bigint, values);

    public static NpgsqlParameter IntegerArray(string name, int[] values) => Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Integer, values);

    public static NpgsqlParameter TextArray(string name, string?[] values) => Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values);

    public static NpgsqlParameter TextArray(string name, IReadOnlyList<string> values) => Typed(name, NpgsqlDbType.Array | NpgsqlDbType.Text, values.ToArray());

    private static NpgsqlParameter Typed(string name, NpgsqlDbType type, object? value) =>
        new(name, type) { Value = value ?? DBNull.Value };

    public static NpgsqlCommand With(this NpgsqlCommand command, params ReadOnlySpan<NpgsqlParameter> parameters)
    {
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(parameter);
        }

        return command;
    }
}
