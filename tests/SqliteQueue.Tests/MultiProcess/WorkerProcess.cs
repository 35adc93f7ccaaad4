using System.Diagnostics;
using System.Globalization;
using System.Text;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// One SqliteQueue.TestWorker process over a queue file, started with <c>--control-stdin</c> so it waits for
/// <see cref="Go"/>. Its stdout lines are collected as they arrive. Disposing kills it if it still runs.
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _errors = new();
    private readonly SemaphoreSlim _changed = new(0);
    private volatile bool _disposed;

    private WorkerProcess(Process process, string workerId)
    {
        _process = process;
        WorkerId = workerId;
    }

    /// <summary>The worker id the process claims under, as recorded in the store.</summary>
    public string WorkerId { get; }

    /// <summary>The built test worker's dll, recorded by the test project's build in an assembly attribute.</summary>
    public static string WorkerDll { get; } = BuiltPrograms.Dll("TestWorkerPath", "The test worker");

    public static WorkerProcess Start(string dbPath, string workerId, int leaseMs, int batch, int holdMs, int idleExitMs) =>
        Launch(workerId,
        [
            "--db", dbPath,
            "--worker-id", workerId,
            "--lease-ms", Number(leaseMs),
            "--batch", Number(batch),
            "--hold-ms", Number(holdMs),
            "--idle-exit-ms", Number(idleExitMs),
            "--control-stdin",
        ]);

    /// <summary>A process running the hosted worker with handlers (see the test worker's HandlerMode); it starts at once.</summary>
    /// <remarks>With <paramref name="pollMs"/>, the worker polls at that interval and the process writes the library's warnings as "warn" lines.</remarks>
    public static WorkerProcess StartHosted(
        string dbPath, string workerId, int leaseMs, int concurrency, int holdMs, bool maintenance = true, int? workerHeartbeatMs = null, int? pollMs = null) =>
        Launch(workerId,
        [
            "--db", dbPath,
            "--worker-id", workerId,
            "--lease-ms", Number(leaseMs),
            "--concurrency", Number(concurrency),
            "--hold-ms", Number(holdMs),
            "--handlers",
            .. maintenance ? Array.Empty<string>() : ["--no-maintenance"],
            .. workerHeartbeatMs is { } beat ? ["--worker-heartbeat-ms", Number(beat)] : Array.Empty<string>(),
            .. pollMs is { } poll ? ["--poll-ms", Number(poll)] : Array.Empty<string>(),
        ]);

    /// <summary>
    /// A process running the hosted worker on a PostgreSQL schema, inside the network namespace <paramref name="netns"/>
    /// (<c>ip netns exec</c>, which execs in place, so <see cref="ProcessId"/> is the worker's own pid). It writes the
    /// library's warnings as "warn" lines, and stops on SIGTERM or "stop" with "exit terminate" or "exit stop".
    /// </summary>
    public static WorkerProcess StartHostedOnPostgres(
        string netns, string connectionString, string schema, string workerId, int leaseMs, int concurrency, int holdMs) =>
        Launch(workerId,
        [
            "--postgres", connectionString,
            "--schema", schema,
            "--worker-id", workerId,
            "--lease-ms", Number(leaseMs),
            "--concurrency", Number(concurrency),
            "--hold-ms", Number(holdMs),
            "--handlers",
        ],
        netns);

    /// <summary>A process that only enqueues, one job of the hosted worker's type per <see cref="Enqueue"/> (see the test worker's EnqueueMode).</summary>
    public static WorkerProcess StartEnqueuer(string dbPath, string workerId) =>
        Launch(workerId, ["--db", dbPath, "--worker-id", workerId, "--enqueuer"]);

    /// <summary>A process running only the queue's maintenance on short intervals (see the test worker's MaintenanceMode); it starts at once.</summary>
    public static WorkerProcess StartMaintenance(string dbPath, string workerId) =>
        Launch(workerId, ["--db", dbPath, "--worker-id", workerId, "--maintenance"]);

    /// <summary>
    /// A process running only the recurring-job scheduler (see the test worker's RecurringMode), on a clock that
    /// reads <paramref name="simulatedOriginMs"/> at the real instant <paramref name="realOriginMs"/> (both Unix ms)
    /// and runs <paramref name="speed"/> times faster. It boots, writes "standby" and waits for <see cref="Go"/>
    /// before it opens the file, so a spare can be kept booted to replace a killed process at once.
    /// </summary>
    public static WorkerProcess StartRecurring(string dbPath, string workerId, long simulatedOriginMs, long realOriginMs, double speed) =>
        Launch(workerId,
        [
            "--db", dbPath,
            "--worker-id", workerId,
            "--recurring",
            "--sim-origin-ms", simulatedOriginMs.ToString(CultureInfo.InvariantCulture),
            "--real-origin-ms", realOriginMs.ToString(CultureInfo.InvariantCulture),
            "--speed", speed.ToString("R", CultureInfo.InvariantCulture),
            "--control-stdin",
        ]);

    private static WorkerProcess Launch(string workerId, string[] args, string? netns = null)
    {
        var start = BuiltPrograms.StartInfo(WorkerDll, args);
        if (netns is not null)
        {
            string[] wrapper = ["netns", "exec", netns, start.FileName];
            for (var i = wrapper.Length - 1; i >= 0; i--)
            {
                start.ArgumentList.Insert(0, wrapper[i]);
            }

            start.FileName = "ip";
        }

        var process = new Process { StartInfo = start };
        var worker = new WorkerProcess(process, workerId);
        process.OutputDataReceived += (_, e) => worker.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => worker.OnError(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"Could not start {start.FileName} {WorkerDll}.");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The OS process id.</summary>
    public int ProcessId => _process.Id;

    public int ExitCode => _process.ExitCode;

    /// <summary>Every stdout line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The ids of the "completed" lines so far, in order.</summary>
    public IReadOnlyList<long> Completed => IdsOf("completed");

    /// <summary>The ids of the "claimed" lines so far, in order.</summary>
    public IReadOnlyList<long> Claimed => IdsOf("claimed");

    /// <summary>The ids of the "lost" lines so far (completions refused because the lease had been lost).</summary>
    public IReadOnlyList<long> Lost => IdsOf("lost");

    /// <summary>Lets the process start claiming.</summary>
    public void Go() => Send("go");

    /// <summary>Asks an enqueuer process to enqueue one job; it answers "enqueued &lt;id&gt;" once committed.</summary>
    public void Enqueue() => Send("enqueue");

    /// <summary>The ids of the "enqueued" lines so far, in order.</summary>
    public IReadOnlyList<long> Enqueued => IdsOf("enqueued");

    /// <summary>The ids of the "ran" lines so far (a hosted worker's handlers), in order.</summary>
    public IReadOnlyList<long> Ran => IdsOf("ran");

    /// <summary>Asks the process to finish its current batch and exit.</summary>
    public void Stop() => Send("stop");

    /// <summary>Waits until the stdout lines so far satisfy <paramref name="condition"/>.</summary>
    public async Task WaitUntilAsync(Func<IReadOnlyList<string>, bool> condition, string what, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!condition(Lines))
        {
            if (_process.HasExited && !condition(Lines))
            {
                // Let the last lines drain before deciding.
                await _process.WaitForExitAsync(cts.Token);
                if (condition(Lines))
                {
                    return;
                }

                throw new InvalidOperationException($"Worker {WorkerId} exited ({_process.ExitCode}) before {what}.{Describe()}");
            }

            try
            {
                await _changed.WaitAsync(TimeSpan.FromMilliseconds(200), cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Worker {WorkerId}: no {what} within {timeout}.{Describe()}");
            }
        }
    }

    /// <summary>Waits for the process to exit and its output to drain.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Worker {WorkerId} did not exit within {timeout}.{Describe()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Kills the process at once: SIGKILL on Linux and macOS, so it gets no chance to clean up.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>Every stderr line so far.</summary>
    public string Errors
    {
        get
        {
            lock (_lock)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>The process's output, for failure messages.</summary>
    public string Describe()
    {
        var lines = Lines;
        string errors;
        lock (_lock)
        {
            errors = _errors.ToString();
        }

        var tail = string.Join(" | ", lines.Skip(Math.Max(0, lines.Count - 10)));
        return $" Last stdout lines of {WorkerId} ({lines.Count} in all): {tail}. Stderr: {(errors.Length == 0 ? "(none)" : errors)}";
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
        finally
        {
            _disposed = true;
            _process.Dispose();
            _changed.Dispose();
        }
    }

    private List<long> IdsOf(string verb)
    {
        var prefix = verb + " ";
        return Lines
            .Where(l => l.StartsWith(prefix, StringComparison.Ordinal))
            .Select(l => long.Parse(l.AsSpan(prefix.Length), CultureInfo.InvariantCulture))
            .ToList();
    }

    private void Send(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    private void OnLine(string? line)
    {
        if (line is not null)
        {
            lock (_lock)
            {
                _lines.Add(line);
            }
        }

        // The output of a process that has exited may still be read after the test disposed this: nobody waits then.
        if (!_disposed)
        {
            try
            {
                _changed.Release();
            }
            catch (ObjectDisposedException)
            {
                // Disposed between the check and the release.
            }
        }
    }

    private void OnError(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lock)
        {
            _errors.AppendLine(line);
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
