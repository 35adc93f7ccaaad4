using System.CommandLine;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SqliteQueue.Monitoring;

namespace SqliteQueue.CommandLine.Internal;

/// <summary>Where a command's queue comes from: a file named on the command line (the tool), or the application's own host.</summary>
internal abstract class QueueSource
{
    /// <summary>Adds the options this source reads to the root command.</summary>
    public virtual void AddOptions(RootCommand root)
    {
    }

    /// <summary>
    /// Opens the queue for one command. The file must exist and hold queue tables of this library's schema version:
    /// a file of an older version is migrated only by <c>db migrate</c> (<paramref name="migrate"/>), so a command
    /// never changes the schema under applications of the older version that still use the file.
    /// </summary>
    public async Task<OpenedQueue> OpenAsync(ParseResult result, bool migrate, CancellationToken cancellationToken)
    {
        var opened = Open(result);
        try
        {
            await CheckAsync(opened, migrate, cancellationToken).ConfigureAwait(false);
            return opened;
        }
        catch
        {
            await opened.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected abstract OpenedQueue Open(ParseResult result);

    private static async Task CheckAsync(OpenedQueue opened, bool migrate, CancellationToken cancellationToken)
    {
        var path = opened.Path;
        if (path is not null && !File.Exists(path))
        {
            if (migrate)
            {
                return;
            }

            throw CommandFailure.Error($"There is no queue file at '{path}'. Check the path, or create the file with `db migrate`.");
        }

        var report = await opened.Queue.Monitor.CheckHealthAsync(null, cancellationToken).ConfigureAwait(false);
        if (report.Data.TryGetValue(QueueHealthFigures.StoreReachable, out var reachable) && reachable is false)
        {
            throw CommandFailure.Error($"The queue file '{opened.Name}' cannot be read: {report.Data[QueueHealthFigures.StoreError]}");
        }

        var version = Convert.ToInt64(report.Data[QueueHealthFigures.SchemaVersion], System.Globalization.CultureInfo.InvariantCulture);
        var expected = Convert.ToInt64(report.Data[QueueHealthFigures.SchemaVersionExpected], System.Globalization.CultureInfo.InvariantCulture);
        if (version > expected)
        {
            throw CommandFailure.Error($"The queue tables in '{opened.Name}' (prefix '{opened.Prefix}') are at schema version {version}, newer than this version's {expected}: use the SqliteQueue version that wrote them.");
        }

        if (version < expected && !migrate)
        {
            throw CommandFailure.Error(version == 0
                ? $"The file '{opened.Name}' holds no queue tables with the prefix '{opened.Prefix}'. Check --prefix, or create them with `db migrate`."
                : $"The queue tables in '{opened.Name}' (prefix '{opened.Prefix}') are at schema version {version}, and this version needs {expected}. Upgrade the applications that use the file, then run `db migrate`.");
        }
    }

    /// <summary>The database file a connection string names, or null for an in-memory database.</summary>
    protected static string? FilePath(string connectionString)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString);
        return builder.Mode == SqliteOpenMode.Memory || builder.DataSource is "" or ":memory:"
            ? null
            : Path.GetFullPath(builder.DataSource);
    }
}

/// <summary>A queue opened for one command, and what must be disposed with it.</summary>
internal sealed class OpenedQueue(SqliteJobQueue queue, string? path, string prefix, IAsyncDisposable owner) : IAsyncDisposable
{
    public SqliteJobQueue Queue { get; } = queue;

    /// <summary>The database file, or null in memory.</summary>
    public string? Path { get; } = path;

    public string Prefix { get; } = prefix;

    public string Name => Path ?? ":memory:";

    public ValueTask DisposeAsync() => owner.DisposeAsync();
}

/// <summary>The tool's source: the file given by <c>--db</c> (or <c>SQLITEQUEUE_DB</c>) and the tables' <c>--prefix</c>.</summary>
internal sealed class FileQueueSource : QueueSource
{
    private readonly Option<string> _db = new("--db")
    {
        Description = $"The queue file. The default is the {SqliteQueueCommandLine.DatabaseVariable} environment variable.",
        Recursive = true,
        HelpName = "path",
    };

    private readonly Option<string> _prefix = new("--prefix")
    {
        Description = $"The prefix of the queue's table names. The default is the {SqliteQueueCommandLine.PrefixVariable} environment variable, else 'queue_'.",
        Recursive = true,
        HelpName = "prefix",
    };

    public override void AddOptions(RootCommand root)
    {
        root.Options.Add(_db);
        root.Options.Add(_prefix);
    }

    protected override OpenedQueue Open(ParseResult result)
    {
        var path = result.GetValue(_db) ?? Environment.GetEnvironmentVariable(SqliteQueueCommandLine.DatabaseVariable);
        if (string.IsNullOrWhiteSpace(path))
        {
            throw CommandFailure.Usage($"Which queue file? Pass --db <path>, or set {SqliteQueueCommandLine.DatabaseVariable}.");
        }

        var options = new SqliteQueueOptions
        {
            ConnectionString = new SqliteConnectionStringBuilder { DataSource = path }.ToString(),
            TablePrefix = result.GetValue(_prefix) ?? Environment.GetEnvironmentVariable(SqliteQueueCommandLine.PrefixVariable) ?? new SqliteQueueOptions().TablePrefix,
        };
        SqliteJobQueue queue;
        try
        {
            queue = new SqliteJobQueue(options);
        }
        catch (OptionsValidationException ex)
        {
            throw CommandFailure.Usage(ex.Message);
        }

        return new OpenedQueue(queue, Path.GetFullPath(path), options.TablePrefix, queue);
    }
}

/// <summary>The application's source: the queue its host registers with <c>AddSqliteQueue</c>, built but not started.</summary>
internal sealed class HostQueueSource(HostApplicationBuilder builder) : QueueSource
{
    public HostApplicationBuilder Builder => builder;

    protected override OpenedQueue Open(ParseResult result)
    {
        var host = builder.Build();
        try
        {
            var queue = host.Services.GetService<SqliteJobQueue>()
                ?? throw CommandFailure.Error("This application registers no queue: call services.AddSqliteQueue(...) on the builder.");
            var options = host.Services.GetRequiredService<IOptions<SqliteQueueOptions>>().Value;
            return new OpenedQueue(queue, FilePath(options.ConnectionString), options.TablePrefix, new HostDisposer(host));
        }
        catch
        {
            host.Dispose();
            throw;
        }
    }

    private sealed class HostDisposer(IHost host) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            host.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
