using SqliteQueue.Maintenance;

namespace SqliteQueue.Dashboard.Api;

internal sealed record CheckpointModel(CheckpointMode Mode, bool Busy, long LogFrames, long CheckpointedFrames, long WalBytesAfter, double DurationMs)
{
    public static CheckpointModel? From(CheckpointResult? c) =>
        c is null ? null : new(c.Mode, c.Busy, c.LogFrames, c.CheckpointedFrames, c.WalBytesAfter, c.Duration.TotalMilliseconds);
}

internal sealed record MaintenanceRunModel(string Task, DateTimeOffset StartedAt, DateTimeOffset FinishedAt, bool Succeeded, string Summary, string Owner)
{
    public static MaintenanceRunModel From(MaintenanceRun r) => new(r.Task, r.StartedAt, r.FinishedAt, r.Succeeded, r.Summary, r.Owner);
}

internal sealed record StorageInfoModel(
    string? Path, long FileBytes, long WalBytes, int PageSize, long PageCount, long FreePages, AutoVacuumMode AutoVacuum,
    CheckpointModel? LastCheckpoint, IReadOnlyList<MaintenanceRunModel> LastRuns)
{
    public static StorageInfoModel From(StorageInfo s) =>
        new(s.Path, s.FileBytes, s.WalBytes, s.PageSize, s.PageCount, s.FreePages, s.AutoVacuum, CheckpointModel.From(s.LastCheckpoint),
            s.LastRuns.Select(MaintenanceRunModel.From).ToList());
}

internal sealed record IntegrityModel(DateTimeOffset CheckedAt, bool Ok);

internal sealed record StorageModel(StorageInfoModel Storage, IntegrityModel? Integrity);
