namespace SqliteQueue.Monitoring;

/// <summary>One running hosted worker group, as its row in the file records it.</summary>
/// <param name="Id">The worker id (<see cref="QueueWorkerOptions.WorkerId"/>), also its lease owner on the jobs it runs.</param>
/// <param name="Host">The machine it runs on (<see cref="Environment.MachineName"/>).</param>
/// <param name="ProcessId">Its process's id on that machine.</param>
/// <param name="Queues">The queues it claims from, in its order.</param>
/// <param name="Concurrency">The most handlers it runs at once.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="LastHeartbeatAt">Its last beat.</param>
/// <param name="ExpiresAt">When its row expires unless it beats again: a worker not seen by then is taken for dead.</param>
public sealed record WorkerInfo(
    string Id, string Host, int ProcessId, IReadOnlyList<string> Queues, int Concurrency,
    DateTimeOffset StartedAt, DateTimeOffset LastHeartbeatAt, DateTimeOffset ExpiresAt);
