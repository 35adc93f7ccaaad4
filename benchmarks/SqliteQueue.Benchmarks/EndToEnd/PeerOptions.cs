using System.Globalization;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>The command line of the <c>peer</c> mode.</summary>
internal sealed record PeerOptions(int Jobs, int LatencySamples, int IdleSeconds, bool Diagnostics)
{
    public const string Usage =
        "usage: peer [--jobs N] [--latency-samples N] [--idle-seconds N] [--diagnostics]\n" +
        "       peer-drain [jobs] [concurrency...] [--telemetry none|listener|otel]   (W2 and the raw cycle only)\n" +
        "       peer-w1 [jobs] [rounds]   (W1 only: the queue against the Microsoft.Data.Sqlite and the C-API baselines)\n" +
        "       peer-wake [--rounds N] [--enqueue-only] [--jobs N] [--latency-samples N] [--idle-seconds N]   (the wake-up file on and off: W1, W3 across processes, idle CPU)\n" +
        "       peer-enqueue --db PATH [--no-wake]   (helper: enqueues one job per line \"go SEQ\" read from stdin, stops at \"quit\")";

    public static PeerOptions? Parse(IReadOnlyList<string> args)
    {
        var jobs = 20_000;
        var samples = 200;
        int? idle = null;
        var diagnostics = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--jobs" when i + 1 < args.Count && TryPositive(args[i + 1], out jobs):
                case "--latency-samples" when i + 1 < args.Count && TryPositive(args[i + 1], out samples):
                case "--idle-seconds" when i + 1 < args.Count && TryPositive(args[i + 1], out var seconds) && (idle = seconds) > 0:
                    i++;
                    break;
                case "--diagnostics":
                    diagnostics = true;
                    break;
                default:
                    return null;
            }
        }

        // A scaled-down run (a CI smoke run) also idles for less: 10 s at 20,000 jobs, down to 2 s.
        return new PeerOptions(jobs, samples, idle ?? Math.Clamp(jobs / 2_000, 2, 10), diagnostics);
    }

    private static bool TryPositive(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value > 0;
}
