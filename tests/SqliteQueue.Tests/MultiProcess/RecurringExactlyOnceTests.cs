using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using SqliteQueue.Tests.Infrastructure;
using Xunit.Abstractions;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Several OS processes, each running its own recurring-job scheduler on one queue file, are SIGKILLed at random
/// (one at a time, and sometimes all at once) while a schedule with the fire-each misfire policy runs through well
/// over a thousand simulated occurrences. Every occurrence must make exactly one job: none twice, none missed.
/// <para>
/// The processes share a fast clock (the test worker's RecurringMode): a simulated minute passes in
/// <see cref="RealMsPerOccurrence"/> real milliseconds, the same simulated instant in every process at the same real
/// instant. The schedule fires every simulated minute, so the expected occurrences are simply every minute boundary
/// from the first one after the schedule was created to the last one it handled; the test computes them itself.
/// </para>
/// <para>
/// Two witnesses are kept, and both must agree:
/// the jobs (each carries its occurrence, <c>occurrence_at</c>), and the schedule's log (<c>queue_recurring_log</c>,
/// one 'fired' or 'caught_up' row per job made). The log keeps only its newest 1000 rows, so the test copies it as it
/// goes; its ids are SQLite rowids that only ever grow by one (only the oldest rows are trimmed, and a rolled-back
/// insert gives its id back), so a copy whose ids run 1, 2, 3, … without a hole has provably seen every row.
/// While the jobs are kept, the unique index on (recurring_name, occurrence_at) would turn a second fire into an
/// 'already_fired' log row rather than a second job, so the log is what shows such a fire. When the jobs are
/// deleted as they come, that index no longer guards anything; the test collects each job as it deletes it
/// (<c>DELETE … RETURNING</c>), so every job ever made is seen once.
/// </para>
/// These run on the real clock, scaled; they wait for conditions under generous bounds and assert no duration.
/// </summary>
public sealed partial class RecurringExactlyOnceTests(ITestOutputHelper output)
{
    // The schedule the test worker declares (RecurringMode): "* * * * *", Misfire.RunAll with a grace of one
    // minute and a catch-up cap of 10,000, Overlap.Allow.
    private const string ScheduleName = "exactly-once";
    private const long MinuteMs = 60_000;

    private const int Processes = 3;

    /// <summary>
    /// A simulated minute, one occurrence, every 20 real milliseconds. The log keeps 1000 rows, so a catch-up larger
    /// than that in one tick (every process down for 20 real seconds) would leave the log copy with a hole and fail
    /// the test; on a loaded 2-core machine the longest outage seen was under 8 seconds.
    /// </summary>
    private const double Speed = 3_000;

    private const double RealMsPerOccurrence = MinuteMs / Speed;

    /// <summary>The simulated span the killing goes on for: 1,500 occurrences, 30 real seconds.</summary>
    private const int KilledMinutes = 1_500;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    /// <summary>Tuesday 1 January 2030, midnight UTC: a minute boundary.</summary>
    private static readonly DateTimeOffset SimulatedOrigin = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public Task Every_occurrence_makes_exactly_one_job_while_schedulers_are_killed_at_random() =>
        RunAsync(deleteJobs: false);

    [Fact]
    public Task Every_occurrence_fires_exactly_once_while_schedulers_are_killed_and_every_job_is_deleted_as_it_comes() =>
        RunAsync(deleteJobs: true);

