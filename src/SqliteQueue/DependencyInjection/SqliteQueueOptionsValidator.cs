using System.Text.RegularExpressions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;
using SqliteQueue.Internal;

namespace SqliteQueue.DependencyInjection;

/// <summary>Checks <see cref="SqliteQueueOptions"/> at start-up; each message names the option, the value and the allowed range.</summary>
internal sealed partial class SqliteQueueOptionsValidator : IValidateOptions<SqliteQueueOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteQueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();

        if (options.StoreFactory is not null)
        {
            failures.AddRange(options.ValidateStore?.Invoke() ?? []);
        }
        else if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add("SqliteQueueOptions.ConnectionString is required, for example \"Data Source=jobs.db\".");
        }
        else
        {
            try
            {
                _ = new SqliteConnectionStringBuilder(options.ConnectionString);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
            {
                failures.Add($"SqliteQueueOptions.ConnectionString is not a valid Microsoft.Data.Sqlite connection string: {ex.Message}");
            }
        }

        if (options.TablePrefix is null || !PrefixPattern().IsMatch(options.TablePrefix))
        {
            failures.Add($"SqliteQueueOptions.TablePrefix must be a letter followed by up to 30 letters, digits or underscores; got '{options.TablePrefix}'.");
        }

        if (!Enum.IsDefined(options.Synchronous))
        {
            failures.Add($"SqliteQueueOptions.Synchronous must be Normal or Full; got {options.Synchronous}.");
        }

        Range(failures, nameof(options.BusyTimeout), options.BusyTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        Range(failures, nameof(options.BusyRetries), options.BusyRetries, 0, 100);
        Range(failures, nameof(options.CacheSizeKiB), options.CacheSizeKiB, 256, 4_194_304);
        Range(failures, nameof(options.WalAutoCheckpointPages), options.WalAutoCheckpointPages, 0, 1_048_576);
        Range(failures, nameof(options.JournalSizeLimitBytes), options.JournalSizeLimitBytes, -1L, 16L << 30);
        Range(failures, nameof(options.MmapSizeBytes), options.MmapSizeBytes, 0L, MaxMmapSize);
        Range(failures, nameof(options.DefaultMaxAttempts), options.DefaultMaxAttempts, 1, 1000);
        Range(failures, nameof(options.DefaultLeaseDuration), options.DefaultLeaseDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(failures, nameof(options.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1));
        Range(failures, nameof(options.WorkerHeartbeatInterval), options.WorkerHeartbeatInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(failures, nameof(options.MaxPayloadLength), options.MaxPayloadLength, 1, 1 << 28);

        if (options.DefaultStrategy is null)
        {
            failures.Add("SqliteQueueOptions.DefaultStrategy is required; use one of SchedulingStrategies.");
        }

        if (options.BackoffPolicy is null)
        {
            failures.Add("SqliteQueueOptions.BackoffPolicy is required; the default is new ExponentialBackoff().");
        }

        if (options.JsonSerializerOptions is null)
        {
            failures.Add("SqliteQueueOptions.JsonSerializerOptions is required.");
        }

        if (!Enum.IsDefined(options.Tracing.ProcessSpanParenting))
        {
            failures.Add($"SqliteQueueOptions.Tracing.ProcessSpanParenting must be Link, Parent or None; got {options.Tracing.ProcessSpanParenting}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>SQLite's <c>SQLITE_MAX_MMAP_SIZE</c> in this build: a larger <c>mmap_size</c> would be cut to it silently.</summary>
    internal const long MaxMmapSize = 0x7fff0000;

    private static void Range<T>(List<string> failures, string option, T value, T min, T max)
        where T : IComparable<T> => Guard.OptionInRange(failures, nameof(SqliteQueueOptions), option, value, min, max);

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_]{0,30}\z")]
    private static partial Regex PrefixPattern();
}
