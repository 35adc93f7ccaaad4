using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Internal.Processing;

/// <summary>Runs one worker group for the lifetime of the host.</summary>
internal sealed class QueueWorkerHostedService(JobProcessor processor) : BackgroundService
{
    public JobProcessor Processor => processor;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => processor.RunAsync(stoppingToken);

    /// <summary>
    /// Stops gracefully; if the host's own shutdown time runs out first, the running jobs are released at once
    /// (so another worker takes them without waiting for their leases) before the store is disposed.
    /// </summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (ExecuteTask is { IsCompleted: false } running)
        {
            // The host stopped waiting: release the running jobs now. Releases are a single quick write; give
            // them a moment rather than racing the store's disposal.
            processor.CutShutdownShort();
            await running.WaitAsync(TimeSpan.FromSeconds(5), TimeProvider.System, CancellationToken.None)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }
}
