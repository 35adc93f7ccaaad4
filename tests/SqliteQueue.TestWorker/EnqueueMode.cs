using System.Globalization;
using SqliteQueue;

/// <summary>
/// <c>--enqueuer</c>: a process that only enqueues, as a web front end beside a worker process does. It opens the
/// queue file and waits; each "enqueue" line on stdin enqueues one job of <see cref="HandlerMode.JobType"/> (its
/// commit is done before the answer). Lines written:
///   ready            the store is open and migrated
///   enqueued &lt;id&gt;    a job was enqueued
/// It runs until its input closes or says "stop".
/// </summary>
internal static class EnqueueMode
{
    public static async Task<int> RunAsync(Settings settings)
    {
        await using var queue = new SqliteJobQueue(new SqliteQueueOptions { ConnectionString = "Data Source=" + settings.DbPath });
        await queue.InitializeAsync();
        Program.Emit("ready");
        while (await Console.In.ReadLineAsync() is { } line && line.Trim() != "stop")
        {
            if (line.Trim() == "enqueue")
            {
                var id = await queue.Client.EnqueueAsync(HandlerMode.JobType, new HandlerMode.Work(Poison: false));
                Program.Emit("enqueued " + id.ToString(CultureInfo.InvariantCulture));
            }
        }

        Program.Emit("exit stop");
        return 0;
    }
}
