using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace SqliteQueue.Tests.Infrastructure;

/// <summary>
/// The programs the tests start as processes: the dotnet host to run them on, and the dlls the test project's build
/// recorded in assembly attributes (TestWorkerPath, ToolPath, WebApiSamplePath, TelemetrySamplePath).
/// </summary>
internal static class BuiltPrograms
{
    /// <summary>The dotnet host running these tests, so a child runs on the same runtime; else whatever "dotnet" is on the PATH.</summary>
    public static string DotnetHost()
    {
        var host = Environment.ProcessPath;
        return host is not null && string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase)
            ? host
            : "dotnet";
    }

    /// <summary>
    /// How to start <paramref name="dll"/> on the dotnet host with <paramref name="args"/>: input, output and error
    /// redirected (UTF-8), no shell. The caller adds environment variables and a working folder as it needs.
    /// </summary>
    public static ProcessStartInfo StartInfo(string dll, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    /// <summary>The dll recorded under <paramref name="key"/>, which must have been built.</summary>
    public static string Dll(string key, string what)
    {
        var path = typeof(BuiltPrograms).Assembly
            .GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == key)?.Value;
        if (string.IsNullOrEmpty(path))
        {
            throw new InvalidOperationException($"The test assembly carries no {key} metadata; the test project's build records it.");
        }

        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{what} was not built at {path}. Build the solution, or the test project, first.", path);
    }
}
