using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Processing;
using SqliteQueue.Recurring;
using SqliteQueue.Tests.Infrastructure;
using SqliteQueue.Tests.Processing;

namespace SqliteQueue.Tests.Extensibility;

public sealed class MiddlewareTests
{
    [Fact]
    public async Task Middleware_runs_in_registration_order_the_first_outermost()
    {
        var trail = new Trail();
        await using var q = await HostedQueue.StartAsync(
            b => b.AddMiddleware<OuterMiddleware>()
                .AddMiddleware(async (context, next) =>
                {
                    context.Services.GetRequiredService<Trail>().Add("function >");
                    await next(context);
                    context.Services.GetRequiredService<Trail>().Add("< function");
                })
                .AddMiddleware<InnerMiddleware>(),
            s => s.AddSingleton(trail));
        q.Behavior.Run = (_, _) =>
        {
            trail.Add("handler");
            return Task.CompletedTask;
        };

        var job = await q.FinishedAsync(await q.EnqueueAsync());

        job.State.Should().Be(JobState.Completed);
        trail.Steps.Should().Equal("outer >", "function >", "inner >", "handler", "< inner", "< function", "< outer");
    }

    [Fact]
    public async Task The_context_carries_the_facts_of_the_job_and_attempt()
    {
        var seen = new List<JobMiddlewareContext>();
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((context, next) =>
        {
            lock (seen)
            {
                seen.Add(context);
            }

            return next(context);
        }));

        var id = await q.EnqueueAsync(7, new EnqueueOptions { MaxAttempts = 3, Timeout = TimeSpan.FromMinutes(2) });
        await q.FinishedAsync(id);

