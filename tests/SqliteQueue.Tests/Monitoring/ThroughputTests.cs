using SqliteQueue.Internal;
using SqliteQueue.Internal.Maintenance;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Maintenance;
using SqliteQueue.Monitoring;
using SqliteQueue.Tests.Infrastructure;
using static SqliteQueue.Tests.Infrastructure.SqlCommands;
using static SqliteQueue.Tests.Maintenance.MaintenanceKit;

namespace SqliteQueue.Tests.Monitoring;

/// <summary>IQueueMonitor.GetThroughputAsync: settled attempts per interval, read from the per-minute throughput table.</summary>
public sealed class ThroughputTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Completions_and_failures_in_different_minutes_land_in_their_own_buckets()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        await CompletedAsync(db.Queue, 3);
        db.Time.Advance(Minute + TimeSpan.FromSeconds(10));
        await DeadAsync(db.Queue, 2);

        // Minute 2: one failed attempt that will be retried, one released (not counted), one lease left to expire.
        db.Time.Advance(Minute);
        var worker = db.Queue.Create(new WorkerOptions { Queues = [QueueNames.Default], LeaseDuration = TimeSpan.FromSeconds(30), WorkerId = "w" });
        var retried = await RunningAsync(db.Queue, 1, maxAttempts: 3);
        (await worker.FailAsync(retried[0], "boom")).State.Should().Be(JobState.Pending, "it will be retried after its backoff");
        var released = (await RunningAsync(db.Queue, 1, lease: TimeSpan.FromSeconds(30))).Single();
        (await worker.ReleaseAsync(released)).Should().BeTrue();
        (await worker.ClaimAsync()).Should().ContainSingle("the released job is runnable again, and its lease is left to expire");

        // Minute 3: the lease is found expired by the next claim, and that attempt counts as failed.
        db.Time.Advance(Minute);
        await worker.ClaimAsync();

        var series = await db.Queue.Monitor.GetThroughputAsync(start, Minute);

        series.Should().Equal(
            new ThroughputBucket(start, 3, 0),
            new ThroughputBucket(start + Minute, 0, 2),
            new ThroughputBucket(start + (2 * Minute), 0, 1),
            new ThroughputBucket(start + (3 * Minute), 0, 1));
        using var check = db.Raw();
        Scalar(check, "SELECT n FROM queue_throughput WHERE outcome = 'released';").Should().Be(1L, "the table keeps every outcome; the series leaves released attempts out");
        Scalar(check, "SELECT sum(n) FROM queue_throughput;").Should().Be(Scalar(check, "SELECT count(*) FROM queue_executions;"));

        (await db.Queue.Monitor.GetThroughputAsync(start, TimeSpan.FromMinutes(2))).Should().Equal(
            new ThroughputBucket(start, 3, 2),
            new ThroughputBucket(start + (2 * Minute), 0, 2));
    }

    [Fact]
    public async Task Every_interval_is_returned_with_zeros_where_nothing_settled()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        db.Time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(59));
        await CompletedAsync(db.Queue, 1);

        var series = await db.Queue.Monitor.GetThroughputAsync(start + TimeSpan.FromSeconds(30), Minute);

        series.Should().HaveCount(11, "from the minute that holds since to the current one, both included");
        series.Select(b => b.Start).Should().Equal(Enumerable.Range(0, 11).Select(i => start + (i * Minute)));
        series.Take(10).Should().OnlyContain(b => b.Completed == 0 && b.Failed == 0);
        series[^1].Should().Be(new ThroughputBucket(start + TimeSpan.FromMinutes(10), 1, 0));
    }

    [Fact]
    public async Task Buckets_are_aligned_to_multiples_of_their_length_since_the_epoch()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(DateTimeOffset.Parse("2030-01-01T00:07:30Z", System.Globalization.CultureInfo.InvariantCulture)));
        await CompletedAsync(db.Queue, 2);
        db.Time.Advance(TimeSpan.FromMinutes(4));

        var series = await db.Queue.Monitor.GetThroughputAsync(db.Time.GetUtcNow() - TimeSpan.FromMinutes(4), TimeSpan.FromMinutes(5));

        series.Should().Equal(
            new ThroughputBucket(DateTimeOffset.Parse("2030-01-01T00:05Z", System.Globalization.CultureInfo.InvariantCulture), 2, 0),
            new ThroughputBucket(DateTimeOffset.Parse("2030-01-01T00:10Z", System.Globalization.CultureInfo.InvariantCulture), 0, 0));
    }

    [Fact]
    public async Task A_since_after_now_gives_an_empty_series_and_the_widest_range_is_accepted()
    {
        await using var db = new TestDatabase();
        var now = db.Time.GetUtcNow();

        (await db.Queue.Monitor.GetThroughputAsync(now + TimeSpan.FromMinutes(2), Minute)).Should().BeEmpty();
        (await db.Queue.Monitor.GetThroughputAsync(now - TimeSpan.FromDays(31), Minute)).Should().HaveCount((31 * 24 * 60) + 1);
        (await db.Queue.Monitor.GetThroughputAsync(now - TimeSpan.FromDays(31), TimeSpan.FromDays(1))).Should().HaveCount(32);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-60)]
    [InlineData(30)]
    [InlineData(90)]
    [InlineData(86_460)]
    public async Task A_bucket_that_is_not_whole_minutes_from_1_minute_to_1_day_is_refused(int seconds)
    {
        await using var db = new TestDatabase();
        var bucket = TimeSpan.FromSeconds(seconds);

        var thrown = await FluentActions.Awaiting(() => db.Queue.Monitor.GetThroughputAsync(db.Time.GetUtcNow(), bucket))
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("bucket");
        thrown.Which.Message.Should().StartWith(Errors.ThroughputBucket(bucket));
        thrown.Which.ActualValue.Should().Be(bucket);
    }

    [Fact]
    public async Task A_since_more_than_31_days_back_is_refused()
    {
        await using var db = new TestDatabase();
        var now = db.Time.GetUtcNow();
        var since = now - TimeSpan.FromDays(31) - TimeSpan.FromMilliseconds(1);

        var thrown = await FluentActions.Awaiting(() => db.Queue.Monitor.GetThroughputAsync(since, Minute))
            .Should().ThrowAsync<ArgumentOutOfRangeException>().WithParameterName("since");
        thrown.Which.Message.Should().StartWith(Errors.ThroughputSince(since, now - TimeSpan.FromDays(31)));
        thrown.Which.ActualValue.Should().Be(since);
    }

    [Fact]
    public async Task Prune_deletes_minutes_older_than_the_longest_retention_or_14_days()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        await CompletedAsync(db.Queue, 2);
        db.Time.Advance(TimeSpan.FromDays(10));
        await CompletedAsync(db.Queue, 1);
        db.Time.Advance(TimeSpan.FromDays(10));
        await DeadAsync(db.Queue, 1);

        // A state kept forever keeps the series too.
        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Dead = null });
        MinutesKept(db).Should().HaveCount(3);

        // The longest retention is 14 days (the defaults): the first minute is 20 days old, the second 10.
        await db.Queue.Maintenance.PruneAsync();
        MinutesKept(db).Should().Equal(Minutes(start + TimeSpan.FromDays(10)), Minutes(start + TimeSpan.FromDays(20)));

        // A longer retention keeps more; a shorter one still keeps 14 days.
        Pruner.ThroughputBefore(db.Time.GetUtcNow().ToUnixTimeMilliseconds(), new RetentionOptions { Dead = TimeSpan.FromDays(30) })
            .Should().Be(Minutes(db.Time.GetUtcNow() - TimeSpan.FromDays(30)));
        await db.Queue.Maintenance.PruneAsync(new RetentionOptions { Completed = TimeSpan.Zero, Cancelled = TimeSpan.Zero, Dead = TimeSpan.Zero });
        MinutesKept(db).Should().Equal(Minutes(start + TimeSpan.FromDays(10)), Minutes(start + TimeSpan.FromDays(20)));

        db.Time.Advance(TimeSpan.FromDays(5));
        await db.Queue.Maintenance.PruneAsync();
        MinutesKept(db).Should().Equal(Minutes(start + TimeSpan.FromDays(20)));
        (await db.Queue.Monitor.GetThroughputAsync(start + TimeSpan.FromDays(10), TimeSpan.FromDays(1))).Sum(b => b.Completed).Should().Be(0);
    }

    [Fact]
    public async Task A_file_at_schema_4_is_brought_to_5_and_its_kept_history_is_counted()
    {
        await using var db = new TestDatabase();
        var start = db.Time.GetUtcNow();
        var ms = start.ToUnixTimeMilliseconds();
        using (var connection = db.Raw())
        {
            foreach (var (_, script) in Migrator.Migrations.Where(m => m.Version <= 4))
            {
                Execute(connection, SqlText.Render(script, "queue_"));
            }

            Execute(connection, "PRAGMA user_version = 4;");
            Execute(connection, $"""
                INSERT INTO queue_jobs (queue, type, payload, state, run_at, max_attempts, created_at, finished_at)
                VALUES ('default', 't', '{"{}"}', 'completed', {ms}, 5, {ms}, {ms + 61_000});
                INSERT INTO queue_executions (job_id, attempt, worker_id, started_at, finished_at, outcome, error) VALUES
                    (1, 1, 'w', {ms}, {ms + 1_000}, 'failed', 'boom'),
                    (1, 2, 'w', {ms}, {ms + 2_000}, 'lease_expired', 'lost'),
                    (1, 3, 'w', {ms}, {ms + 3_000}, 'released', NULL),
                    (1, 4, 'w', {ms}, {ms + 61_000}, 'completed', NULL);
                """);
        }

        db.Time.Advance(TimeSpan.FromMinutes(2));
        await CompletedAsync(db.Queue, 1);

        (await db.Queue.Monitor.GetThroughputAsync(start, Minute)).Should().Equal(
            new ThroughputBucket(start, 0, 2),
            new ThroughputBucket(start + Minute, 1, 0),
            new ThroughputBucket(start + (2 * Minute), 1, 0));
        using var check = db.Raw();
        Scalar(check, "PRAGMA user_version;").Should().Be((long)Migrator.LatestVersion);
        Scalar(check, "PRAGMA integrity_check;").Should().Be("ok");
    }

    private static long Minutes(DateTimeOffset time) => time.ToUnixTimeMilliseconds() / 60_000;

    private static List<long> MinutesKept(TestDatabase db)
    {
        using var connection = db.Raw();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT minute FROM queue_throughput ORDER BY minute;";
        using var reader = command.ExecuteReader();
        var minutes = new List<long>();
        while (reader.Read())
        {
            minutes.Add(reader.GetInt64(0));
        }

        return minutes;
    }
}
