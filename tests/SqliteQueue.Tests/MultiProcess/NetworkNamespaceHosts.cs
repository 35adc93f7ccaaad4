using System.Diagnostics;
using System.Globalization;

namespace SqliteQueue.Tests.MultiProcess;

/// <summary>
/// Three simulated hosts: Linux network namespaces, each joined to the root namespace by a veth pair on its own /30 in
/// 10.231.0.0/16 (root side .1, host side .2), the range scripts/postgres.sh admits. Processes started in a namespace
/// reach the test server only through that pair, as a worker on another machine would reach it over the network.
/// Names carry this process's id, so concurrent runs do not collide; everything is removed on dispose, also after a
/// partial setup. Without the rights to do this (not root), construction throws: the test fails rather than skips.
/// </summary>
public sealed class NetworkNamespaceHosts : IDisposable
{
    public const int Count = 3;

    private readonly List<string> _created = [];

    public NetworkNamespaceHosts()
    {
        var pid = Environment.ProcessId;
        try
        {
            for (var n = 0; n < Count; n++)
            {
                // "sqh" + pid (at most 7 digits) + n + a/b stays within the 15 characters of an interface name.
                var name = string.Create(CultureInfo.InvariantCulture, $"sqh{pid}{n}");
                var offset = (((pid % 5000) * Count) + n) * 4;
                var prefix = string.Create(CultureInfo.InvariantCulture, $"10.231.{offset >> 8}.");
                var low = offset & 255;
                var host = new Host(
                    name,
                    prefix + (low + 1).ToString(CultureInfo.InvariantCulture),
                    prefix + (low + 2).ToString(CultureInfo.InvariantCulture));

                // Left over from an earlier run whose process had the same id and died before its clean-up.
                Remove(name);
                Run("ip", "netns", "add", name);
                _created.Add(name);
                Run("ip", "link", "add", name + "a", "type", "veth", "peer", "name", name + "b");
                Run("ip", "link", "set", name + "b", "netns", name);
                Run("ip", "addr", "add", host.RootAddress + "/30", "dev", name + "a");
                Run("ip", "link", "set", name + "a", "up");
                Run("ip", "netns", "exec", name, "ip", "addr", "add", host.Address + "/30", "dev", name + "b");
                Run("ip", "netns", "exec", name, "ip", "link", "set", name + "b", "up");
                Run("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up");
                Hosts.Add(host);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public List<Host> Hosts { get; } = [];

    public void Dispose()
    {
        foreach (var name in _created)
        {
            Remove(name);
        }

        _created.Clear();
    }

    // Deleting the namespace deletes the veth end inside it, which takes its peer along; the explicit link delete
    // covers a pair whose far end never moved into the namespace.
    private static void Remove(string name)
    {
        TryRun("ip", "netns", "del", name);
        TryRun("ip", "link", "del", name + "a");
    }

    private static void Run(params string[] command)
    {
        var (exit, output) = Execute(command);
        if (exit != 0)
        {
            throw new InvalidOperationException(
                $"The multi-host test simulates hosts with network namespaces and needs root (CAP_NET_ADMIN) and iproute2; "
                + $"`{string.Join(' ', command)}` exited with {exit}: {output.Trim()}");
        }
    }

    private static void TryRun(params string[] command) => Execute(command);

    private static (int Exit, string Output) Execute(string[] command)
    {
        var start = new ProcessStartInfo(command[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in command.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command[0]}.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, stdout.Result + stderr);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"could not run {command[0]}: {e.Message}");
        }
    }

    /// <summary>One simulated host: its namespace, the root side's address (where it reaches the server) and its own.</summary>
    public sealed record Host(string Namespace, string RootAddress, string Address);
}
