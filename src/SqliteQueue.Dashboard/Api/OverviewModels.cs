using SqliteQueue.Monitoring;

namespace SqliteQueue.Dashboard.Api;

/// <summary>One queue's counters; the totals row has <see cref="Queue"/> null.</summary>
internal sealed record QueueRowModel(string? Queue, long Pending, long Runnable, long Running, long Completed, long Dead, long Cancelled, double? OldestRunnableAgeSeconds)
{
    public static QueueRowModel From(QueueStatistics s) =>
        new(s.Queue, s.Pending, s.Runnable, s.Running, s.Completed, s.Dead, s.Cancelled, s.OldestRunnableAge?.TotalSeconds);

    public static QueueRowModel Total(IReadOnlyList<QueueStatistics> all) =>
        new(null, all.Sum(s => s.Pending), all.Sum(s => s.Runnable), all.Sum(s => s.Running), all.Sum(s => s.Completed), all.Sum(s => s.Dead),
            all.Sum(s => s.Cancelled), all.Max(s => s.OldestRunnableAge)?.TotalSeconds);
}

internal sealed record BucketModel(DateTimeOffset Start, long Completed, long Failed);

internal sealed record ThroughputModel(double BucketSeconds, IReadOnlyList<BucketModel> Buckets);

internal sealed record RecurringCountsModel(int Active, int Paused, int Broken);

internal sealed record ProblemModel(string Figure, QueueHealthStatus Status, string Description);

internal sealed record HealthModel(QueueHealthStatus Status, IReadOnlyList<ProblemModel> Problems);

internal sealed record OverviewModel(
    IReadOnlyList<QueueRowModel> Queues, QueueRowModel Totals, int LiveWorkers, ThroughputModel Throughput, RecurringCountsModel Recurring, HealthModel Health);

internal sealed record AntiforgeryModel(string? HeaderName, string? Token);

internal sealed record ConfigModel(string Title, bool ReadOnly, double RefreshSeconds, AntiforgeryModel Antiforgery, string MountPath);

internal sealed record WorkerModel(
    string Id, string Host, int ProcessId, IReadOnlyList<string> Queues, int Concurrency, DateTimeOffset StartedAt, DateTimeOffset LastHeartbeatAt, DateTimeOffset ExpiresAt)
{
    public static WorkerModel From(WorkerInfo w) => new(w.Id, w.Host, w.ProcessId, w.Queues, w.Concurrency, w.StartedAt, w.LastHeartbeatAt, w.ExpiresAt);
}

internal sealed record WorkersModel(IReadOnlyList<WorkerModel> Workers);
