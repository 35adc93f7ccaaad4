using Microsoft.Extensions.Options;
using SqliteQueue.Maintenance;

namespace SqliteQueue.Internal.Maintenance;

/// <summary>Checks <see cref="MaintenanceOptions"/>; every failure names the option and its value.</summary>
internal static class MaintenanceOptionsValidator
{
    public static void ThrowIfInvalid(MaintenanceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Range(failures, nameof(options.PruneInterval), options.PruneInterval, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(failures, nameof(options.CheckpointInterval), options.CheckpointInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        Range(failures, nameof(options.LeaseDuration), options.LeaseDuration, TimeSpan.FromSeconds(5), TimeSpan.FromHours(1));
        if (options.IntegrityCheckInterval is { } integrity)
        {
            Range(failures, nameof(options.IntegrityCheckInterval), integrity, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
        }

        if (options.BackupInterval is { } backup)
        {
            Range(failures, nameof(options.BackupInterval), backup, TimeSpan.FromMinutes(1), TimeSpan.FromDays(365));
            if (string.IsNullOrWhiteSpace(options.BackupDirectory))
            {
                failures.Add($"{nameof(MaintenanceOptions)}.{nameof(options.BackupDirectory)} is required when {nameof(options.BackupInterval)} is set.");
            }
        }

        if (options.BackupDirectory is { } directory)
        {
            try
            {
                QueueMaintenance.ValidatePath(Path.Combine(directory, "backup.db"), nameof(options.BackupDirectory));
            }
            catch (ArgumentException ex)
            {
                failures.Add($"{nameof(MaintenanceOptions)}.{nameof(options.BackupDirectory)} '{directory}' is not usable: {ex.Message}");
            }
        }

        if (options.WalSizeLimitBytes is < 1L << 20 or > 16L << 30)
        {
            failures.Add($"{nameof(MaintenanceOptions)}.{nameof(options.WalSizeLimitBytes)} must be from 1 MiB to 16 GiB; got {options.WalSizeLimitBytes}.");
        }

        if (options.BackupsToKeep is < 1 or > 10_000)
        {
            failures.Add($"{nameof(MaintenanceOptions)}.{nameof(options.BackupsToKeep)} must be from 1 to 10000; got {options.BackupsToKeep}.");
        }

        try
        {
            QueueMaintenance.ValidateRetention(options.Retention, $"{nameof(MaintenanceOptions)}.{nameof(options.Retention)}");
        }
        catch (ArgumentException ex)
        {
            failures.Add(ex.Message);
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(MaintenanceOptions), failures);
        }
    }

    private static void Range(List<string> failures, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{nameof(MaintenanceOptions)}.{name} must be from {min} to {max}; got {value}.");
        }
    }
}
