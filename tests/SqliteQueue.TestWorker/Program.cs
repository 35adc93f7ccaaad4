using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SqliteQueue;
using SqliteQueue.PostgreSql;

// A worker process for the multi-process tests. It claims from the queue file named by --db and writes one
// line per event to stdout, flushed at once, so the parent test can follow it:
//   ready            the store is open and migrated (after this, with --control-stdin, it waits for "go")
//   claimed <id>     a job was claimed
//   completed <id>   a job was completed (the commit is done before the line is written)
//   lost <id>        the lease was lost before completion; nothing changed
//   exit <reason>    it stops: "idle" (nothing claimed for --idle-exit-ms) or "stop" (told to on stdin)
// With --control-stdin, stdin drives it: the line "go" starts claiming; "stop" or end of input stops it.
// With --handlers it runs the hosted worker instead (see HandlerMode); with --recurring, only the recurring-job
// scheduler, on a fast clock shared by the test's processes (see RecurringMode); with --maintenance, only the
// queue's maintenance (see MaintenanceMode); with --enqueuer, only a client that enqueues when told (see EnqueueMode).
// --no-maintenance turns maintenance off in the --handlers host. --postgres <connection string> --schema <name> puts the
// default mode and --handlers on that PostgreSQL schema instead of the file --db names (--db is then not needed).
// A --handlers host also stops on SIGTERM, as an application under a service manager does.
var settings = Settings.Parse(args);
if (settings is null)
{
    await Console.Error.WriteLineAsync(Settings.Usage);
    return 2;
}

if (settings.Handlers)
{
    return await HandlerMode.RunAsync(settings);
}

if (settings.Recurring)
{
    return await RecurringMode.RunAsync(settings);
}

if (settings.Maintenance)
{
    return await MaintenanceMode.RunAsync(settings);
}

if (settings.Enqueuer)
{
    return await EnqueueMode.RunAsync(settings);
}

var queueOptions = new SqliteQueueOptions();
settings.ApplyStore(queueOptions);
await using var queue = new SqliteJobQueue(queueOptions);
await queue.InitializeAsync();
var worker = queue.Create(new WorkerOptions
{
    WorkerId = settings.WorkerId,
    LeaseDuration = TimeSpan.FromMilliseconds(settings.LeaseMs),
});

Emit("ready");

var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var stop = new CancellationTokenSource();
if (settings.ControlStdin)
{
    _ = Task.Run(async () =>
    {
        await StdinControl.ReadAsync(go);
        await stop.CancelAsync();
    });
    await go.Task;
}

var lastClaim = Stopwatch.StartNew();
var reason = "idle";
while (true)
{
    if (stop.IsCancellationRequested)
    {
        reason = "stop";
        break;
    }

    var jobs = await worker.ClaimAsync(settings.Batch);
    if (jobs.Count == 0)
    {
        if (lastClaim.ElapsedMilliseconds >= settings.IdleExitMs)
        {
            break;
        }

        await Task.Delay(20);
        continue;
    }

    lastClaim.Restart();
    foreach (var job in jobs)
    {
        Emit("claimed " + job.Id.ToString(CultureInfo.InvariantCulture));
    }

    foreach (var job in jobs)
    {
        if (settings.HoldMs > 0)
        {
            await Task.Delay(settings.HoldMs);
        }

        var done = await worker.CompleteAsync(job);
        Emit((done ? "completed " : "lost ") + job.Id.ToString(CultureInfo.InvariantCulture));
    }
}

Emit("exit " + reason);
return 0;

internal partial class Program
{
    /// <summary>Starts <paramref name="host"/>, writes "ready", and stops it when stdin says "stop" or closes.</summary>
    public static async Task<int> RunUntilStoppedAsync(Microsoft.Extensions.Hosting.IHost host)
    {
        await host.StartAsync();
        Emit("ready");

        // SIGTERM makes the host's console lifetime request a stop; without watching for it here the process would
        // keep waiting on stdin and never exit.
        var lifetime = host.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>();
        var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStopping.Register(() => terminated.TrySetResult());
        var told = Task.Run(async () =>
        {
            while (await Console.In.ReadLineAsync() is { } line && line.Trim() != "stop")
            {
            }
        });
        var reason = await Task.WhenAny(told, terminated.Task) == told ? "stop" : "terminate";

        await host.StopAsync();
        Emit("exit " + reason);
        return 0;
    }

