using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Processing;

public sealed class HostTests
{
    [Fact]
    public async Task A_generic_host_runs_several_worker_groups_and_stops_cleanly()
    {
        await using var db = new TestDatabase();
        var behavior = new Behavior();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>();
        builder.Services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString)
            .AddHandler<Work, WorkHandler>("work")
            .AddWorker(o => { o.Queues = ["a"]; o.WorkerId = "group-a"; o.Concurrency = 2; })
            .AddWorker(o => { o.Queues = ["b"]; o.WorkerId = "group-b"; o.Concurrency = 1; });
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IQueueClient>();

        var a = await client.EnqueueManyAsync("work", Enumerable.Range(0, 10).Select(i => new Work(i)), new EnqueueOptions { Queue = "a" });
        var b = await client.EnqueueAsync("work", new Work(99), new EnqueueOptions { Queue = "b" });
        await client.WaitUntilAllIdleAsync().WaitAsync(Eventually.Bound);
        await host.StopAsync();

        behavior.Seen.Should().HaveCount(11);
        foreach (var id in a)
        {
            (await client.GetExecutionsAsync(id)).Single().WorkerId.Should().Be("group-a");
        }

        (await client.GetExecutionsAsync(b)).Single().WorkerId.Should().Be("group-b");
    }

    [Fact]
    public void Adding_a_second_handler_for_a_job_type_is_refused()
    {
        var services = new ServiceCollection();
        var builder = services.AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db").AddHandler<Work, WorkHandler>("work");

        var act = () => builder.AddHandler<Other, OtherHandler>("work");

        act.Should().Throw<InvalidOperationException>().WithMessage("Job type 'work' already has a handler (WorkHandler); OtherHandler cannot be added for it.*");
    }

    [Fact]
    public void A_handler_job_type_is_validated()
    {
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");

        var act = () => builder.AddHandler<Work, WorkHandler>("bad\ntype");

        act.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("jobType");
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("\u00A0")]
    [InlineData("\u200B")]
    public void A_blank_handler_job_type_is_refused(string jobType)
    {
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");

        var act = () => builder.AddHandler<Work, WorkHandler>(jobType);

        act.Should().Throw<ArgumentException>().Which.Message.Should().Be(
            $"{SqliteQueue.Internal.Errors.InvalidName("job type", jobType, SqliteQueue.Internal.Guard.MaxNameLength)} (Parameter 'jobType')");
    }

    [Theory]
    [InlineData("Concurrency", "QueueWorkerOptions.Concurrency must be from 1 to 1000; got 0.")]
    [InlineData("BatchSize", "QueueWorkerOptions.BatchSize must be from 1 to 1000; got 0.")]
    [InlineData("Lease", "QueueWorkerOptions.LeaseDuration must be from 00:00:01 to 1.00:00:00; got 00:00:00.5000000.")]
    [InlineData("Heartbeat", "QueueWorkerOptions.HeartbeatInterval must be greater than zero and less than LeaseDuration (00:00:30), or leases expire between beats; got 00:00:30.")]
    [InlineData("Poll", "QueueWorkerOptions.PollInterval must be from 00:00:00.0100000 to 01:00:00; got 00:00:00.")]
    [InlineData("Shutdown", "QueueWorkerOptions.ShutdownTimeout must be from 00:00:00 to 01:00:00; got -00:00:01.")]
    [InlineData("NoQueues", "QueueWorkerOptions.Queues must name 1 to 100 queues; got 0.")]
    [InlineData("TwoQueues", "QueueWorkerOptions.Queues names a queue twice.")]
    [InlineData("BadQueue", "QueueWorkerOptions.Queues holds an invalid queue name 'a\\u0000b'.")]
    [InlineData("WorkerId", "QueueWorkerOptions.WorkerId must be 1 to 200 characters, at least one of them visible, without control characters; got ''.")]
    [InlineData("BlankWorkerId", "QueueWorkerOptions.WorkerId must be 1 to 200 characters, at least one of them visible, without control characters; got '\\u00A0'.")]
    [InlineData("BlankQueue", "QueueWorkerOptions.Queues holds an invalid queue name '  '.")]
    [InlineData("InvisibleQueue", "QueueWorkerOptions.Queues holds an invalid queue name '\\u200B\\u2060'.")]
    public void Worker_options_out_of_range_are_refused_naming_the_option(string what, string message)
    {
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");
        Action<QueueWorkerOptions> configure = what switch
        {
            "Concurrency" => o => o.Concurrency = 0,
            "BatchSize" => o => o.BatchSize = 0,
            "Lease" => o => o.LeaseDuration = TimeSpan.FromMilliseconds(500),
            "Heartbeat" => o => o.HeartbeatInterval = TimeSpan.FromSeconds(30),
            "Poll" => o => o.PollInterval = TimeSpan.Zero,
            "Shutdown" => o => o.ShutdownTimeout = TimeSpan.FromSeconds(-1),
            "NoQueues" => o => o.Queues = [],
            "TwoQueues" => o => o.Queues = ["a", "a"],
            "BadQueue" => o => o.Queues = ["a\0b"],
            "BlankWorkerId" => o => o.WorkerId = "\u00A0",
            "BlankQueue" => o => o.Queues = ["  "],
            "InvisibleQueue" => o => o.Queues = ["\u200B\u2060"],
            _ => o => o.WorkerId = "",
        };

        var act = () => builder.AddWorker(configure);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().Contain(message);
    }

    [Fact]
    public async Task When_the_host_stops_waiting_first_running_jobs_are_released_at_once()
    {
        await using var db = new TestDatabase();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var behavior = new Behavior { Run = (_, _) => gate.Task };
        var builder = Host.CreateApplicationBuilder();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddSingleton(behavior).AddSingleton<ProbeLog>().AddScoped<ScopedProbe>();
        builder.Services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString)
            .AddHandler<Work, WorkHandler>("work")
            .AddWorker(o => o.ShutdownTimeout = TimeSpan.FromHours(1));
        using var host = builder.Build();
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IQueueClient>();
        var id = await client.EnqueueAsync("work", new Work(1));
        await Eventually.TrueAsync(() => behavior.Running == 1, "the handler starts");

        await host.StopAsync();

        var job = await db.Client.GetJobAsync(id);
        job!.State.Should().Be(JobState.Pending, "the job was released when the host's shutdown time ran out");
        job.Attempt.Should().Be(0);
        gate.SetResult();
    }
}
