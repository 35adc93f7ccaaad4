using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue;
using SqliteQueue.Recurring;

/// <summary>
/// <c>--recurring</c>: a host whose only service is the recurring-job scheduler, as an application declares it, on a
/// fast clock shared by every process of a test (see <see cref="FastClock"/>). It declares one schedule,
/// <see cref="ScheduleName"/>: every simulated minute, fire-each misfire policy with a large catch-up cap, overlap
/// allowed, so every occurrence must make exactly one job. No worker runs: the jobs stay pending. With
/// <c>--control-stdin</c> it boots (runtime, host built, nothing opened) and then waits for "go" before starting the
/// host, so a test can keep a spare process ready to replace a killed one at once. Lines written:
///   standby          (with --control-stdin) booted; waiting for "go" before touching the file
///   ready            the host has started: the schedule is synced into the file and the scheduler runs
///   warn &lt;text&gt;      the library logged a warning or an error (for the test's report)
///   exit &lt;reason&gt;    it stops: "stop" (told to on stdin, or input closed) or "host-stopped" (the host stopped by itself)
/// It runs until killed (the test SIGKILLs it at random) or until its input closes.
/// </summary>
internal static class RecurringMode
{
    public const string ScheduleName = "exactly-once";
    public const string JobType = "recurring.tick";
    public const string Schedule = "* * * * *";

    public static async Task<int> RunAsync(Settings settings)
    {
        var clock = new FastClock(settings.SimOriginMs, settings.RealOriginMs, settings.Speed);
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddProvider(new EmitLoggerProvider());
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services
            .AddSqliteQueue(o =>
            {
                o.ConnectionString = "Data Source=" + settings.DbPath;

                // In simulated time, like every wait of the library: one simulated minute is some tens of real milliseconds.
                // The scheduler sleeps until the next occurrence anyway; a shorter poll would only spin.
                o.PollInterval = TimeSpan.FromMinutes(1);
            })
            .AddRecurringJob(ScheduleName, JobType, Schedule, r => r
                .OnMisfire(Misfire.RunAll, grace: TimeSpan.FromMinutes(1), maxCatchUp: 10_000)
                .WithOverlap(Overlap.Allow));

        using var host = builder.Build();

        // Constructing the store opens nothing; doing it now only takes its cost out of the start.
        _ = host.Services.GetRequiredService<SqliteJobQueue>();

        // One reader of stdin: "go" releases the start (with --control-stdin), "stop" or the end of input stops it.
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = StdinControl.ReadAsync(go);

        if (settings.ControlStdin)
        {
            Program.Emit("standby");
            await go.Task;
            if (input.IsCompleted)
            {
                Program.Emit("exit stop");
                return 0;
            }
        }

        await host.StartAsync();
        Program.Emit("ready");

        // Runs until killed, until the parent closes our input or says "stop", or until the host stops by itself
        // (a hosted service failed), which the test must hear about.
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var stopping = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStopping.Register(() => stopping.TrySetResult());

        if (await Task.WhenAny(input, stopping.Task) == stopping.Task)
        {
            Program.Emit("exit host-stopped");
            return 1;
        }

        await host.StopAsync();
        Program.Emit("exit stop");
        return 0;
    }

    /// <summary>
    /// A clock running <c>speed</c> times faster than the real one, from an origin every process is given, so all of
    /// them read the same simulated instant at the same real instant: simulated now = simulated origin + (real now −
    /// real origin) × speed. Timers (and so every <c>Task.Delay</c> on this clock) are scaled by 1/speed. Timestamps
    /// stay real: the library measures no simulated duration with them.
    /// </summary>
    internal sealed class FastClock(long simulatedOriginMs, long realOriginMs, double speed) : TimeProvider
    {
        private readonly DateTimeOffset _simulatedOrigin = DateTimeOffset.FromUnixTimeMilliseconds(simulatedOriginMs);
        private readonly DateTimeOffset _realOrigin = DateTimeOffset.FromUnixTimeMilliseconds(realOriginMs);

        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

        public override DateTimeOffset GetUtcNow() =>
            _simulatedOrigin + TimeSpan.FromTicks((long)((TimeProvider.System.GetUtcNow() - _realOrigin).Ticks * speed));

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            new ScaledTimer(TimeProvider.System.CreateTimer(callback, state, Real(dueTime), Real(period)), this);

        /// <summary>The real span of a simulated one, rounded up so a timer never fires before its simulated due time.</summary>
        private TimeSpan Real(TimeSpan simulated) =>
            simulated == Timeout.InfiniteTimeSpan || simulated <= TimeSpan.Zero
                ? simulated
                : TimeSpan.FromTicks((long)Math.Ceiling(simulated.Ticks / speed));

        private sealed class ScaledTimer(ITimer inner, FastClock clock) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(clock.Real(dueTime), clock.Real(period));

            public void Dispose() => inner.Dispose();

            public ValueTask DisposeAsync() => inner.DisposeAsync();
        }
    }
}
