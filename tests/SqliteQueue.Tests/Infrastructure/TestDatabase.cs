using Microsoft.Data.Sqlite;
using SqliteQueue.Scheduling;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>A queue over a fresh temporary file, deleted with its WAL files on dispose.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly List<SqliteJobQueue> _queues = [];

    public TestDatabase(ManualTimeProvider? time = null, Action<SqliteQueueOptions>? configure = null)
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "sqlitequeue-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "jobs.db");
        Time = time ?? new ManualTimeProvider();
        Configure = configure;
        Queue = Open();
    }

    public string Directory { get; }

    public string Path { get; }

    public ManualTimeProvider Time { get; }

    public Action<SqliteQueueOptions>? Configure { get; }

    public SqliteJobQueue Queue { get; }

    public IQueueClient Client => Queue.Client;

    public string ConnectionString => $"Data Source={Path}";

    public SqliteQueueOptions Options()
    {
        var options = new SqliteQueueOptions { ConnectionString = ConnectionString };
        Configure?.Invoke(options);
        return options;
    }

    /// <summary>Another store over the same file, as a second process would have.</summary>
    public SqliteJobQueue Open(TimeProvider? time = null)
    {
        var queue = new SqliteJobQueue(Options(), time ?? Time);
        _queues.Add(queue);
        return queue;
    }

    public IWorker Worker(ISchedulingStrategy? strategy = null, TimeSpan? lease = null, string? id = null, IReadOnlyList<string>? queues = null) =>
        Queue.Create(new WorkerOptions
        {
            Strategy = strategy,
            LeaseDuration = lease,
            WorkerId = id,
            Queues = queues ?? [QueueNames.Default],
        });

    /// <summary>A raw connection for checking what the file holds.</summary>
    public SqliteConnection Raw()
    {
        var connection = new SqliteConnection(ConnectionString + ";Pooling=False");
        connection.Open();
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var queue in _queues)
        {
            await queue.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open only leaks a temp folder; it must not fail the test.
        }
    }
}