        var job = (await q.Client.GetJobAsync(id))!;
        var context = seen.Should().ContainSingle().Subject;
        context.JobId.Should().Be(id);
        context.Queue.Should().Be(QueueNames.Default);
        context.Type.Should().Be("work");
        context.Attempt.Should().Be(1);
        context.MaxAttempts.Should().Be(3);
        context.IsLastAttempt.Should().BeFalse();
        context.EnqueuedAt.Should().Be(job.CreatedAt);
        context.Timeout.Should().Be(TimeSpan.FromMinutes(2));
        context.PayloadJson.Should().Be(job.PayloadJson);
        context.GetPayload<Work>().Should().Be(new Work(7));
        context.WorkerId.Should().Be(HostedQueue.WorkerId);
        context.Recurring.Should().BeNull();
        context.Items.Should().BeEmpty();
    }

    [Fact]
    public async Task The_context_of_a_job_a_schedule_enqueued_carries_its_occurrence()
    {
        RecurringOccurrenceContext? occurrence = null;
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((context, next) =>
        {
            occurrence = context.Recurring;
            return next(context);
        }));
        await q.Queue.Recurring.UpsertAsync(new RecurringJobDefinition("nightly", "work", "0 0 * * *"));

        var id = await q.Queue.Recurring.TriggerAsync("nightly");
        await q.FinishedAsync(id!.Value);

        occurrence.Should().NotBeNull();
        occurrence!.Name.Should().Be("nightly");
        occurrence.IsTriggered.Should().BeTrue();
    }

    [Fact]
    public async Task Middleware_is_resolved_from_the_jobs_scope_which_the_handler_shares()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware<ScopeMiddleware>(), s => s.AddSingleton<ScopeLog>());
        var log = q.Services.GetRequiredService<ScopeLog>();
        var probes = q.Services.GetRequiredService<ProbeLog>();

        var first = await q.EnqueueAsync(1);
        await q.FinishedAsync(first);
        var second = await q.EnqueueAsync(2);
        await q.FinishedAsync(second);

        log.Seen.Should().HaveCount(2);
        log.Seen.Select(s => s.Middleware).Distinct().Should().HaveCount(2, "a scoped middleware is a new instance for every job");
        foreach (var (middleware, probe, fromServices, jobId) in log.Seen)
        {
            fromServices.Should().BeSameAs(probe, "the context's services are the job's scope");
            probes.Used.Should().ContainSingle(u => u.JobId == jobId).Which.Probe.Should().BeSameAs(probe, "the handler is resolved from the same scope");
            probe.Disposed.Should().BeTrue("the scope is disposed after the job");
        }
    }

    [Fact]
    public async Task Items_pass_values_inward_and_start_empty_on_every_attempt()
    {
        var countsAtStart = new List<int>();
        var inner = new List<object?>();
        await using var q = await HostedQueue.StartAsync(b => b
            .AddMiddleware((context, next) =>
            {
                countsAtStart.Add(context.Items.Count);
                context.Items["tenant"] = $"tenant-of-attempt-{context.Attempt}";
                return next(context);
            })
            .AddMiddleware((context, next) =>
            {
                inner.Add(context.Items["tenant"]);
                return next(context);
            }));
        q.Behavior.Run = (job, _) => job.Attempt == 1 ? throw new InvalidOperationException("first attempt fails") : Task.CompletedTask;

        var id = await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 2 });
        await q.RetryAsync(id, failedAttempts: 1);
        var job = await q.FinishedAsync(id);

        job.State.Should().Be(JobState.Completed);
        countsAtStart.Should().Equal(0, 0);
        inner.Should().Equal("tenant-of-attempt-1", "tenant-of-attempt-2");
    }

    [Fact]
    public async Task A_middleware_that_does_not_call_next_completes_the_job_without_its_handler()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((_, _) => Task.CompletedTask));

        var job = await q.FinishedAsync(await q.EnqueueAsync());

        job.State.Should().Be(JobState.Completed);
        q.Behavior.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task A_middleware_that_throws_fails_the_attempt_as_a_handler_would()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((_, _) => throw new InvalidOperationException("refused by middleware")));

        var id = await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 2 });
        await q.RetryAsync(id, failedAttempts: 1);
        var job = await q.FinishedAsync(id);

        job.State.Should().Be(JobState.Dead, "both attempts failed");
        job.Attempt.Should().Be(2);
        job.LastError.Should().StartWith("refused by middleware");
        q.Behavior.Seen.Should().BeEmpty();
        q.Logs.WithId(2104).Select(e => e.Exception?.Message).Should().Equal("refused by middleware", "refused by middleware");
    }

    [Fact]
    public async Task A_middleware_that_catches_the_handlers_exception_completes_the_job()
    {
        Exception? caught = null;
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (InvalidOperationException ex)
            {
                caught = ex;
            }
        }));
        q.Behavior.Run = (_, _) => throw new InvalidOperationException("handler failed");

        var job = await q.FinishedAsync(await q.EnqueueAsync());

        job.State.Should().Be(JobState.Completed);
        job.Attempt.Should().Be(1);
        caught!.Message.Should().Be("handler failed");
    }

    [Fact]
    public async Task A_middleware_that_throws_PermanentJobFailureException_dead_letters_the_job_at_once()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (ArgumentException ex)
            {
                throw new PermanentJobFailureException($"bad input: {ex.Message}", ex);
            }
        }));
        q.Behavior.Run = (_, _) => throw new ArgumentException("no such customer");

        var job = await q.FinishedAsync(await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 5 }));

        job.State.Should().Be(JobState.Dead);
        job.Attempt.Should().Be(1, "a permanent failure spends no further attempts");
        job.LastError.Should().StartWith("bad input: no such customer");
    }

    [Fact]
    public async Task A_middleware_sees_the_payload_failure_raised_inside_next()
    {
        Exception? caught = null;
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex)
            {
                caught = ex;
                throw;
            }
        }));

        var id = await q.Client.EnqueueJsonAsync("work", """{"n":"not a number"}""");
        var job = await q.FinishedAsync(id);

        job.State.Should().Be(JobState.Dead);
        caught.Should().BeOfType<PermanentJobFailureException>().Which.Message.Should().StartWith($"The payload of job {id} does not fit Work");
        q.Behavior.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task A_middleware_gets_the_handlers_token_which_a_cancel_fires()
    {
        var middlewareToken = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        var middlewareSawCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware(async (context, next) =>
        {
            middlewareToken.SetResult(context.CancellationToken);
            using var registration = context.CancellationToken.Register(middlewareSawCancel.SetResult);
            await next(context);
        }));
        var handlerToken = new TaskCompletionSource<CancellationToken>(TaskCreationOptions.RunContinuationsAsynchronously);
        q.Behavior.Run = async (_, token) =>
        {
            handlerToken.SetResult(token);
            await Task.Delay(Timeout.Infinite, token);
        };

        var id = await q.EnqueueAsync();
        var token = await handlerToken.Task.WaitAsync(Eventually.Bound);
        await q.Client.CancelAsync(id);
        var job = await q.FinishedAsync(id);
        await middlewareSawCancel.Task.WaitAsync(Eventually.Bound);

        job.State.Should().Be(JobState.Cancelled);
        (await middlewareToken.Task).Should().Be(token);
        token.IsCancellationRequested.Should().BeTrue();
    }

    [Fact]
    public async Task A_middleware_function_resolves_the_jobs_services_from_the_context()
    {
        var probes = new List<ScopedProbe>();
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((context, next) =>
        {
            probes.Add(context.Services.GetRequiredService<ScopedProbe>());
            return next(context);
        }));

        var id = await q.EnqueueAsync();
        await q.FinishedAsync(id);

        var used = q.Services.GetRequiredService<ProbeLog>().Used.Should().ContainSingle().Subject;
        probes.Should().ContainSingle().Which.Should().BeSameAs(used.Probe);
    }

    [Fact]
    public async Task A_middleware_may_call_next_again_to_retry_in_place()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (TimeoutException)
            {
                await next(context);
            }
        }));
        var calls = 0;
        q.Behavior.Run = (_, _) => Interlocked.Increment(ref calls) == 1 ? throw new TimeoutException("flaky") : Task.CompletedTask;

        var job = await q.FinishedAsync(await q.EnqueueAsync());

        job.State.Should().Be(JobState.Completed);
        job.Attempt.Should().Be(1);
        q.Behavior.Seen.Should().HaveCount(2);
    }

    [Fact]
    public async Task A_middleware_that_passes_on_a_context_of_its_own_fails_the_attempt()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware((context, next) => next(new JobMiddlewareContext(
            context.JobId, context.Queue, context.Type, context.Attempt, context.MaxAttempts, context.EnqueuedAt, context.Timeout, context.PayloadJson,
            context.WorkerId, context.Services, cancellationToken: context.CancellationToken))));

        var job = await q.FinishedAsync(await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 1 }));

        job.State.Should().Be(JobState.Dead);
        job.LastError.Should().StartWith(Errors.ForeignMiddlewareContext);
        q.Behavior.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task A_middleware_that_returns_a_null_task_fails_the_attempt_saying_so()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware<NullMiddleware>());

        var job = await q.FinishedAsync(await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 1 }));

        job.State.Should().Be(JobState.Dead);
        job.LastError.Should().StartWith(Errors.MiddlewareReturnedNull(nameof(NullMiddleware)));
    }

    [Fact]
    public async Task A_middleware_that_cannot_be_resolved_fails_the_attempt()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware<UnresolvableMiddleware>());

        var job = await q.FinishedAsync(await q.EnqueueAsync(options: new EnqueueOptions { MaxAttempts = 1 }));

        job.State.Should().Be(JobState.Dead);
        job.LastError.Should().Contain(nameof(IMissingService));
        q.Behavior.Seen.Should().BeEmpty();
    }

    [Fact]
    public async Task Without_middleware_no_pipeline_is_registered_and_handlers_run_as_before()
    {
        await using var q = await HostedQueue.StartAsync();

        var job = await q.FinishedAsync(await q.EnqueueAsync());

        job.State.Should().Be(JobState.Completed);
        q.Services.GetService<HandlerPipeline>().Should().BeNull();
    }

    [Fact]
    public async Task The_empty_pipeline_returns_the_handlers_own_task()
    {
        var handlerTask = new TaskCompletionSource().Task;
        var registration = new HandlerRegistration("work", typeof(Work), typeof(WorkHandler), (_, _, _, _, _) => handlerTask);
        await using var db = new TestDatabase();
        var worker = db.Worker();
        await db.Client.EnqueueAsync("work", new Work(1));
        var job = (await worker.ClaimAsync(1)).Single();

        var invoked = HandlerPipeline.Empty.InvokeAsync(registration, new ServiceCollection().BuildServiceProvider(), job, "w", JsonSerializerOptions.Default, CancellationToken.None);

        invoked.Should().BeSameAs(handlerTask, "without middleware nothing wraps the handler");
        HandlerPipeline.Empty.Count.Should().Be(0);
    }

    [Fact]
    public void Adding_a_middleware_type_twice_keeps_its_first_place()
    {
        var services = new ServiceCollection();
        services.AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db")
            .AddMiddleware<OuterMiddleware>()
            .AddMiddleware<InnerMiddleware>()
            .AddMiddleware<OuterMiddleware>();

        services.Where(d => d.ImplementationInstance is MiddlewareRegistration)
            .Select(d => ((MiddlewareRegistration)d.ImplementationInstance!).MiddlewareType)
            .Should().Equal(typeof(OuterMiddleware), typeof(InnerMiddleware));
        services.Should().ContainSingle(d => d.ServiceType == typeof(OuterMiddleware)).Which.Lifetime.Should().Be(ServiceLifetime.Scoped);
    }

    [Fact]
    public async Task A_middleware_the_application_registered_keeps_its_lifetime()
    {
        await using var q = await HostedQueue.StartAsync(b => b.AddMiddleware<SharedMiddleware>(), s => s.AddSingleton<InstanceLog>().AddSingleton<SharedMiddleware>());

        await q.FinishedAsync(await q.EnqueueAsync(1));
        await q.FinishedAsync(await q.EnqueueAsync(2));

        var instances = q.Services.GetRequiredService<InstanceLog>().Instances;
        instances.Should().HaveCount(2);
        instances.Distinct().Should().ContainSingle("the application registered it as a singleton");
    }

    [Fact]
    public void AddMiddleware_refuses_a_null_function()
    {
        var builder = new ServiceCollection().AddSqliteQueue(o => o.ConnectionString = "Data Source=x.db");

        var act = () => builder.AddMiddleware(null!);

        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("middleware");
    }

    [Fact]
    public void A_context_made_by_hand_is_validated_and_reads_its_payload()
    {
        var services = new ServiceCollection().BuildServiceProvider();
        Func<JobMiddlewareContext> make(string? queue = "q", string? payload = """{"n":3}""", IServiceProvider? sp = null, int attempt = 1) =>
            () => new JobMiddlewareContext(1, queue!, "work", attempt, 1, DateTimeOffset.UnixEpoch, null, payload!, "w", sp ?? services);

        make().Invoke().GetPayload<Work>().Should().Be(new Work(3));
        make(payload: "null").Invoke().Invoking(c => c.GetPayload<Work>()).Should().Throw<JsonException>().WithMessage(Errors.PayloadIsJsonNull(1, "Work"));
        make(queue: null).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("queue");
        make(payload: null).Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("payloadJson");
        make(attempt: 0).Should().Throw<ArgumentOutOfRangeException>().Which.ParamName.Should().Be("attempt");
        var act = () => new JobMiddlewareContext(1, "q", "work", 1, 1, DateTimeOffset.UnixEpoch, null, "{}", "w", null!);
        act.Should().Throw<ArgumentNullException>().Which.ParamName.Should().Be("services");
    }
}

