using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Npgsql;
using SqliteQueue.PostgreSql;
using SqliteQueue.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Hosted workers on three simulated hosts (network namespaces, see <see cref="NetworkNamespaceHosts"/>) share one
/// PostgreSQL queue while workers are killed (SIGKILL) or frozen past their lease (SIGSTOP, then SIGCONT) at random.
/// The queue's own execution history is the witness: a handler's side effect happens before its completion commits,
/// so only what the store committed can show a completion by a stale lease. Real processes on the real clock: the test
/// waits for conditions under generous bounds and asserts no duration.
/// </summary>
public sealed class PostgreSqlMultiHostTests(NetworkNamespaceHosts network, ITestOutputHelper output) : IClassFixture<NetworkNamespaceHosts>
{
    private const string JobType = "multi.work";
    private const int JobCount = 3_000;
    private const int WorkersPerHost = 2;
    private const int Concurrency = 4;
    private const int LeaseMs = 2_000;

    // Long enough that the jobs outlast most of the chaos with 24 handlers running, so kills and freezes hit work in flight.
    private const int HoldMs = 250;

    private static readonly TimeSpan ChaosFor = TimeSpan.FromSeconds(25);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Workers_on_three_hosts_killed_and_frozen_at_random_lose_no_job_and_complete_none_on_a_stale_lease()
    {
        await using var schema = new PostgreSqlSchema();
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(PostgreSqlServer.ConnectionString, o => o.Schema = schema.Name));
        await queue.InitializeAsync();
        var ids = await queue.Client.EnqueueManyAsync(
            JobType, Enumerable.Range(0, JobCount).Select(_ => new { Poison = false }), new EnqueueOptions { MaxAttempts = 100 });

