using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SqliteQueue;

/// <summary>
/// <c>--handlers</c>: the hosted worker with its prefetch, as an application runs it. Jobs of type
/// <see cref="JobType"/> run <see cref="WorkHandler"/>: a payload with <c>"Poison": true</c> kills this process
/// on the spot (SIGKILL, no clean-up), any other waits <c>--hold-ms</c> and completes. Lines written:
///   ready            the host has started
///   ran &lt;id&gt;         a good job's handler ran (its completion is committed after this)
///   poison &lt;id&gt;      a poison job's handler is about to kill the process
///   warn &lt;text&gt;      the library logged a warning or an error (only with --poll-ms or --postgres)
/// It runs until killed or until its input closes. <c>--poll-ms</c> sets the worker's poll interval, which is
/// otherwise the default.
/// </summary>
internal static class HandlerMode
{
    public const string JobType = "multi.work";

    public static async Task<int> RunAsync(Settings settings)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        if (settings.PollMs is not null || settings.Postgres is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddProvider(new EmitLoggerProvider());
        }

        builder.Services.AddSingleton(settings);
        builder.Services
            .AddSqliteQueue(o =>
            {
                settings.ApplyStore(o);
                o.PollInterval = TimeSpan.FromMilliseconds(50);
                if (settings.WorkerHeartbeatMs is { } beat)
                {
                    o.WorkerHeartbeatInterval = TimeSpan.FromMilliseconds(beat);
                }
            })
            .AddHandler<Work, WorkHandler>(JobType)
            .AddWorker(o =>
            {
                o.WorkerId = settings.WorkerId;
                o.Concurrency = settings.Concurrency;
                o.LeaseDuration = TimeSpan.FromMilliseconds(settings.LeaseMs);
                if (settings.PollMs is { } poll)
                {
                    o.PollInterval = TimeSpan.FromMilliseconds(poll);
                }
            })
            .ConfigureMaintenance(o => o.Enabled = !settings.NoMaintenance);

        // Runs until killed, or until the parent closes our input or says "stop".
        using var host = builder.Build();
        return await Program.RunUntilStoppedAsync(host);
    }

    internal sealed record Work(bool Poison);

    internal sealed class WorkHandler(Settings settings) : IJobHandler<Work>
    {
        public async Task HandleAsync(JobContext<Work> job, CancellationToken cancellationToken)
        {
            var id = job.JobId.ToString(CultureInfo.InvariantCulture);
            if (job.Payload.Poison)
            {
                Program.Emit("poison " + id);
                Process.GetCurrentProcess().Kill();
                await Task.Delay(Timeout.Infinite, CancellationToken.None);
            }

            if (settings.HoldMs > 0)
            {
                await Task.Delay(settings.HoldMs, cancellationToken);
            }

            Program.Emit("ran " + id);
        }
    }
}
