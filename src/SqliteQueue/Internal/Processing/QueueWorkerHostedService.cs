using Microsoft.Extensions.Hosting;

namespace SqliteQueue.Internal.Processing;

/// <summary>Runs one worker group for the lifetime of the host.</summary>
internal sealed class QueueWorkerHostedService(JobProcessor processor) : BackgroundService
{
    public JobProcessor Processor => processor;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) => processor.RunAsync(stoppingToken);
}