        var hosts = network.Hosts;
        var slots = new WorkerProcess[hosts.Count * WorkersPerHost];
        var everyWorker = new List<WorkerProcess>();
        var exitedOnTheirOwn = new List<string>();
        var frozen = new List<WorkerProcess>();
        var thaws = new Dictionary<WorkerProcess, Task>();
        var launched = 0;
        int kills = 0, freezes = 0;
        long? remainingAtFirstFreeze = null;
        try
        {
            WorkerProcess Launch(int slot)
            {
                var host = hosts[slot / WorkersPerHost];
                var connection = new NpgsqlConnectionStringBuilder(PostgreSqlServer.ConnectionString) { Host = host.RootAddress }.ConnectionString;
                var worker = WorkerProcess.StartHostedOnPostgres(
                    host.Namespace, connection, schema.Name, $"{host.Namespace}-w{++launched}", LeaseMs, Concurrency, HoldMs);
                everyWorker.Add(worker);
                return worker;
            }

            for (var slot = 0; slot < slots.Length; slot++)
            {
                slots[slot] = Launch(slot);
            }

            foreach (var worker in slots)
            {
                await worker.WaitUntilAsync(l => l.Contains("ready"), "ready line", Bound);
            }

            // The workers really reach the server from their hosts' addresses, not through loopback.
            var hostAddresses = hosts.Select(h => h.Address).ToHashSet();
            await Eventually.TrueAsync(async () => hostAddresses.IsSubsetOf(await ClientAddressesAsync()), "connections from every host's address", Bound);

            var seed = Environment.TickCount;
            output.WriteLine($"seed {seed}");
            var random = new Random(seed);
            var chaos = Stopwatch.StartNew();
            while (chaos.Elapsed < ChaosFor && await CompletedAsync(queue) < JobCount)
            {
                await Task.Delay(random.Next(1_000, 3_001));
                var slot = random.Next(slots.Length);
                var victim = slots[slot];
                if (victim.HasExited)
                {
                    // Reported below; the host's worker count is kept up meanwhile.
                    exitedOnTheirOwn.Add(victim.Describe());
                    slots[slot] = Launch(slot);
                    continue;
                }

                if (thaws.TryGetValue(victim, out var thaw) && !thaw.IsCompleted)
                {
                    // Killing it now would race its thaw's SIGCONT.
                    continue;
                }

                // The first step always freezes, while most jobs remain, so every run meets stale leases.
                if ((freezes == 0 || random.Next(4) == 0) && !frozen.Contains(victim))
                {
                    // Frozen past its lease, its jobs go to others; when it thaws, its completions must be refused.
                    frozen.Add(victim);
                    await SignalAsync(victim, "STOP");
                    freezes++;
                    // The first freeze outlasts the lease by far, so its jobs are surely taken over; the others thaw
                    // about when the lease runs out, while the new holder's handler may still run, so the stale
                    // completion races the new holder's.
                    remainingAtFirstFreeze ??= JobCount - await CompletedAsync(queue);
                    var frozenFor = freezes == 1 ? LeaseMs + 2_000 : random.Next(LeaseMs, LeaseMs + 1_000);
                    thaws[victim] = ThawLaterAsync(victim, frozenFor);
                }
                else
                {
                    victim.Kill();
                    kills++;
                    slots[slot] = Launch(slot);
                }
            }

            await Task.WhenAll(thaws.Values);
            output.WriteLine($"chaos ran {chaos.Elapsed.TotalSeconds:F1} s: {kills} kills, {freezes} freezes, {launched} processes");
            var drain = Stopwatch.StartNew();
            while (await CompletedAsync(queue) < JobCount)
            {
                slots.Where(w => w.HasExited).Should().BeEmpty("no worker exits on its own: " + string.Join(" ", slots.Where(w => w.HasExited).Select(w => w.Describe())));
                if (drain.Elapsed > Bound)
                {
                    var unfinished = (await queue.Client.ListJobsAsync(new JobQuery { State = JobState.Running, Limit = 20 })).Jobs
                        .Concat((await queue.Client.ListJobsAsync(new JobQuery { State = JobState.Pending, Limit = 20 })).Jobs)
                        .Select(j => string.Create(CultureInfo.InvariantCulture, $"{j.Id} {j.State} #{j.Attempt} {j.LeaseOwner} until {j.LeaseExpiresAt:HH:mm:ss.fff} run at {j.RunAt:HH:mm:ss.fff}"));
                    throw new TimeoutException(
                        $"The survivors did not drain the queue within {Bound}: {string.Join(", ", (await queue.Client.GetStatsAsync()).Queues)}; unfinished: {string.Join("; ", unfinished)}; "
                        + string.Join(" ", slots.Select(w => w.Describe())));
                }

                await Task.Delay(200);
            }

            var stats = await queue.Client.GetStatsAsync();
            stats.Queues.Sum(q => q.Completed).Should().Be(JobCount);
            stats.Queues.Sum(q => q.Pending + q.Running + q.Dead + q.Cancelled).Should().Be(0);

            // Graceful stop of the survivors, frozen-and-thawed ones included.
            foreach (var worker in slots)
            {
                await SignalAsync(worker, "TERM");
            }

            foreach (var worker in slots)
            {
                (await worker.WaitForExitAsync(Bound)).Should().Be(0, worker.Describe());
                worker.Lines.Should().Contain("exit terminate", worker.Describe());
            }

            exitedOnTheirOwn.Should().BeEmpty("no worker exits unless killed or told to");
            kills.Should().BeGreaterThan(2, "the chaos killed workers while jobs remained");

            var jobs = await AllJobsAsync(queue);
            jobs.Select(j => j.Id).Order().Should().Equal(ids.Order());
            jobs.Where(j => j.State != JobState.Completed).Select(j => j.Id).Should().BeEmpty("no job is lost");

            var ranBy = everyWorker
                .SelectMany(w => w.Ran.Select(id => (Id: id, w.WorkerId)))
                .ToLookup(p => p.Id, p => p.WorkerId);

            // The library's warning for a completion the store refused (the worker's lease was gone): its handler ran,
            // yet it did not commit the completion.
            var refusedBy = everyWorker
                .SelectMany(w => w.Lines.Select(l => SettleRefused.Match(l)).Where(m => m.Success)
                    .Select(m => (Id: long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), w.WorkerId)))
                .ToLookup(p => p.Id, p => p.WorkerId);
            var problems = new List<string>();
            var expired = 0;
            foreach (var job in jobs)
            {
                var executions = await queue.Client.GetExecutionsAsync(job.Id);
                expired += executions.Count(e => e.Outcome == ExecutionOutcome.LeaseExpired);
                var completions = executions.Where(e => e.Outcome == ExecutionOutcome.Completed).ToList();
                if (completions.Count != 1)
                {
                    problems.Add($"job {job.Id}: {completions.Count} completed attempts: {Show(executions)}");
                    continue;
                }

                var completion = completions[0];
                var others = executions.Where(e => e != completion).ToList();
                if (completion.Attempt != job.Attempt)
                {
                    problems.Add($"job {job.Id}: completed attempt {completion.Attempt} is not its latest ({job.Attempt}): {Show(executions)}");
                }

                // Every earlier attempt was settled (its lease expired, or it was given back or failed) before the
                // completing one started: no two leases on the job overlapped when it completed.
                if (others.Any(e => e.Outcome is not (ExecutionOutcome.LeaseExpired or ExecutionOutcome.Released or ExecutionOutcome.Failed)
                    || e.FinishedAt > completion.StartedAt))
                {
                    problems.Add($"job {job.Id}: an attempt overlaps the completing one: {Show(executions)}");
                }

                // The history names the lease holder at commit; if every one of that worker's runs of the job was
                // refused, the committed completion came from another process, whose lease was stale.
                var runs = ranBy[job.Id].Count(w => w == completion.WorkerId);
                var refusals = refusedBy[job.Id].Count(w => w == completion.WorkerId);
                if (runs <= refusals)
                {
                    problems.Add($"job {job.Id}: completed under {completion.WorkerId}'s lease, which ran it {runs} times and was refused {refusals} times: {Show(executions)}");
                }

                if (executions.Any(e => RawDatabaseError(e.Error)))
                {
                    problems.Add($"job {job.Id}: a raw database error in its history: {Show(executions)}");
                }
            }

