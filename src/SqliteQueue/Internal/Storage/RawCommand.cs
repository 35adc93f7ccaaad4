using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace SqliteQueue.Internal.Storage;

/// <summary>
/// A hot statement (or a short sequence of statements) prepared once on the writer and run through SQLite's C API.
/// Microsoft.Data.Sqlite looks every parameter up by name, converting the name to UTF-8, on every execution; for
/// the queue's hot paths that costs as much as the statement itself. Here the parameter positions are resolved once
/// and text is bound as UTF-16 without copies, or as UTF-8 bytes the caller already holds (a payload serialized
/// straight to UTF-8 is then never a string). It runs inside the writer's current transaction like any command.
/// </summary>
internal sealed class RawCommand : IDisposable
{
    private const int SqliteRow = 100;
    private const int SqliteDone = 101;

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt[] _statements;
    private readonly Dictionary<string, int> _slots = new(StringComparer.Ordinal);
    private readonly int[][] _positions; // per slot, per statement: the 1-based position, or 0 when absent
    private readonly long[] _longs;
    private readonly string?[] _texts;
    private readonly byte[]?[] _utf8; // for kind 3: the bytes, of which the first _longs[slot] are the text
    private readonly byte[] _kinds; // 0 null, 1 integer, 2 text, 3 UTF-8 text
    private int _changes;
    private bool _reading;

    public RawCommand(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        var statements = new List<sqlite3_stmt>();
        ReadOnlySpan<byte> rest = Encoding.UTF8.GetBytes(sql);
        while (true)
        {
            var rc = raw.sqlite3_prepare_v2(_db, rest, out var statement, out var tail);
            Check(rc);
            if (statement is null || statement.IsInvalid)
            {
                break;
            }

            statements.Add(statement);
            rest = tail;
            if (rest.IsEmpty)
            {
                break;
            }
        }

        _statements = [.. statements];
        var names = new List<string>();
        foreach (var statement in _statements)
        {
            var count = raw.sqlite3_bind_parameter_count(statement);
            for (var i = 1; i <= count; i++)
            {
                var name = raw.sqlite3_bind_parameter_name(statement, i).utf8_to_string();
                if (!_slots.ContainsKey(name))
                {
                    _slots[name] = names.Count;
                    names.Add(name);
                }
            }
        }

        _positions = new int[names.Count][];
        for (var slot = 0; slot < names.Count; slot++)
        {
            _positions[slot] = _statements.Select(s => raw.sqlite3_bind_parameter_index(s, names[slot])).ToArray();
        }

        _longs = new long[names.Count];
        _texts = new string?[names.Count];
        _utf8 = new byte[]?[names.Count];
        _kinds = new byte[names.Count];
    }

    /// <summary>The slot of a parameter, for callers that set it often.</summary>
    public int Slot(string name) => _slots.TryGetValue(name, out var slot)
        ? slot
        : throw new ArgumentException($"The statement has no parameter {name}.", nameof(name));

    public void Set(string name, long value) => Set(Slot(name), value);

    public void Set(string name, string? value) => Set(Slot(name), value);

    public void Set(int slot, long value)
    {
        _longs[slot] = value;
        _kinds[slot] = 1;
    }

    public void Set(int slot, long? value)
    {
        if (value is { } v)
        {
            Set(slot, v);
        }
        else
        {
            _kinds[slot] = 0;
        }
    }

    public void Set(int slot, string? value)
    {
        _texts[slot] = value;
        _utf8[slot] = null;
        _kinds[slot] = value is null ? (byte)0 : (byte)2;
    }

    /// <summary>
    /// Sets text given as its UTF-8 bytes: the first <paramref name="length"/> of <paramref name="utf8"/>. The array is
    /// read when the statement runs, not now: it must hold the text until then, and is let go at <see cref="Finish"/>.
    /// </summary>
    public void SetUtf8(int slot, byte[] utf8, int length)
    {
        _utf8[slot] = utf8;
        _longs[slot] = length;
        _texts[slot] = null;
        _kinds[slot] = 3;
    }

    /// <summary>Binds the values and runs every statement but the last to completion; then read the last one's rows with <see cref="Read"/>.</summary>
    public void Start()
    {
        _changes = 0;
        for (var s = 0; s < _statements.Length; s++)
        {
            Bind(s);
        }

        for (var s = 0; s < _statements.Length - 1; s++)
        {
            while (Step(_statements[s], s))
            {
            }
        }

        _reading = true;
    }

    public bool Read() => _reading && Step(_statements[^1], _statements.Length - 1);

    public long Int64(int column) => raw.sqlite3_column_int64(_statements[^1], column);

    public int Int32(int column) => raw.sqlite3_column_int(_statements[^1], column);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statements[^1], column) == raw.SQLITE_NULL;

    public string Text(int column) => raw.sqlite3_column_text(_statements[^1], column).utf8_to_string();

    /// <summary>Resets the statements for their next run; returns the rows changed by this run.</summary>
    public int Finish()
    {
        _reading = false;
        foreach (var statement in _statements)
        {
            raw.sqlite3_reset(statement);
        }

        // SQLite copied the bytes when they were bound: a buffer the caller reuses is neither kept alive nor read again.
        for (var slot = 0; slot < _kinds.Length; slot++)
        {
            if (_kinds[slot] == 3)
            {
                _utf8[slot] = null;
                _kinds[slot] = 0;
            }
        }

        return _changes;
    }

    public int ExecuteNonQuery()
    {
        try
        {
            Start();
            while (Read())
            {
            }
        }
        finally
        {
            Finish();
        }

        return _changes;
    }

    public long? ExecuteScalarInt64()
    {
        try
        {
            Start();
            return Read() && !IsNull(0) ? Int64(0) : null;
        }
        finally
        {
            Finish();
        }
    }

    private void Bind(int statement)
    {
        var stmt = _statements[statement];
        for (var slot = 0; slot < _positions.Length; slot++)
        {
            var position = _positions[slot][statement];
            if (position == 0)
            {
                continue;
            }

            var rc = _kinds[slot] switch
            {
                1 => raw.sqlite3_bind_int64(stmt, position, _longs[slot]),
                2 => raw.sqlite3_bind_text16(stmt, position, _texts[slot].AsSpan()),
                3 => raw.sqlite3_bind_text(stmt, position, _utf8[slot].AsSpan(0, (int)_longs[slot])),
                _ => raw.sqlite3_bind_null(stmt, position),
            };
            Check(rc);
        }
    }

    private bool Step(sqlite3_stmt statement, int index)
    {
        var rc = raw.sqlite3_step(statement);
        if (rc == SqliteRow)
        {
            return true;
        }

        if (rc == SqliteDone)
        {
            if (raw.sqlite3_stmt_readonly(statement) == 0)
            {
                _changes += raw.sqlite3_changes(_db);
            }

            return false;
        }

        _ = index;
        raw.sqlite3_reset(statement);
        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }

    public void Dispose()
    {
        foreach (var statement in _statements)
        {
            statement.Dispose();
        }
    }
}
