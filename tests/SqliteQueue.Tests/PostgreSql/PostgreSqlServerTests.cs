using System.Globalization;
using Npgsql;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.PostgreSql;

/// <summary>
/// The test server itself: that it runs, as scripts/postgres.sh set it up, and that the schemas tests isolate
/// themselves in come and go. A missing server fails here first, with the message that says how to start it.
/// </summary>
public sealed class PostgreSqlServerTests
{
    [Fact]
    public async Task The_server_answers_as_the_test_role_in_the_test_database()
    {
        await using var connection = await PostgreSqlServer.OpenAsync();

        (await Scalar(connection, "SELECT current_user")).Should().Be("sqlitequeue");
        (await Scalar(connection, "SELECT current_database()")).Should().Be("sqlitequeue_test");
    }

    [Fact]
    public async Task The_server_keeps_fsync_on_and_is_version_13_or_later()
    {
        await using var connection = await PostgreSqlServer.OpenAsync();

        // Durability results mean nothing from a server that does not flush its writes.
        (await Scalar(connection, "SHOW fsync")).Should().Be("on");
        var version = (string)(await Scalar(connection, "SHOW server_version"))!;
        var major = int.Parse(version.Split('.', ' ')[0], CultureInfo.InvariantCulture);
        major.Should().BeGreaterThanOrEqualTo(13, $"the server reports version {version}");
    }

    [Fact]
    public async Task A_schema_is_created_on_construction_and_dropped_on_dispose()
    {
        await using var connection = await PostgreSqlServer.OpenAsync();
        string name;

        await using (var schema = new PostgreSqlSchema())
        {
            name = schema.Name;
            name.Should().MatchRegex("^sq_test_[0-9a-f]+$");
            (await SchemaExists(connection, name)).Should().BeTrue();

            await using var inSchema = await PostgreSqlServer.OpenAsync(schema.ConnectionString);
            await using (var create = new NpgsqlCommand("CREATE TABLE probe (id int)", inSchema))
            {
                await create.ExecuteNonQueryAsync();
            }

            (await Scalar(connection, $"SELECT count(*) FROM information_schema.tables WHERE table_schema = '{name}' AND table_name = 'probe'"))
                .Should().Be(1L, "the schema's connection string puts it first on the search path");
        }

        (await SchemaExists(connection, name)).Should().BeFalse("dispose drops the schema with the table in it");
    }

    private static async Task<object?> Scalar(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    private static async Task<bool> SchemaExists(NpgsqlConnection connection, string name)
    {
        await using var command = new NpgsqlCommand("SELECT count(*) FROM information_schema.schemata WHERE schema_name = @name", connection);
        command.Parameters.AddWithValue("name", name);
        return (long)(await command.ExecuteScalarAsync())! == 1;
    }
}
