using System.Xml.Linq;

namespace SqliteQueue.Tests.Packaging;

/// <summary>
/// Packs src/SqliteQueue and its add-ons (SqliteQueue.HealthChecks, SqliteQueue.CommandLine, the SqliteQueue.Tool dotnet tool, SqliteQueue.Dashboard and SqliteQueue.PostgreSql) once, in Release, into a temporary folder, under a version no other run uses, so a
/// package of the same version left in the global packages folder cannot stand in for the fresh one. Build
/// output goes to a temporary artifacts folder, not the work tree. Disposing deletes the temporary folders and
/// the global packages folder's copy of that version.
/// </summary>
public sealed class PackedPackage : IAsyncLifetime
{
    public const string Id = "SqliteQueue";

    public const string HealthChecksId = "SqliteQueue.HealthChecks";

    public const string CommandLineId = "SqliteQueue.CommandLine";

    public const string ToolId = "SqliteQueue.Tool";

    public const string DashboardId = "SqliteQueue.Dashboard";

    public const string PostgreSqlId = "SqliteQueue.PostgreSql";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);

    public PackedPackage()
    {
        RepoRoot = FindRepoRoot();
        Version = $"0.0.0-packtest.{Guid.NewGuid():N}";
        Root = Path.Combine(Path.GetTempPath(), "sqlitequeue-packaging", Guid.NewGuid().ToString("N"));
        Feed = Path.Combine(Root, "feed");
    }

    /// <summary>The folder holding SqliteQueue.sln.</summary>
    public string RepoRoot { get; }

    /// <summary>The version the package was packed under.</summary>
    public string Version { get; }

    /// <summary>A temporary folder outside the repository for everything these tests write.</summary>
    public string Root { get; }

    /// <summary>The folder the packages were packed into, used as a local package source.</summary>
    public string Feed { get; }

    public string PackagePath => Path.Combine(Feed, $"{Id}.{Version}.nupkg");

    public string SymbolsPackagePath => Path.Combine(Feed, $"{Id}.{Version}.snupkg");

    public string HealthChecksPackagePath => Path.Combine(Feed, $"{HealthChecksId}.{Version}.nupkg");

    public string CommandLinePackagePath => Path.Combine(Feed, $"{CommandLineId}.{Version}.nupkg");

    public string ToolPackagePath => Path.Combine(Feed, $"{ToolId}.{Version}.nupkg");

    public string DashboardPackagePath => Path.Combine(Feed, $"{DashboardId}.{Version}.nupkg");

    public string PostgreSqlPackagePath => Path.Combine(Feed, $"{PostgreSqlId}.{Version}.nupkg");

    /// <summary>The <c>dotnet pack</c> run of the core, for failure messages.</summary>
    internal DotnetResult? Pack { get; private set; }

    /// <summary>The <c>dotnet pack</c> run of the add-on, after the core's: its build of the core is then up to date.</summary>
    internal DotnetResult? PackHealthChecks { get; private set; }

    /// <summary>The <c>dotnet pack</c> run of the command tree and the <c>sqlitequeue</c> tool, one after the other.</summary>
    internal DotnetResult? PackCommandLine { get; private set; }

    internal DotnetResult? PackTool { get; private set; }

    internal DotnetResult? PackDashboard { get; private set; }

    internal DotnetResult? PackPostgreSql { get; private set; }

    /// <summary>The versions pinned in the repository's Directory.Packages.props, by package id.</summary>
    public IReadOnlyDictionary<string, string> PinnedVersions()
    {
        var props = XDocument.Load(Path.Combine(RepoRoot, "Directory.Packages.props"));
        return props.Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!, StringComparer.OrdinalIgnoreCase);
    }

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Pack = await PackAsync(Path.Combine("src", "SqliteQueue", "SqliteQueue.csproj"));
        if (Pack.ExitCode == 0)
        {
            PackHealthChecks = await PackAsync(Path.Combine("src", "SqliteQueue.HealthChecks", "SqliteQueue.HealthChecks.csproj"));
            PackCommandLine = await PackAsync(Path.Combine("src", "SqliteQueue.CommandLine", "SqliteQueue.CommandLine.csproj"));
            if (PackCommandLine.ExitCode == 0)
            {
                PackTool = await PackAsync(Path.Combine("src", "SqliteQueue.Tool", "SqliteQueue.Tool.csproj"));
            }

            PackDashboard = await PackAsync(Path.Combine("src", "SqliteQueue.Dashboard", "SqliteQueue.Dashboard.csproj"));
            PackPostgreSql = await PackAsync(Path.Combine("src", "SqliteQueue.PostgreSql", "SqliteQueue.PostgreSql.csproj"));
        }
    }

    private Task<DotnetResult> PackAsync(string project) => DotnetCli.RunAsync(
        RepoRoot,
        PackTimeout,
        "pack", Path.Combine(RepoRoot, project),
        "-c", "Release",
        "-o", Feed,
        "--artifacts-path", Path.Combine(Root, "artifacts"),
        $"-p:Version={Version}",
        "-nodeReuse:false",
        "-p:UseSharedCompilation=false");

    public Task DisposeAsync()
    {
        TryDelete(Root);
        foreach (var id in new[] { Id, HealthChecksId, CommandLineId, ToolId, DashboardId, PostgreSqlId })
        {
            TryDelete(Path.Combine(GlobalPackagesFolder(), id.ToLowerInvariant(), Version.ToLowerInvariant()));
        }

        return Task.CompletedTask;
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SqliteQueue.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds SqliteQueue.sln.");
    }

    private static string GlobalPackagesFolder()
    {
        var configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return string.IsNullOrEmpty(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : configured;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
            // Best effort: a leftover temporary folder is harmless.
        }
        catch (UnauthorizedAccessException)
        {
            // As above.
        }
    }
}
