using Microsoft.Extensions.Hosting;
using SqliteQueue.Recurring;

namespace SqliteQueue.Internal.Recurring;

/// <summary>
/// The recurring-job scheduler for the lifetime of a host. Starting, it syncs the schedules declared in code (before
/// the host's later services start, so a worker never sees a stale schedule fire), then fires them until the host stops.
/// </summary>
internal sealed class RecurringHostedService(SqliteJobQueue queue, IEnumerable<RecurringDeclaration> declarations, RecurringSchedulerOptions options) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var declared = declarations.Select(d => d.Build(queue.Store.Options.JsonSerializerOptions)).ToList();

        // A host that declares nothing never removes anything: an empty list is far more likely a process that does
        // not own the schedules (a web front end, a tool) than a wish to delete them all.
        if (declared.Count > 0)
        {
            await queue.RecurringJobs.SyncAsync(declared, options.RemoveUndeclared, cancellationToken).ConfigureAwait(false);
        }

        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        // Every worker host adds the scheduler: on a store recurring jobs do not run on yet it stands aside when none are declared.
        options.RunScheduler && (queue.HasRecurring || declarations.Any()) ? queue.RunRecurringSchedulerAsync(stoppingToken) : Task.CompletedTask;
}

/// <summary>One <c>AddRecurringJob</c> call, kept in the service collection until the host starts.</summary>
internal sealed class RecurringDeclaration(string name, RecurringJobBuilder builder)
{
    public string Name => name;

    public RecurringJobDefinition Build(System.Text.Json.JsonSerializerOptions json) => builder.Build(json);
}

