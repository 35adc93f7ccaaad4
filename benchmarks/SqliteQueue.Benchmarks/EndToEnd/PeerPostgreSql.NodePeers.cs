using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Npgsql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>graphile-worker and pg-boss, run as Node child processes.</summary>
internal static partial class PeerPostgreSql
{
    /// <summary>Runs benchmarks/peers-pg/&lt;peer&gt;.mjs with node and returns its JSON line; its other output goes to this console.</summary>
    private static async Task<JsonObject> RunPeerAsync(string peersDir, string peer, string cs, int jobs, int samples)
    {
        var start = new ProcessStartInfo
        {
            FileName = "node",
            WorkingDirectory = peersDir,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { $"{peer}.mjs", "--url", NodeUrl(cs), "--jobs", jobs.ToString(CultureInfo.InvariantCulture), "--latency-samples", samples.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"node {peer}.mjs did not start.");
        string? json = null;
        while (await process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.StartsWith('{'))
            {
                json = line;
            }
            else
            {
                Print($"  [{peer}] {line}");
            }
        }

        await process.WaitForExitAsync();
        if (process.ExitCode != 0 || json is null)
        {
            throw new InvalidOperationException($"node {peer}.mjs exited with {process.ExitCode} and {(json is null ? "no" : "a")} JSON line.");
        }

        return JsonNode.Parse(json)!.AsObject();
    }

    /// <summary>node-postgres takes a URL; the same server, user and database as the Npgsql connection string.</summary>
    private static string NodeUrl(string cs)
    {
        var b = new NpgsqlConnectionStringBuilder(cs);
        var user = Uri.EscapeDataString(b.Username ?? Environment.UserName);
        var password = string.IsNullOrEmpty(b.Password) ? "" : ":" + Uri.EscapeDataString(b.Password);
        return $"postgres://{user}{password}@{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database ?? b.Username ?? "postgres")}";
    }

    private static string? FindPeersDirectory()
    {
        foreach (var from in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "benchmarks", "peers-pg");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
