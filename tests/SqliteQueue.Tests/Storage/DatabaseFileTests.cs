using System.Reflection;
using System.Text;
using Microsoft.Data.Sqlite;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;

namespace SqliteQueue.Tests.Storage;

public sealed class DatabaseFileTests
{
    private static readonly string[] SideFiles = ["-wal", "-shm", "-journal"];

    [Theory]
    [InlineData(20)]
    [InlineData(4096)]
    [InlineData(100_000)]
    public async Task InitializeAsync_refuses_a_file_that_is_not_SQLite_and_leaves_it_unchanged(int size)
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "notes.txt");
        var text = new StringBuilder();
        while (text.Length < size)
        {
            text.Append("These are my notes, not a database. Do not overwrite them!\n");
        }

        var original = Encoding.UTF8.GetBytes(text.ToString(0, size));
        await File.WriteAllBytesAsync(path, original);

        await using (var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={path}" }, db.Time))
        {
            (await queue.Invoking(q => q.InitializeAsync()).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(path, size));
            (await queue.Client.Invoking(c => c.EnqueueJsonAsync("t", "{}")).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(path, size));
            (await queue.Client.Invoking(c => c.GetJobAsync(1)).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(path, size));
            await queue.Create().Invoking(w => w.ClaimAsync()).Should().ThrowAsync<IncompatibleDatabaseException>();
        }

        SqliteConnection.ClearAllPools();
        (await File.ReadAllBytesAsync(path)).Should().Equal(original);
        AssertNoSideFiles(path);
    }

    public static TheoryData<string, byte[]> ShortFiles => new()
    {
        { "one newline", [0x0A] },
        { "one NUL", [0x00] },
        { "one letter", "S"u8.ToArray() },
        { "two bytes", "hi"u8.ToArray() },
        { "fifteen bytes", "my notes, kept!"u8.ToArray() },
        { "the header without its NUL", "SQLite format 3"u8.ToArray() },
        { "a wrong header", "SQLite format 4\0 and then some text"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(ShortFiles))]
    public async Task InitializeAsync_refuses_a_short_file_that_is_not_SQLite_and_leaves_it_unchanged(string what, byte[] original)
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "jobs.db");
        await File.WriteAllBytesAsync(path, original);

        await using (var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={path}" }, db.Time))
        {
            (await queue.Invoking(q => q.InitializeAsync()).Should().ThrowAsync<IncompatibleDatabaseException>(what))
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(path, original.Length));
            (await queue.Client.Invoking(c => c.EnqueueJsonAsync("t", "{}")).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(path, original.Length));
        }

        SqliteConnection.ClearAllPools();
        (await File.ReadAllBytesAsync(path)).Should().Equal(original, what);
        AssertNoSideFiles(path);
    }

    [Fact]
    public async Task InitializeAsync_refuses_a_one_byte_file_named_by_a_URI_filename()
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "uri.db");
        await File.WriteAllBytesAsync(path, [0x0A]);
        var dataSource = "file:" + path + "?cache=private";

        await using (var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={dataSource}" }, db.Time))
        {
            (await queue.Invoking(q => q.InitializeAsync()).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.NotADatabaseHeader(dataSource, 1));
        }

        SqliteConnection.ClearAllPools();
        (await File.ReadAllBytesAsync(path)).Should().Equal([(byte)0x0A]);
        AssertNoSideFiles(path);
    }

    [Fact]
    public async Task InitializeAsync_takes_an_empty_file_as_a_new_database()
    {
        await using var db = new TestDatabase();
        await File.WriteAllBytesAsync(db.Path, []);

        var id = await db.Client.EnqueueJsonAsync("t", "{}");

        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        using var connection = db.Raw();
        Scalar(connection, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
        Scalar(connection, "PRAGMA journal_mode;").Should().Be("wal");
    }

    [Fact]
    public async Task An_in_memory_queue_does_not_look_at_a_file_of_the_same_name()
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "memory-name");
        await File.WriteAllBytesAsync(path, [0x0A]);

        await using (var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={path};Mode=Memory;Cache=Shared" }, db.Time))
        {
            var id = await queue.Client.EnqueueJsonAsync("t", "{}");
            (await queue.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        }

        (await File.ReadAllBytesAsync(path)).Should().Equal([(byte)0x0A]);
    }

    [Fact]
    public async Task InitializeAsync_refuses_a_file_with_a_newer_schema_and_leaves_it_unchanged()
    {
        await using var db = new TestDatabase();
        var path = Path.Combine(db.Directory, "newer.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = """
                CREATE TABLE app_settings (name TEXT PRIMARY KEY, value TEXT);
                INSERT INTO app_settings VALUES ('theme', 'dark');
                PRAGMA user_version = 99;
                """;
            command.ExecuteNonQuery();
        }

        var original = await File.ReadAllBytesAsync(path);
        await using (var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={path}" }, db.Time))
        {
            (await queue.Invoking(q => q.InitializeAsync()).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.SchemaTooNew(path, 99, Migrator.LatestVersion));
            (await queue.Client.Invoking(c => c.EnqueueJsonAsync("t", "{}")).Should().ThrowAsync<IncompatibleDatabaseException>())
                .Which.Message.Should().Be(Errors.SchemaTooNew(path, 99, Migrator.LatestVersion));
            await queue.Client.Invoking(c => c.ListJobsAsync(new JobQuery())).Should().ThrowAsync<IncompatibleDatabaseException>();
        }

        SqliteConnection.ClearAllPools();
        (await File.ReadAllBytesAsync(path)).Should().Equal(original);
        AssertNoSideFiles(path);
        using var check = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        check.Open();
        Scalar(check, "PRAGMA user_version;").Should().Be(99L);
        Scalar(check, "PRAGMA journal_mode;").Should().Be("delete");
        Scalar(check, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'queue%';").Should().Be(0L);
    }

    [Fact]
    public async Task InitializeAsync_gives_a_new_file_the_latest_schema_version_and_WAL()
    {
        await using var db = new TestDatabase();
        File.Exists(db.Path).Should().BeFalse("nothing touches the file before first use");
        await db.Queue.InitializeAsync();
        await db.Queue.InitializeAsync();

        using var connection = db.Raw();
        Scalar(connection, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
        Migrator.LatestVersion.Should().Be(5);
        Scalar(connection, "PRAGMA journal_mode;").Should().Be("wal");
        Scalar(connection, "PRAGMA auto_vacuum;").Should().Be(2L, "a new file gives free pages back incrementally");
        Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('queue_jobs', 'queue_executions', 'queue_recurring', 'queue_recurring_log', 'queue_counts', 'queue_leases', 'queue_maintenance_runs', 'queue_workers', 'queue_throughput');").Should().Be(9L);
        Scalar(connection, "PRAGMA integrity_check;").Should().Be("ok");
    }

    [Fact]
    public async Task InitializeAsync_adds_the_queue_beside_the_host_application_tables()
    {
        await using var db = new TestDatabase();
        using (var connection = db.Raw())
        {
            Execute(connection, "CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders (total) VALUES (9.5), (12);");
        }

        var id = await db.Client.EnqueueJsonAsync("t", "{}");
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Pending);
        using var check = db.Raw();
        Scalar(check, "SELECT count(*) FROM orders;").Should().Be(2L);
        Scalar(check, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
    }

    [Fact]
    public async Task Two_table_prefixes_in_one_file_keep_their_jobs_apart()
    {
        await using var db = new TestDatabase();
        var other = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = db.ConnectionString, TablePrefix = "other_" }, db.Time);
        await using (other)
        {
            var a1 = await db.Client.EnqueueJsonAsync("t", "\"queue-1\"");
            var a2 = await db.Client.EnqueueJsonAsync("t", "\"queue-2\"");
            var b1 = await other.Client.EnqueueJsonAsync("t", "\"other-1\"", new EnqueueOptions { DeduplicationKey = "k" });
            (await db.Client.EnqueueJsonAsync("t", "\"queue-3\"", new EnqueueOptions { DeduplicationKey = "k" })).Should().NotBe(a2, "keys are per prefix");

            (await db.Client.ListJobsAsync(new JobQuery())).Jobs.Select(j => j.PayloadJson).Should().Equal("\"queue-1\"", "\"queue-2\"", "\"queue-3\"");
            (await other.Client.ListJobsAsync(new JobQuery())).Jobs.Select(j => j.PayloadJson).Should().Equal("\"other-1\"");
            (await db.Client.GetStatsAsync()).For(QueueNames.Default).Pending.Should().Be(3);
            (await other.Client.GetStatsAsync()).For(QueueNames.Default).Pending.Should().Be(1);

            var otherWorker = other.Create();
            var claimed = (await otherWorker.ClaimAsync(10)).Should().ContainSingle().Subject;
            claimed.Id.Should().Be(b1);
            claimed.PayloadJson.Should().Be("\"other-1\"");
            (await otherWorker.CompleteAsync(claimed)).Should().BeTrue();
            (await other.Client.GetJobAsync(b1))!.State.Should().Be(JobState.Completed);
            (await db.Client.GetJobAsync(a1))!.State.Should().Be(JobState.Pending, "job ids restart per prefix, and the other prefix's completion must not touch this one");
            (await db.Client.CancelAsync(a1)).Should().Be(CancelResult.Cancelled);
            (await other.Client.GetJobAsync(b1))!.State.Should().Be(JobState.Completed);
            (await db.Worker().ClaimAsync(10)).Should().HaveCount(2);
        }

        using var connection = db.Raw();
        Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('queue_jobs', 'queue_executions', 'other_jobs', 'other_executions');").Should().Be(4L);
        Scalar(connection, "SELECT count(*) FROM queue_jobs;").Should().Be(3L);
        Scalar(connection, "SELECT count(*) FROM other_jobs;").Should().Be(1L);
        Scalar(connection, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
    }

    [Fact]
    public async Task Reopening_a_file_keeps_its_jobs_and_history()
    {
        await using var db = new TestDatabase();
        var done = await db.Client.EnqueueJsonAsync("t", "\"done\"");
        var waiting = await db.Client.EnqueueJsonAsync("t", "\"waiting\"", new EnqueueOptions { Priority = 7, DeduplicationKey = "key" });
        var later = await db.Client.EnqueueJsonAsync("t", "\"later\"", new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        var worker = db.Worker();
        var first = (await worker.ClaimAsync()).Single();
        first.Id.Should().Be(done);
        await worker.CompleteAsync(first);
        var before = await db.Client.ListJobsAsync(new JobQuery());
        await db.Queue.DisposeAsync();
        SqliteConnection.ClearAllPools();

        var reopened = db.Open();
        (await reopened.Client.ListJobsAsync(new JobQuery())).Jobs.Should().BeEquivalentTo(before.Jobs);
        (await reopened.Client.GetExecutionsAsync(done)).Should().ContainSingle().Which.Outcome.Should().Be(ExecutionOutcome.Completed);
        (await reopened.Client.EnqueueJsonAsync("t", "{}", new EnqueueOptions { DeduplicationKey = "key" })).Should().Be(waiting);
        var next = await reopened.Client.EnqueueJsonAsync("t", "\"new\"");
        next.Should().BeGreaterThan(later);

        var claimed = await reopened.Create().ClaimAsync(10);
        claimed.Select(j => j.Id).Should().Equal(waiting, next);
        using var connection = db.Raw();
        Scalar(connection, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
    }

    [Fact]
    public async Task An_in_memory_queue_works_through_the_same_api()
    {
        var time = new ManualTimeProvider();
        var name = $"sqq-{Guid.NewGuid():N}";
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source={name};Mode=Memory;Cache=Shared" }, time);
        var now = await queue.Client.EnqueueJsonAsync("t", "{\"n\":1}");
        var later = await queue.Client.EnqueueAsync("t", new { N = 2 }, new EnqueueOptions { Delay = TimeSpan.FromMinutes(1) });

        var stats = (await queue.Client.GetStatsAsync()).For(QueueNames.Default);
        stats.Pending.Should().Be(2);
        stats.Runnable.Should().Be(1);

        var worker = queue.Create();
        var claimed = (await worker.ClaimAsync(10)).Should().ContainSingle().Subject;
        claimed.Id.Should().Be(now);
        (await worker.CompleteAsync(claimed)).Should().BeTrue();
        (await queue.Client.WaitForJobAsync(now)).State.Should().Be(JobState.Completed);

        time.Advance(TimeSpan.FromMinutes(1));
        var second = (await worker.ClaimAsync(10)).Should().ContainSingle().Subject;
        second.Id.Should().Be(later);
        (await worker.FailAsync(second, "boom", permanent: true)).State.Should().Be(JobState.Dead);
        await queue.Client.WaitUntilIdleAsync(QueueNames.Default);

        stats = (await queue.Client.GetStatsAsync()).For(QueueNames.Default);
        stats.Completed.Should().Be(1);
        stats.Dead.Should().Be(1);
        (await queue.Client.ListJobsAsync(new JobQuery { State = JobState.Dead })).Jobs.Select(j => j.Id).Should().Equal(later);
        (await queue.Client.GetExecutionsAsync(later)).Should().ContainSingle().Which.Error.Should().Be("boom");
        (await queue.Client.RetryAsync(later)).Should().BeTrue();
        File.Exists(name).Should().BeFalse("a memory database writes no file");
    }

    [Fact]
    public async Task In_memory_queues_with_different_names_are_separate()
    {
        await using var a = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source=sqq-{Guid.NewGuid():N};Mode=Memory;Cache=Shared" });
        await using var b = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = $"Data Source=sqq-{Guid.NewGuid():N};Mode=Memory;Cache=Shared" });
        await a.Client.EnqueueJsonAsync("t", "{}");
        (await b.Client.GetStatsAsync()).Queues.Should().BeEmpty();
        (await b.Create().ClaimAsync()).Should().BeEmpty();
        (await a.Create().ClaimAsync()).Should().ContainSingle();
    }

    [Theory]
    [InlineData(SynchronousMode.Full, 2L)]
    [InlineData(SynchronousMode.Normal, 1L)]
    public async Task Synchronous_option_is_applied_to_the_writer(SynchronousMode mode, long pragma)
    {
        await using var db = new TestDatabase(configure: o => o.Synchronous = mode);
        var id = await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Worker();
        (await worker.CompleteAsync((await worker.ClaimAsync()).Single())).Should().BeTrue();
        (await db.Client.GetJobAsync(id))!.State.Should().Be(JobState.Completed);

        var writer = (SqliteConnection)typeof(JobStore).GetField("_writer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(db.Queue.Store)!;
        Scalar(writer, "PRAGMA synchronous;").Should().Be(pragma);
        Scalar(writer, "PRAGMA journal_mode;").Should().Be("wal");
    }

    private static void AssertNoSideFiles(string path)
    {
        foreach (var suffix in SideFiles)
        {
            File.Exists(path + suffix).Should().BeFalse($"no {suffix} file may appear next to a refused file");
        }
    }
}