public sealed class OuterMiddleware(Trail trail) : IJobMiddleware
{
    public async Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next)
    {
        trail.Add("outer >");
        await next(context);
        trail.Add("< outer");
    }
}

public sealed class InnerMiddleware(Trail trail) : IJobMiddleware
{
    public async Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next)
    {
        trail.Add("inner >");
        await next(context);
        trail.Add("< inner");
    }
}

public sealed class ScopeLog
{
    public System.Collections.Concurrent.ConcurrentQueue<(ScopeMiddleware Middleware, ScopedProbe Probe, ScopedProbe FromServices, long JobId)> Seen { get; } = new();
}

public sealed class ScopeMiddleware(ScopeLog log, ScopedProbe probe) : IJobMiddleware
{
    public Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next)
    {
        log.Seen.Enqueue((this, probe, context.Services.GetRequiredService<ScopedProbe>(), context.JobId));
        return next(context);
    }
}

public sealed class InstanceLog
{
    public System.Collections.Concurrent.ConcurrentQueue<object> Instances { get; } = new();
}

public sealed class SharedMiddleware(InstanceLog log) : IJobMiddleware
{
    public Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next)
    {
        log.Instances.Enqueue(this);
        return next(context);
    }
}

public interface IMissingService;

public sealed class UnresolvableMiddleware(IMissingService missing) : IJobMiddleware
{
    public Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next) => missing is null ? next(context) : next(context);
}

public sealed class NullMiddleware : IJobMiddleware
{
    public Task InvokeAsync(JobMiddlewareContext context, JobMiddlewareDelegate next) => null!;
}
