using System.Globalization;
using SqliteQueue.Internal;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Validation;

public sealed class WorkerValidationTests
{
    private static async Task<(IWorker Worker, ClaimedJob Job)> ClaimOne(TestDatabase db)
    {
        await db.Client.EnqueueJsonAsync("t", "{}");
        var worker = db.Worker();
        var jobs = await worker.ClaimAsync();
        return (worker, jobs.Single());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public async Task ClaimAsync_rejects_maxJobs_outside_1_to_1000(int bad)
    {
        await using var db = new TestDatabase();
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(
            () => db.Worker().ClaimAsync(bad), "maxJobs", "1 to 1000", bad.ToString(CultureInfo.CurrentCulture));
    }

    [Fact]
    public async Task ClaimAsync_accepts_maxJobs_1000()
    {
        await using var db = new TestDatabase();
        await db.Client.EnqueueJsonAsync("t", "{}");
        (await db.Worker().ClaimAsync(1000)).Should().ContainSingle();
    }

    [Fact]
    public async Task Settling_methods_reject_null_job()
    {
        await using var db = new TestDatabase();
        var worker = db.Worker();
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => worker.CompleteAsync(null!), "job");
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => worker.FailAsync(null!, "boom"), "job");
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => worker.RenewLeaseAsync(null!), "job");
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => worker.ReleaseAsync(null!), "job");
    }

    [Fact]
    public async Task FailAsync_rejects_null_error_and_leaves_the_job_running()
    {
        await using var db = new TestDatabase();
        var (worker, job) = await ClaimOne(db);
        await Rejection.ShouldRejectAsync<ArgumentNullException>(() => worker.FailAsync(job, null!), "errorMessage");
        (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Running);
    }

    [Fact]
    public async Task FailAsync_rejects_empty_error()
    {
        await using var db = new TestDatabase();
        var (worker, job) = await ClaimOne(db);
        await Rejection.ShouldRejectAsync<ArgumentException>(() => worker.FailAsync(job, ""), "errorMessage");
        (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Running);
    }

    [Fact]
    public async Task FailAsync_cuts_error_longer_than_100000_characters()
    {
        await using var db = new TestDatabase();
        var (worker, job) = await ClaimOne(db);
        var error = new string('e', 100_000) + "tail";
        (await worker.FailAsync(job, error)).Applied.Should().BeTrue();
        (await db.Client.GetJobAsync(job.Id))!.LastError.Should().Be(new string('e', 100_000));
    }

    [Theory]
    [InlineData(-1L)]
    [InlineData(-10_000_000L)]
    public async Task ReleaseAsync_rejects_negative_delay_and_leaves_the_job_running(long ticks)
    {
        await using var db = new TestDatabase();
        var (worker, job) = await ClaimOne(db);
        var delay = TimeSpan.FromTicks(ticks);
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => worker.ReleaseAsync(job, delay), "delay", delay.ToString());
        (await db.Client.GetJobAsync(job.Id))!.State.Should().Be(JobState.Running);
    }

    [Fact]
    public async Task ReleaseAsync_rejects_delay_longer_than_3650_days()
    {
        await using var db = new TestDatabase();
        var (worker, job) = await ClaimOne(db);
        var delay = TimeSpan.FromDays(3651);
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => worker.ReleaseAsync(job, delay), "delay", delay.ToString());
        await Rejection.ShouldRejectAsync<ArgumentOutOfRangeException>(() => worker.ReleaseAsync(job, TimeSpan.MaxValue), "delay");
    }

    [Fact]
    public async Task Create_rejects_empty_queue_list()
    {
        await using var db = new TestDatabase();
        Rejection.ShouldReject<ArgumentException>(() => db.Queue.Create(new WorkerOptions { Queues = [] }), "options.Queues", "1 to 100", "got 0");
    }

    [Fact]
    public async Task Create_rejects_more_than_100_queues()
    {
        await using var db = new TestDatabase();
        var queues = Enumerable.Range(0, 101).Select(i => $"q{i}").ToArray();
        Rejection.ShouldReject<ArgumentException>(() => db.Queue.Create(new WorkerOptions { Queues = queues }), "options.Queues", "got 101");
        db.Queue.Create(new WorkerOptions { Queues = queues[..100] }).Should().NotBeNull();
    }

    [Fact]
    public async Task Create_rejects_null_queue_list()
    {
        await using var db = new TestDatabase();
        Rejection.ShouldReject<ArgumentNullException>(() => db.Queue.Create(new WorkerOptions { Queues = null! }), "options.Queues");
    }

    [Fact]
    public async Task Create_rejects_duplicate_queues()
    {
        await using var db = new TestDatabase();
        Rejection.ShouldReject<ArgumentException>(
            () => db.Queue.Create(new WorkerOptions { Queues = ["emails", "reports", "emails"] }), "options.Queues", "'emails'", "twice");
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("tab")]
    [InlineData("nul")]
    [InlineData("lone-high")]
    [InlineData("trailing-high")]
    public async Task Create_rejects_bad_queue_name(string queue)
    {
        queue = HostileStrings.Get(queue);
        await using var db = new TestDatabase();
        var exception = Rejection.ShouldReject<ArgumentException>(
            () => db.Queue.Create(new WorkerOptions { Queues = ["ok", queue] }), "options.Queues");
        exception.Message.Should().StartWith(Errors.InvalidName("queue name", queue, Guard.MaxNameLength));
    }

    [Fact]
    public async Task Create_rejects_null_queue_name()
    {
        await using var db = new TestDatabase();
        Rejection.ShouldReject<ArgumentNullException>(() => db.Queue.Create(new WorkerOptions { Queues = ["ok", null!] }), "options.Queues", "got null");
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-10_000_000L)]
    [InlineData(9_999_999L)]
    [InlineData(864_000_000_001L)]
    public async Task Create_rejects_lease_below_1_second_or_above_1_day(long ticks)
    {
        await using var db = new TestDatabase();
        var lease = TimeSpan.FromTicks(ticks);
        Rejection.ShouldReject<ArgumentOutOfRangeException>(
            () => db.Queue.Create(new WorkerOptions { LeaseDuration = lease }), "options.LeaseDuration", lease.ToString());
    }

    [Fact]
    public async Task Create_accepts_lease_of_1_second_and_1_day()
    {
        await using var db = new TestDatabase();
        db.Queue.Create(new WorkerOptions { LeaseDuration = TimeSpan.FromSeconds(1) }).Should().NotBeNull();
        db.Queue.Create(new WorkerOptions { LeaseDuration = TimeSpan.FromDays(1) }).Should().NotBeNull();
    }

    [Theory]
    [InlineData("empty")]
    [InlineData("newline")]
    [InlineData("only-nul")]
    [InlineData("lone-low")]
    public async Task Create_rejects_bad_worker_id(string workerId)
    {
        workerId = HostileStrings.Get(workerId);
        await using var db = new TestDatabase();
        var exception = Rejection.ShouldReject<ArgumentException>(
            () => db.Queue.Create(new WorkerOptions { WorkerId = workerId }), "options.WorkerId");
        exception.Message.Should().Be(Rejection.WithParam(Errors.InvalidName("worker id", workerId, Guard.MaxNameLength), "options.WorkerId"));
    }

    [Fact]
    public async Task Create_rejects_worker_id_longer_than_200_characters()
    {
        await using var db = new TestDatabase();
        var workerId = new string('w', 201);
        Rejection.ShouldReject<ArgumentException>(
            () => db.Queue.Create(new WorkerOptions { WorkerId = workerId }), "options.WorkerId", "(201 characters)");
        db.Queue.Create(new WorkerOptions { WorkerId = new string('w', 200) }).WorkerId.Should().HaveLength(200);
    }

    [Fact]
    public async Task Create_with_null_options_uses_the_defaults()
    {
        await using var db = new TestDatabase();
        var worker = db.Queue.Create();
        worker.WorkerId.Should().NotBeNullOrEmpty();
        await db.Client.EnqueueJsonAsync("t", "{}");
        (await worker.ClaimAsync()).Should().ContainSingle().Which.Queue.Should().Be(QueueNames.Default);
    }
}
