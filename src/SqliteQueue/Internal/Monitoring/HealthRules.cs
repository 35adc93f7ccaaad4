using System.Globalization;
using SqliteQueue.Internal.Storage;
using SqliteQueue.Monitoring;

namespace SqliteQueue.Internal.Monitoring;

/// <summary>Judges a <see cref="HealthReading"/> by <see cref="QueueHealthOptions"/>: pure, so every rule is tested without a file.</summary>
internal static class HealthRules
{
    public static QueueHealthReport Unreadable(DateTimeOffset checkedAt, Exception ex, long expectedVersion)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            [QueueHealthFigures.StoreReachable] = false,
            [QueueHealthFigures.StoreError] = ex.Message,
            [QueueHealthFigures.SchemaVersionExpected] = expectedVersion,
        };
        var problem = new QueueHealthProblem(QueueHealthFigures.StoreReachable, QueueHealthStatus.Unhealthy,
            $"The queue store could not be read: {ex.Message}");
        return new QueueHealthReport(checkedAt, [problem], data, ex);
    }

    public static QueueHealthReport Evaluate(HealthReading r, QueueHealthOptions o, long expectedVersion, bool recordsIntegrityChecks)
    {
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var problems = new List<QueueHealthProblem>();
        var checkedAt = Times.FromMs(r.Now);
        data[QueueHealthFigures.StoreReachable] = true;
        data[QueueHealthFigures.SchemaVersion] = r.SchemaVersion ?? 0;
        data[QueueHealthFigures.SchemaVersionExpected] = expectedVersion;
        if (!r.SchemaCurrent)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.SchemaVersion, QueueHealthStatus.Unhealthy, r.SchemaVersion > expectedVersion
                ? Invariant($"The file's schema version {r.SchemaVersion} is newer than this library's {expectedVersion}: a newer version of SqliteQueue wrote it; upgrade this application.")
                : Invariant($"The queue tables are at schema version {r.SchemaVersion}, and this library needs {expectedVersion}: the file has not been opened by this version yet (it migrates on first use).")));
            return new QueueHealthReport(checkedAt, problems, data, null);
        }

        Backlog(r, o, data, problems);

        data[QueueHealthFigures.DeadLastHour] = r.DeadLastHour;
        if (o.MaxDeadPerHour is { } maxDead && r.DeadLastHour > maxDead)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.DeadLastHour, QueueHealthStatus.Degraded,
                Invariant($"{Count(r.DeadLastHour, "job")} died in the last hour, more than the {maxDead} allowed (MaxDeadPerHour).")));
        }

        data[QueueHealthFigures.LiveWorkers] = r.LiveWorkers;
        if (o.MinLiveWorkers is { } minWorkers && r.LiveWorkers < minWorkers)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.LiveWorkers, QueueHealthStatus.Degraded,
                Invariant($"Live workers on the file: {r.LiveWorkers}, fewer than the {minWorkers} expected (MinLiveWorkers); jobs wait until one runs.")));
        }

        data[QueueHealthFigures.FileBytes] = r.FileBytes;
        data[QueueHealthFigures.WalBytes] = r.WalBytes;
        if (o.MaxWalSize is { } maxWal && r.WalBytes > maxWal)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.WalBytes, QueueHealthStatus.Degraded,
                Invariant($"The WAL is {r.WalBytes} bytes, over the {maxWal} allowed (MaxWalSize): checkpoints are not keeping up, most often because a reader holds an old snapshot open.")));
        }

        if (recordsIntegrityChecks)
        {
            Integrity(r, o, data, problems);
        }

        data[QueueHealthFigures.BrokenRecurringJobs] = (long)r.BrokenRecurring.Count;
        data[QueueHealthFigures.BrokenRecurringNames] = string.Join(", ", r.BrokenRecurring);
        if (o.MaxBrokenRecurringJobs is { } maxBroken && r.BrokenRecurring.Count > maxBroken)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.BrokenRecurringJobs, QueueHealthStatus.Degraded,
                Invariant($"Broken recurring schedules, which do not fire until fixed: {r.BrokenRecurring.Count} ({string.Join(", ", r.BrokenRecurring)}), more than the {maxBroken} allowed (MaxBrokenRecurringJobs).")));
        }

        if (r.Prune is { } prune)
        {
            data[QueueHealthFigures.MaintenanceAge] = Seconds(r.Now - Times.ToMs(prune.FinishedAt));
        }

        if (o.MaxMaintenanceAge is { } maxMaintenance)
        {
            if (r.Prune is null)
            {
                problems.Add(new QueueHealthProblem(QueueHealthFigures.MaintenanceAge, QueueHealthStatus.Degraded,
                    "No maintenance run is recorded in the file: no process runs maintenance (MaxMaintenanceAge)."));
            }
            else if (checkedAt - r.Prune.FinishedAt > maxMaintenance)
            {
                problems.Add(new QueueHealthProblem(QueueHealthFigures.MaintenanceAge, QueueHealthStatus.Degraded,
                    Invariant($"Maintenance last ran {Describe(checkedAt - r.Prune.FinishedAt)} ago, longer than the {maxMaintenance} allowed (MaxMaintenanceAge): no process holds the maintenance lease, or it is failing.")));
            }
        }

        // Worst first, so a one-line summary leads with what matters.
        problems.Sort((a, b) => b.Status.CompareTo(a.Status));
        return new QueueHealthReport(checkedAt, problems, data, null);
    }

    private static void Backlog(HealthReading r, QueueHealthOptions o, Dictionary<string, object> data, List<QueueHealthProblem> problems)
    {
        var oldest = 0.0;
        long runnable = 0;
        foreach (var row in r.Runnable.OrderBy(q => q.Queue, StringComparer.Ordinal))
        {
            var age = TimeSpan.FromMilliseconds(Math.Max(0, r.Now - row.OldestRunAt));
            var figure = QueueHealthFigures.OldestRunnableAge + ":" + row.Queue;
            data[figure] = age.TotalSeconds;
            oldest = Math.Max(oldest, age.TotalSeconds);
            runnable += row.Count;
            if (o.MaxOldestRunnableAge is { } max && age > max)
            {
                problems.Add(new QueueHealthProblem(figure, QueueHealthStatus.Degraded,
                    Invariant($"Queue '{row.Queue}' has {Count(row.Count, "runnable job")} and the oldest has waited {Describe(age)}, longer than the {max} allowed (MaxOldestRunnableAge): its workers are missing, stuck or too few.")));
            }
        }

        data[QueueHealthFigures.RunnableJobs] = runnable;
        data[QueueHealthFigures.OldestRunnableAge] = oldest;
    }

    private static void Integrity(HealthReading r, QueueHealthOptions o, Dictionary<string, object> data, List<QueueHealthProblem> problems)
    {
        var checkedAt = Times.FromMs(r.Now);
        if (r.Integrity is not { } run)
        {
            data[QueueHealthFigures.IntegrityCheck] = "never";
            if (o.MaxIntegrityCheckAge is not null)
            {
                problems.Add(new QueueHealthProblem(QueueHealthFigures.IntegrityCheck, QueueHealthStatus.Degraded,
                    "No integrity check is recorded in the file (MaxIntegrityCheckAge): maintenance runs one daily, or call IQueueMaintenance.CheckIntegrityAsync."));
            }

            return;
        }

        var age = checkedAt - run.FinishedAt;
        data[QueueHealthFigures.IntegrityCheck] = run.Succeeded ? "ok" : "failed";
        data[QueueHealthFigures.IntegrityCheckAge] = age.TotalSeconds;
        if (!run.Succeeded)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.IntegrityCheck, QueueHealthStatus.Unhealthy,
                Invariant($"The last integrity check, {Describe(age)} ago, failed: {run.Summary}. Restore a backup (see docs/operations.md).")));
        }
        else if (o.MaxIntegrityCheckAge is { } max && age > max)
        {
            problems.Add(new QueueHealthProblem(QueueHealthFigures.IntegrityCheckAge, QueueHealthStatus.Degraded,
                Invariant($"The last integrity check ran {Describe(age)} ago, longer than the {max} allowed (MaxIntegrityCheckAge).")));
        }
    }

    private static string Count(long n, string what) => n == 1 ? "1 " + what : n.ToString(CultureInfo.InvariantCulture) + " " + what + "s";

    private static double Seconds(long ms) => Math.Max(0, ms) / 1000.0;

    /// <summary>Whole seconds, in the same form as the thresholds beside it (TimeSpan's "c").</summary>
    private static string Describe(TimeSpan age) => TimeSpan.FromSeconds(Math.Floor(Math.Max(0, age.TotalSeconds))).ToString("c", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
