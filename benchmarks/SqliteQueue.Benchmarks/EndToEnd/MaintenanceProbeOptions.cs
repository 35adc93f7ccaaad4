using System.Globalization;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>The command line of the maintenance probes (<c>prune-load</c>, <c>wal-reader</c>, <c>backup-load</c>).</summary>
/// <param name="Jobs">Jobs in the file before the load starts (prune-load, backup-load), or jobs the producer pushes (wal-reader).</param>
/// <param name="Seconds">Length of each measured phase (prune-load, backup-load), or how long the reader is held (wal-reader).</param>
/// <param name="Workers">Claim-and-complete loops, each an <see cref="IWorker"/> of its own.</param>
/// <param name="Rate">Enqueues per second of the producer, one awaited call at a time; 0 for as fast as it can.</param>
/// <param name="CheckpointSeconds">wal-reader: <see cref="Maintenance.MaintenanceOptions.CheckpointInterval"/>.</param>
/// <param name="WalLimitMiB">wal-reader: <see cref="Maintenance.MaintenanceOptions.WalSizeLimitBytes"/>, in MiB.</param>
/// <param name="PayloadBytes">backup-load: the size of each job's JSON payload.</param>
internal sealed record MaintenanceProbeOptions(
    int Jobs, double Seconds, int Workers, int Rate, double CheckpointSeconds, int WalLimitMiB, int PayloadBytes)
{
    public static string Usage(string mode) =>
        $"usage: {mode} [--jobs N] [--seconds S] [--workers N] [--rate N] [--checkpoint-seconds S] [--wal-limit-mib N] [--payload-bytes N]\n" +
        "  prune-load   defaults: --jobs 1000000 finished jobs, --seconds 20 per phase, --workers 3, --rate 2000\n" +
        "  wal-reader   defaults: --jobs 100000 pushed, --seconds 60 reader held, --workers 3, --rate 2000, --checkpoint-seconds 10, --wal-limit-mib 64\n" +
        "  backup-load  defaults: --jobs 1000000 in the file, --payload-bytes 900, --seconds 10 before the backup, --workers 3, --rate 0 (unthrottled)";

    public static MaintenanceProbeOptions? Parse(IReadOnlyList<string> args, MaintenanceProbeOptions defaults)
    {
        var o = defaults;
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                return null;
            }

            var value = args[i + 1];
            o = args[i] switch
            {
                "--jobs" when Int(value) is > 0 and var v => o with { Jobs = v },
                "--seconds" when Real(value) is > 0 and var v => o with { Seconds = v },
                "--workers" when Int(value) is > 0 and var v => o with { Workers = v },
                "--rate" when Int(value) is >= 0 and var v => o with { Rate = v },
                "--checkpoint-seconds" when Real(value) is >= 0.1 and var v => o with { CheckpointSeconds = v },
                "--wal-limit-mib" when Int(value) is > 0 and var v => o with { WalLimitMiB = v },
                "--payload-bytes" when Int(value) is >= 64 and var v => o with { PayloadBytes = v },
                _ => null,
            };
            if (o is null)
            {
                return null;
            }
        }

        return o;
    }

    private static int Int(string text) =>
        int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : -1;

    private static double Real(string text) =>
        double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var v) ? v : -1;
}
