using Microsoft.AspNetCore.Http;
using SqliteQueue.Dashboard.Internal;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Dashboard.Api;

/// <summary><c>GET api/workers</c>, <c>GET api/storage</c> and <c>POST api/storage/checkpoint</c>.</summary>
internal static class StorageApi
{
    /// <summary>The task name <see cref="IQueueMaintenance.CheckIntegrityAsync"/> records its runs under.</summary>
    public const string IntegrityTask = "integrity";

    public static async Task<IResult> WorkersAsync(DashboardServices dashboard, HttpContext context)
    {
        var workers = await dashboard.Queue.Monitor.ListWorkersAsync(context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(new WorkersModel(workers.Select(WorkerModel.From).ToList()));
    }

    public static async Task<IResult> StorageAsync(DashboardServices dashboard, HttpContext context)
    {
        var info = await dashboard.Queue.Maintenance.GetStorageInfoAsync(context.RequestAborted).ConfigureAwait(false);
        var integrity = info.LastRuns.FirstOrDefault(r => r.Task == IntegrityTask) is { } run ? new IntegrityModel(run.FinishedAt, run.Succeeded) : null;
        return DashboardJson.Ok(new StorageModel(StorageInfoModel.From(info), integrity));
    }

    /// <summary>A passive checkpoint: it never waits for readers or writers, so it is safe to press at any time.</summary>
    public static async Task<IResult> CheckpointAsync(DashboardServices dashboard, HttpContext context)
    {
        var result = await dashboard.Queue.Maintenance.CheckpointAsync(CheckpointMode.Passive, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        return DashboardJson.Ok(CheckpointModel.From(result)!);
    }
}