    private async Task RunAsync(bool deleteJobs)
    {
        var wall = Stopwatch.StartNew();
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        output.WriteLine($"seed {seed}; {Processes} processes; speed {Speed} (a simulated minute every {RealMsPerOccurrence} real ms); jobs deleted as they come: {deleteJobs}");

        await using var db = new TestDatabase();
        await db.Queue.InitializeAsync();
        using var raw = db.Raw();
        Execute(raw, "PRAGMA busy_timeout = 30000;");

        var realOriginMs = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        var simulatedOriginMs = SimulatedOrigin.ToUnixTimeMilliseconds();
        long SimulatedNowMs() => simulatedOriginMs + (long)((TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds() - realOriginMs) * Speed);
        var endMs = simulatedOriginMs + (KilledMinutes * MinuteMs);

        var witness = new Witness(raw, deleteJobs);
        var run = new Run(db.Path, simulatedOriginMs, realOriginMs);
        try
        {
            for (var i = 0; i < Processes; i++)
            {
                run.Launch(i);
            }

            // The killing: every 0.3 to 1.5 real seconds, one process is SIGKILLed and replaced at once, or (about
            // one time in seven, and at least once) all of them are, and none runs for 0.2 to 1 real second, so the
            // next one to start must catch up on the occurrences missed meanwhile. The victim is mostly one whose
            // scheduler runs ("ready"); one time in four it is any, perhaps one still starting (syncing its declared
            // schedule into the file). A kill waits until some tick has committed since the previous one: on a
            // loaded machine a process can take seconds to start, and killing faster than the schedulers can commit
            // a catch-up would only grow the backlog (each catch-up is one transaction) until nothing fires at all.
            var clock = Stopwatch.StartNew();
            var nextKill = NextKillAt(clock.Elapsed, random);
            TimeSpan? allDeadUntil = null;
            long? handledAtLastKill = null;
            var events = 0;
            while (SimulatedNowMs() < endMs)
            {
                witness.Observe();
                run.CheckNoneExitedOnItsOwn();
                if (allDeadUntil is { } until)
                {
                    if (clock.Elapsed >= until)
                    {
                        for (var i = 0; i < Processes; i++)
                        {
                            run.Launch(i);
                        }

                        allDeadUntil = null;
                        nextKill = NextKillAt(clock.Elapsed, random);
                    }
                }
                else if (clock.Elapsed >= nextKill && LastOccurrence(raw) is { } handled && handled > (handledAtLastKill ?? long.MinValue))
                {
                    var ready = run.ReadySlots();
                    var anyone = random.NextDouble() < 0.25;
                    if (ready.Count > 0 && (random.NextDouble() < 0.15 || (events >= 5 && run.AllKilled == 0)))
                    {
                        events++;
                        await run.KillAllAsync();
                        allDeadUntil = clock.Elapsed + TimeSpan.FromMilliseconds(random.Next(200, 1_000));
                    }
                    else if (anyone || ready.Count > 0)
                    {
                        events++;
                        var slot = anyone ? random.Next(Processes) : ready[random.Next(ready.Count)];
                        await run.KillAsync(slot);
                        run.Launch(slot);
                        nextKill = NextKillAt(clock.Elapsed, random);
                    }

                    handledAtLastKill = LastOccurrence(raw);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(random.Next(20, 80)));
            }

            // The end: whatever is down comes back, and the processes run on, unharmed, until the schedule has
            // handled the end instant; then they are killed too, wherever they are.
            for (var i = 0; i < Processes; i++)
            {
                if (run.IsDown(i))
                {
                    run.Launch(i);
                }
            }

            using (var bound = new CancellationTokenSource(Bound))
            {
                while (LastOccurrence(raw) is not { } last || last < endMs)
                {
                    witness.Observe();
                    run.CheckNoneExitedOnItsOwn();
                    try
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(50), bound.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        throw new TimeoutException(
                            $"The schedule did not handle its occurrence at {Iso(endMs)} within {Bound} of real time (it stands at {Iso(LastOccurrence(raw))}; simulated now {Iso(SimulatedNowMs())}). Warnings of killed processes: {string.Join(" | ", run.Warnings.Take(10))}.{run.DescribeAll()}");
                    }
                }
            }

            await run.KillAllAsync(final: true);
            witness.Observe();
            var verdict = witness.Judge(Schedule(raw), endMs);

            output.WriteLine($"processes launched {run.Launched}; kills {run.Kills} ({run.KillsAfterReady} of a running scheduler, {run.Kills - run.KillsAfterReady} during start-up), of which all at once {run.AllKilled} times, plus the {Processes} at the end; warnings logged by the processes {run.Warnings.Count}; start-up from go to ready (polled) median {Median(run.StartTimes)} ms, max {(run.StartTimes.Count == 0 ? 0 : run.StartTimes.Max().TotalMilliseconds):F0} ms");
            output.WriteLine(verdict.Summary);
            foreach (var warning in run.Warnings.Take(20))
            {
                output.WriteLine("  " + warning);
            }

            output.WriteLine($"real time {wall.Elapsed.TotalSeconds:F1} s");

            verdict.Problems.Should().BeEmpty(verdict.Summary);
            run.Kills.Should().BeGreaterThanOrEqualTo(5, "the processes were killed over and over");
            run.KillsAfterReady.Should().BeGreaterThanOrEqualTo(3, "some kills hit a running scheduler");
            run.AllKilled.Should().BeGreaterThanOrEqualTo(1, "every process was down at once at least once");
            verdict.CaughtUp.Should().BeGreaterThan(0, "occurrences missed while every process was down were caught up");
        }
        finally
        {
            run.Dispose();
        }
    }

    private static string Median(List<TimeSpan> times) =>
        times.Count == 0 ? "-" : times.Order().ElementAt(times.Count / 2).TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture);

    private static TimeSpan NextKillAt(TimeSpan now, Random random) => now + TimeSpan.FromMilliseconds(random.Next(300, 1_500));

    private static long? LastOccurrence(SqliteConnection raw) =>
        Scalar(raw, $"SELECT last_occurrence FROM queue_recurring WHERE name = '{ScheduleName}';");

    private static ScheduleRow Schedule(SqliteConnection raw)
    {
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT created_at, next_run_at, last_occurrence, occurrences, state FROM queue_recurring WHERE name = $name;";
        command.Parameters.AddWithValue("$name", ScheduleName);
        using var reader = command.ExecuteReader();
        reader.Read().Should().BeTrue("the processes declared the schedule");
        return new ScheduleRow(
            reader.GetInt64(0),
            reader.IsDBNull(1) ? null : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2),
            reader.GetInt64(3),
            reader.GetString(4));
    }

    private static long? Scalar(SqliteConnection raw, string sql)
    {
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : null;
    }

    private static void Execute(SqliteConnection raw, string sql)
    {
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private static string Iso(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v).ToString("O", CultureInfo.InvariantCulture) : "(none)";
}
