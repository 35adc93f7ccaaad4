using Microsoft.Extensions.Options;
using SqliteQueue.Internal;

namespace SqliteQueue.DependencyInjection;

/// <summary>Checks <see cref="QueueWorkerOptions"/>; each message names the option, the value and the allowed range.</summary>
internal static class QueueWorkerOptionsValidator
{
    public static void ThrowIfInvalid(QueueWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Validate(options);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(QueueWorkerOptions), typeof(QueueWorkerOptions), failures);
        }
    }

    public static List<string> Validate(QueueWorkerOptions options)
    {
        var failures = new List<string>();
        if (options.WorkerId is not null && !Guard.IsValidName(options.WorkerId))
        {
            failures.Add($"QueueWorkerOptions.WorkerId must be 1 to {Guard.MaxNameLength} characters, at least one of them visible, without control characters; got {Errors.Show(options.WorkerId)}.");
        }

        if (options.Queues is null || options.Queues.Count is 0 or > 100)
        {
            failures.Add($"QueueWorkerOptions.Queues must name 1 to 100 queues; got {options.Queues?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}.");
        }
        else
        {
            foreach (var queue in options.Queues)
            {
                if (queue is null || !Guard.IsValidName(queue))
                {
                    failures.Add($"QueueWorkerOptions.Queues holds an invalid queue name {Errors.Show(queue)}.");
                }
            }

            if (options.Queues.Distinct(StringComparer.Ordinal).Count() != options.Queues.Count)
            {
                failures.Add("QueueWorkerOptions.Queues names a queue twice.");
            }
        }

        Range(failures, nameof(options.Concurrency), options.Concurrency, 1, 1000);
        Range(failures, nameof(options.BatchSize), options.BatchSize, 1, 1000);
        Range(failures, nameof(options.Prefetch), options.Prefetch, 0, 10_000);
        Range(failures, nameof(options.LeaseDuration), options.LeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(failures, nameof(options.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(failures, nameof(options.ShutdownTimeout), options.ShutdownTimeout, TimeSpan.Zero, TimeSpan.FromHours(1));
        if (options.HeartbeatInterval is { } heartbeat && (heartbeat <= TimeSpan.Zero || heartbeat >= options.LeaseDuration))
        {
            failures.Add($"QueueWorkerOptions.HeartbeatInterval must be greater than zero and less than LeaseDuration ({options.LeaseDuration}), or leases expire between beats; got {heartbeat}.");
        }

        return failures;
    }

    private static void Range<T>(List<string> failures, string option, T value, T min, T max)
        where T : IComparable<T> => Guard.OptionInRange(failures, nameof(QueueWorkerOptions), option, value, min, max);
}
