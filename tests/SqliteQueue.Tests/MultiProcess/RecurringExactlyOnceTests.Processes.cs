using System.Diagnostics;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>The scheduler processes of the exactly-once tests: launched, killed and replaced.</summary>
public sealed partial class RecurringExactlyOnceTests
{
    /// <summary>
    /// The scheduler processes, one per slot, and what happened to them. A process takes a second or more to boot on
    /// a busy machine, so as many spares as slots are kept booted ("standby", not yet touching the file): a killed
    /// process is replaced by a spare told to go, and a new spare boots meanwhile. Without them the file would mostly
    /// have no scheduler at all, and kills would mostly hit processes still booting.
    /// </summary>
    private sealed class Run(string dbPath, long simulatedOriginMs, long realOriginMs) : IDisposable
    {
        private readonly WorkerProcess?[] _slots = new WorkerProcess?[Processes];
        private readonly Queue<WorkerProcess> _spares = new();
        private readonly Dictionary<WorkerProcess, TimeSpan> _starting = [];
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _started;

        /// <summary>How long processes took from "go" to "ready", as far as the polling saw.</summary>
        public List<TimeSpan> StartTimes { get; } = [];

        /// <summary>Processes told to go, so that they opened the file and started a scheduler.</summary>
        public int Launched { get; private set; }

        public int Kills { get; private set; }

        public int KillsAfterReady { get; private set; }

        public int AllKilled { get; private set; }

        public List<string> Warnings { get; } = [];

        public bool IsDown(int slot) => _slots[slot] is null;

        /// <summary>The slots whose process has started its scheduler.</summary>
        public List<int> ReadySlots() => [.. Enumerable.Range(0, Processes).Where(i => _slots[i] is { } p && p.Lines.Contains("ready"))];

        public void Launch(int slot)
        {
            if (_slots[slot] is not null)
            {
                throw new InvalidOperationException($"Slot {slot} still has a process.");
            }

            while (_spares.Count < Processes)
            {
                _spares.Enqueue(Boot());
            }

            var process = _spares.Dequeue();
            process.Go();
            _slots[slot] = process;
            _starting[process] = _clock.Elapsed;
            Launched++;
            _spares.Enqueue(Boot());
        }

        /// <summary>A process that exited without being killed failed; say how. Notes the start-up times too.</summary>
        public void CheckNoneExitedOnItsOwn()
        {
            foreach (var (process, goAt) in _starting.ToList())
            {
                if (process.Lines.Contains("ready"))
                {
                    StartTimes.Add(_clock.Elapsed - goAt);
                    _starting.Remove(process);
                }
            }

            foreach (var process in _slots.Concat(_spares))
            {
                if (process is { HasExited: true })
                {
                    throw new InvalidOperationException($"Process {process.WorkerId} exited by itself ({process.ExitCode}).{process.Describe()}");
                }
            }
        }

        public async Task KillAsync(int slot) => await KillAsync([slot], final: false);

        /// <summary>Kills every process at once (then waits for them all to be gone); <paramref name="final"/> ends the run.</summary>
        public async Task KillAllAsync(bool final = false)
        {
            await KillAsync([.. Enumerable.Range(0, Processes)], final);
            AllKilled += final ? 0 : 1;
        }

        private async Task KillAsync(int[] slots, bool final)
        {
            var killed = new List<(int Slot, WorkerProcess Process)>();
            foreach (var slot in slots)
            {
                if (_slots[slot] is not { } process)
                {
                    continue;
                }

                if (process.HasExited)
                {
                    throw new InvalidOperationException($"Process {process.WorkerId} exited by itself ({process.ExitCode}) before it was killed.{process.Describe()}");
                }

                var ready = process.Lines.Contains("ready");
                process.Kill();
                killed.Add((slot, process));
                if (!final)
                {
                    Kills++;
                    KillsAfterReady += ready ? 1 : 0;
                }
            }

            foreach (var (slot, process) in killed)
            {
                await process.WaitForExitAsync(Bound);
                Retire(slot, process);
            }
        }

        public string DescribeAll() => string.Concat(_slots.OfType<WorkerProcess>().Select(p => p.Describe()));

        public void Dispose()
        {
            for (var i = 0; i < Processes; i++)
            {
                _slots[i]?.Dispose();
                _slots[i] = null;
            }

            while (_spares.TryDequeue(out var spare))
            {
                spare.Dispose();
            }
        }

        private WorkerProcess Boot() => WorkerProcess.StartRecurring(dbPath, $"proc-{++_started}", simulatedOriginMs, realOriginMs, Speed);

        private void Retire(int slot, WorkerProcess process)
        {
            _starting.Remove(process);
            Warnings.AddRange(process.Lines.Where(l => l.StartsWith("warn ", StringComparison.Ordinal)).Select(l => $"{process.WorkerId}: {l}"));
            process.Dispose();
            _slots[slot] = null;
        }
    }
}
