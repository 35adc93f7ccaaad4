using SqliteQueue.PostgreSql;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Conformance;

/// <summary>
/// One kind of store the conformance suites run against. Each <see cref="CreateStoreAsync"/> call makes a fresh,
/// empty store that lives until the kind is disposed, so tests never see each other's jobs.
/// </summary>
public abstract class StoreKind : IAsyncDisposable
{
    public abstract string Name { get; }

    /// <summary>
    /// Makes a fresh, empty store and returns how to point options at it. An action rather than an options object,
    /// because a host builds its own options inside <c>AddSqliteQueue</c> and an add-on store's choice
    /// (<c>UsePostgreSql</c>) cannot be copied from one options object to another through the public API.
    /// </summary>
    public abstract Task<Action<SqliteQueueOptions>> CreateStoreAsync();

    public async Task<SqliteQueueOptions> CreateOptionsAsync()
    {
        var pointAtStore = await CreateStoreAsync();
        var options = new SqliteQueueOptions();
        pointAtStore(options);
        return options;
    }

    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    public override string ToString() => Name;
}

public sealed class SqliteFileStore : StoreKind
{
    private readonly List<TestDatabase> _databases = [];

    public override string Name => "sqlite-file";

    public override Task<Action<SqliteQueueOptions>> CreateStoreAsync()
    {
        var db = new TestDatabase();
        _databases.Add(db);
        var connectionString = db.ConnectionString;
        return Task.FromResult<Action<SqliteQueueOptions>>(o => o.ConnectionString = connectionString);
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var db in _databases)
        {
            await db.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

public sealed class SqliteMemoryStore : StoreKind
{
    public override string Name => "sqlite-memory";

    // The database lives as long as a connection to it is open, so the queue that uses it is its owner and
    // there is nothing to remove afterwards.
    public override Task<Action<SqliteQueueOptions>> CreateStoreAsync()
    {
        var connectionString = $"Data Source=conformance-{Guid.NewGuid():N};Mode=Memory;Cache=Shared";
        return Task.FromResult<Action<SqliteQueueOptions>>(o => o.ConnectionString = connectionString);
    }
}

/// <summary>
/// The PostgreSQL store on the private test server (scripts/postgres.sh): each store is a fresh schema, created by the
/// store's own migration and dropped with everything in it when the kind is disposed. Without a server the tests fail,
/// never skip, so a green run cannot hide an untested store.
/// </summary>
public class PostgreSqlStore : StoreKind
{
    private readonly List<PostgreSqlSchema> _schemas = [];

    public override string Name => "postgresql";

    /// <summary>Whether the store wakes workers with LISTEN/NOTIFY, or only polls (as behind a transaction pooler).</summary>
    protected virtual bool Notifications => true;

    public override Task<Action<SqliteQueueOptions>> CreateStoreAsync()
    {
        var schema = new PostgreSqlSchema();
        _schemas.Add(schema);
        var name = schema.Name;
        var notifications = Notifications;
        return Task.FromResult<Action<SqliteQueueOptions>>(o => o.UsePostgreSql(PostgreSqlServer.ConnectionString, p =>
        {
            p.Schema = name;
            p.Notifications = notifications;
        }));
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var schema in _schemas)
        {
            await schema.DisposeAsync();
        }

        GC.SuppressFinalize(this);
        await base.DisposeAsync();
    }
}

/// <summary>PostgreSQL with notifications off, as behind PgBouncer in transaction mode: every wake-up comes from polling.</summary>
public sealed class PostgreSqlPollOnlyStore : PostgreSqlStore
{
    public override string Name => "postgresql-poll-only";

    protected override bool Notifications => false;
}