    public static void Emit(string line)
    {
        lock (Console.Out)
        {
            Console.Out.WriteLine(line);
            Console.Out.Flush();
        }
    }
}

internal sealed record Settings(
    string DbPath, string WorkerId, int LeaseMs, int Batch, int HoldMs, int IdleExitMs, bool ControlStdin, bool Handlers, int Concurrency,
    bool Recurring = false, long SimOriginMs = 0, long RealOriginMs = 0, double Speed = 1, bool Maintenance = false, bool NoMaintenance = false,
    int? WorkerHeartbeatMs = null, int? PollMs = null, bool Enqueuer = false, string? Postgres = null, string? Schema = null)
{
    /// <summary>Points <paramref name="options"/> at the PostgreSQL schema when one was given, else at the SQLite file.</summary>
    public void ApplyStore(SqliteQueueOptions options)
    {
        if (Postgres is not null)
        {
            options.UsePostgreSql(Postgres, o => o.Schema = Schema ?? o.Schema);
        }
        else
        {
            options.ConnectionString = "Data Source=" + DbPath;
        }
    }

    public const string Usage =
        "usage: SqliteQueue.TestWorker (--db <path> | --postgres <connection string> [--schema <name>]) --worker-id <id> [--lease-ms <n>] [--batch <n>] [--hold-ms <n>] [--idle-exit-ms <n>] [--control-stdin] [--handlers [--concurrency <n>] [--worker-heartbeat-ms <n>] [--poll-ms <n>]]"
        + " | --db <path> --worker-id <id> --recurring --sim-origin-ms <unix ms> --real-origin-ms <unix ms> [--speed <x>] [--control-stdin]"
        + " | --db <path> --worker-id <id> --maintenance"
        + " | --db <path> --worker-id <id> --enqueuer";

    public static Settings? Parse(string[] args)
    {
        string? db = null;
        string? id = null;
        string? postgres = null, schema = null;
        int lease = 30_000, batch = 1, hold = 0, idle = 1_000, concurrency = 1;
        int? workerHeartbeat = null, poll = null;
        bool control = false, handlers = false, recurring = false, maintenance = false, noMaintenance = false, enqueuer = false;
        long? simOrigin = null, realOrigin = null;
        var speed = 1.0;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            if (name is "--control-stdin" or "--handlers" or "--recurring" or "--maintenance" or "--no-maintenance" or "--enqueuer")
            {
                enqueuer |= name == "--enqueuer";
                control |= name == "--control-stdin";
                handlers |= name == "--handlers";
                recurring |= name == "--recurring";
                maintenance |= name == "--maintenance";
                noMaintenance |= name == "--no-maintenance";
                continue;
            }

            if (i + 1 >= args.Length)
            {
                return null;
            }

            var value = args[++i];
            switch (name)
            {
                case "--db":
                    db = value;
                    break;
                case "--worker-id":
                    id = value;
                    break;
                case "--postgres":
                    postgres = value;
                    break;
                case "--schema":
                    schema = value;
                    break;
                case "--lease-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    lease = n;
                    break;
                case "--batch" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    batch = n;
                    break;
                case "--hold-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0:
                    hold = n;
                    break;
                case "--idle-exit-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0:
                    idle = n;
                    break;
                case "--concurrency" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    concurrency = n;
                    break;
                case "--worker-heartbeat-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    workerHeartbeat = n;
                    break;
                case "--poll-ms" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
                    poll = n;
                    break;
                case "--sim-origin-ms" when long.TryParse(value, CultureInfo.InvariantCulture, out var ms):
                    simOrigin = ms;
                    break;
                case "--real-origin-ms" when long.TryParse(value, CultureInfo.InvariantCulture, out var ms):
                    realOrigin = ms;
                    break;
                case "--speed" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x):
                    speed = x;
                    break;
                default:
                    return null;
            }
        }

        // The recurring, maintenance and enqueuer modes run on the SQLite file only.
        if ((db is null && postgres is null) || id is null || (recurring && (handlers || simOrigin is null || realOrigin is null))
            || (postgres is not null && (recurring || maintenance || enqueuer)) || (schema is not null && postgres is null))
        {
            return null;
        }

        return new Settings(db ?? "", id, lease, batch, hold, idle, control, handlers, concurrency, recurring, simOrigin ?? 0, realOrigin ?? 0, speed, maintenance, noMaintenance, workerHeartbeat, poll, enqueuer, postgres, schema);
    }
}
