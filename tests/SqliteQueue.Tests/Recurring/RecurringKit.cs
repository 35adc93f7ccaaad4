using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Recurring;

/// <summary>A queue file on a manual clock, with helpers to tick its scheduler and read what it fired.</summary>
public sealed class RecurringKit : IAsyncDisposable
{
    /// <summary>Tuesday 1 January 2030, midnight UTC.</summary>
    public static readonly DateTimeOffset Start = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public RecurringKit(DateTimeOffset? start = null, LogCapture? logs = null)
    {
        Db = new TestDatabase(new ManualTimeProvider(start ?? Start));
        Logs = logs;
        Queue = logs is null ? Db.Queue : new SqliteJobQueue(Db.Options(), Db.Time, logs);
    }

    public TestDatabase Db { get; }

    public LogCapture? Logs { get; }

    public SqliteJobQueue Queue { get; }

    public ManualTimeProvider Time => Db.Time;

    public IRecurringJobs Recurring => Queue.Recurring;

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>Runs one tick of <paramref name="queue"/>'s scheduler (this kit's by default) at the current time.</summary>
    internal async Task TickAsync(SqliteJobQueue? queue = null) => await (queue ?? Queue).Scheduler.TickAsync(CancellationToken.None);

    /// <summary>Moves the clock to <paramref name="at"/> and ticks there.</summary>
    internal async Task TickAtAsync(DateTimeOffset at, SqliteJobQueue? queue = null)
    {
        Time.Advance(at - Now);
        await TickAsync(queue);
    }

    /// <summary>Moves the clock in <paramref name="step"/> steps up to <paramref name="until"/>, ticking after each.</summary>
    internal async Task TickThroughAsync(DateTimeOffset until, TimeSpan step)
    {
        while (Now + step <= until)
        {
            Time.Advance(step);
            await TickAsync();
        }
    }

    /// <summary>The occurrences of a schedule's jobs, by scheduled time (null for manual triggers), ordered.</summary>
    public List<(long Id, DateTimeOffset? ScheduledFor, string State)> Jobs(string name)
    {
        using var c = Db.Raw();
        using var command = c.CreateCommand();
        command.CommandText = "SELECT id, occurrence_at, state FROM queue_jobs WHERE recurring_name = $name ORDER BY id";
        command.Parameters.AddWithValue("$name", name);
        using var reader = command.ExecuteReader();
        var list = new List<(long, DateTimeOffset?, string)>();
        while (reader.Read())
        {
            list.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)), reader.GetString(2)));
        }

        return list;
    }

    public void Sql(string sql)
    {
        using var c = Db.Raw();
        SqlCommands.Execute(c, sql);
    }

    public async ValueTask DisposeAsync()
    {
        if (!ReferenceEquals(Queue, Db.Queue))
        {
            await Queue.DisposeAsync();
        }

        await Db.DisposeAsync();
    }
}
