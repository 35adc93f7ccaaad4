using System.Reflection;

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