            // A thawed worker's handlers finish on leases others have taken over: the store must have refused them.
            var refused = frozen.Sum(w => w.Lines.Count(l => l.StartsWith("warn ", StringComparison.Ordinal) && l.Contains("lost the lease", StringComparison.Ordinal)));
            output.WriteLine($"{expired} attempts ended by an expired lease; {refused} completions by thawed workers refused");
            problems.Should().BeEmpty();
            expired.Should().BeGreaterThan(0, "the kills and freezes caught handlers holding leases");
            if (remainingAtFirstFreeze > 1_000)
            {
                refused.Should().BeGreaterThan(0, "a worker frozen far past its lease while others claimed came back to stale leases");
            }

            // The library's logger may describe a database error it handled ("warn ..." lines, which name the
            // exception's type without its namespace); an exception escaping to the process ends up on stderr, or in a
            // stdout line the worker did not write as a log line.
            var escaped = everyWorker
                .SelectMany(w => w.Errors.Split('\n').Where(RawDatabaseError).Select(l => $"{w.WorkerId} stderr: {l}")
                    .Concat(w.Lines.Where(l => !l.StartsWith("warn ", StringComparison.Ordinal) && !l.StartsWith("log ", StringComparison.Ordinal))
                        .Where(RawDatabaseError).Select(l => $"{w.WorkerId} stdout: {l}")))
                .ToList();
            escaped.Should().BeEmpty();

            var warnings = everyWorker.SelectMany(w => w.Lines).Where(l => l.StartsWith("warn ", StringComparison.Ordinal)).ToList();
            output.WriteLine($"{warnings.Count} warning lines in all; distinct (first 80 chars):");
            foreach (var group in warnings.GroupBy(l => l[..Math.Min(l.Length, 80)]).OrderByDescending(g => g.Count()).Take(15))
            {
                output.WriteLine($"  {group.Count()} x {group.Key}");
            }

            foreach (var worker in everyWorker.Where(w => w.Errors.Length > 0))
            {
                output.WriteLine($"stderr of {worker.WorkerId}: {worker.Errors}");
            }
        }
        finally
        {
            // SIGKILL ends a stopped process too, so the frozen need no thaw; the thaws are awaited so none outlives the test.
            await Task.WhenAll(thaws.Values.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var worker in everyWorker)
            {
                worker.Dispose();
            }
        }
    }

    private static async Task ThawLaterAsync(WorkerProcess worker, int afterMs)
    {
        await Task.Delay(afterMs);
        await SignalAsync(worker, "CONT");
    }

    private static readonly Regex SettleRefused = new(@"^warn .* lost the lease of job (\d+) \(.*\); the settle was not applied", RegexOptions.CultureInvariant);

    private static bool RawDatabaseError(string? text) =>
        text is not null && (text.Contains("Npgsql.", StringComparison.Ordinal) || text.Contains("PostgresException", StringComparison.Ordinal));

    private static string Show(IEnumerable<JobExecution> executions) =>
        string.Join("; ", executions.Select(e => string.Create(
            CultureInfo.InvariantCulture, $"#{e.Attempt} {e.WorkerId} {e.Outcome} {e.StartedAt:HH:mm:ss.fff}-{e.FinishedAt:HH:mm:ss.fff}")));

    private static async Task<long> CompletedAsync(SqliteJobQueue queue) =>
        (await queue.Client.GetStatsAsync()).Queues.Sum(q => q.Completed);

    private static async Task<List<JobInfo>> AllJobsAsync(SqliteJobQueue queue)
    {
        var jobs = new List<JobInfo>();
        var after = 0L;
        while (true)
        {
            var page = await queue.Client.ListJobsAsync(new JobQuery { AfterId = after, Limit = 1000 });
            if (page.Jobs.Count == 0)
            {
                return jobs;
            }

            jobs.AddRange(page.Jobs);
            after = page.Jobs[^1].Id;
        }
    }

    private static async Task<HashSet<string>> ClientAddressesAsync()
    {
        await using var connection = await PostgreSqlServer.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE client_addr IS NOT NULL", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var addresses = new HashSet<string>();
        while (await reader.ReadAsync())
        {
            addresses.Add(reader.GetString(0));
        }

        return addresses;
    }

    private static async Task SignalAsync(WorkerProcess worker, string signal)
    {
        var start = new ProcessStartInfo("kill") { UseShellExecute = false, RedirectStandardError = true };
        start.ArgumentList.Add("-" + signal);
        start.ArgumentList.Add(worker.ProcessId.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not run kill.");
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.Should().Be(0, $"kill -{signal} {worker.WorkerId} ({error.Trim()})");
    }
}
