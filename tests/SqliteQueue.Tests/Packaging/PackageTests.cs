using System.IO.Compression;
using System.Xml.Linq;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Packaging;

/// <summary>
/// Packs the library as a NuGet package and checks it the way a user meets it: its contents and metadata, and a
/// fresh console project outside the repository that restores it from a local folder, enqueues a job, claims and
/// completes it with a worker.
/// </summary>
[Collection(PackagingCollection.Name)]
[Trait("Category", "Packaging")]
public sealed class PackageTests(PackedPackage package) : IClassFixture<PackedPackage>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(8);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The library's package dependencies; each must carry the version pinned in Directory.Packages.props.</summary>
    private static readonly string[] Dependencies =
    [
        "Microsoft.Data.Sqlite",
        "SQLitePCLRaw.bundle_e_sqlite3",
        "Dapper",
        "Microsoft.Extensions.DependencyInjection.Abstractions",
        "Microsoft.Extensions.Logging.Abstractions",
        "Microsoft.Extensions.Options",
        "Microsoft.Extensions.Hosting.Abstractions",
        "Cronos",
    ];

    [Fact]
    public void Pack_produces_a_package_with_the_library_docs_readme_and_pinned_dependencies()
    {
        PackSucceeded();
        File.Exists(package.SymbolsPackagePath).Should().BeTrue("pack also writes a .snupkg symbols package");

        using (var archive = ZipFile.OpenRead(package.PackagePath))
        {
            var entries = archive.Entries.Select(e => e.FullName).ToList();
            entries.Should().Contain(["lib/net10.0/SqliteQueue.dll", "lib/net10.0/SqliteQueue.xml", "README.md", "SqliteQueue.nuspec"]);
            archive.GetEntry("lib/net10.0/SqliteQueue.xml")!.Length.Should().BeGreaterThan(1000, "the XML docs are generated for the public API");
            ReadText(archive.GetEntry("README.md")!).Should().Be(File.ReadAllText(Path.Combine(package.RepoRoot, "README.md")));

            var nuspec = XDocument.Parse(ReadText(archive.GetEntry("SqliteQueue.nuspec")!));
            var ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            ((string?)metadata.Element(ns + "id")).Should().Be(PackedPackage.Id);
            ((string?)metadata.Element(ns + "version")).Should().Be(package.Version);
            ((string?)metadata.Element(ns + "readme")).Should().Be("README.md");
            ((string?)metadata.Element(ns + "description")).Should().NotBeNullOrWhiteSpace();
            ((string?)metadata.Element(ns + "authors")).Should().NotBeNullOrWhiteSpace();
            var license = metadata.Element(ns + "license")!;
            ((string?)license.Attribute("type")).Should().Be("expression");
            license.Value.Should().Be("MIT");

            var groups = metadata.Element(ns + "dependencies")!.Elements(ns + "group").ToList();
            groups.Should().ContainSingle().Which.Attribute("targetFramework")!.Value.Should().Be("net10.0");
            var dependencies = groups[0].Elements(ns + "dependency")
                .ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!, StringComparer.OrdinalIgnoreCase);
            var pinned = package.PinnedVersions();
            dependencies.Keys.Should().BeEquivalentTo(Dependencies, "the package depends on exactly the library's own package references");
            foreach (var id in Dependencies)
            {
                dependencies[id].Should().Be(pinned[id], $"{id} is pinned to that version in Directory.Packages.props");
            }
        }

        using var symbols = ZipFile.OpenRead(package.SymbolsPackagePath);
        symbols.Entries.Select(e => e.FullName).Should().Contain("lib/net10.0/SqliteQueue.pdb");
    }

    [Fact]
    public void The_health_checks_add_on_is_packed_against_this_version_of_the_core()
    {
        PackSucceeded();
        using var archive = ZipFile.OpenRead(package.HealthChecksPackagePath);
        var entries = archive.Entries.Select(e => e.FullName).ToList();
        entries.Should().Contain(["lib/net10.0/SqliteQueue.HealthChecks.dll", "lib/net10.0/SqliteQueue.HealthChecks.xml", "README.md"]);
        entries.Should().NotContain("lib/net10.0/SqliteQueue.dll", "the core comes as its own package");

        var nuspec = XDocument.Parse(ReadText(archive.GetEntry("SqliteQueue.HealthChecks.nuspec")!));
        var ns = nuspec.Root!.GetDefaultNamespace();
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        ((string?)metadata.Element(ns + "id")).Should().Be(PackedPackage.HealthChecksId);
        ((string?)metadata.Element(ns + "readme")).Should().Be("README.md");
        var dependencies = metadata.Element(ns + "dependencies")!.Descendants(ns + "dependency")
            .ToDictionary(d => (string)d.Attribute("id")!, d => (string)d.Attribute("version")!, StringComparer.OrdinalIgnoreCase);
        dependencies.Should().BeEquivalentTo(new Dictionary<string, string>
        {
            [PackedPackage.Id] = package.Version,
            ["Microsoft.Extensions.Diagnostics.HealthChecks"] = package.PinnedVersions()["Microsoft.Extensions.Diagnostics.HealthChecks"],
        });
    }

    [Fact]
    public async Task A_fresh_console_project_restores_the_package_and_completes_a_job()
    {
        PackSucceeded();
        var project = Path.Combine(package.Root, "consumer");
        Directory.CreateDirectory(project);
        WriteConsumer(project);

        var build = await DotnetCli.RunAsync(project, BuildTimeout, "build", "Consumer.csproj", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
        build.ExitCode.Should().Be(0, build.Describe());

        var dll = Path.Combine(project, "bin", "Release", "net10.0", "Consumer.dll");
        File.Exists(dll).Should().BeTrue(build.Describe());
        var run = await DotnetCli.RunAsync(project, RunTimeout, dll, Path.Combine(project, "jobs.db"));
        run.ExitCode.Should().Be(0, run.Describe());
        run.Output.Split('\n').Select(l => l.Trim()).Should().Contain("OK", run.Describe());
    }

    [Fact]
    public async Task The_tool_installs_from_its_package_into_a_fresh_tool_path_and_runs()
    {
        foreach (var pack in new[] { package.PackCommandLine, package.PackTool })
        {
            pack.Should().NotBeNull("the core and the add-ons packed first");
            pack!.ExitCode.Should().Be(0, pack.Describe());
        }

        using (var archive = ZipFile.OpenRead(package.ToolPackagePath))
        {
            archive.Entries.Select(e => e.FullName).Should().Contain(e => e.EndsWith("DotnetToolSettings.xml", StringComparison.Ordinal));
        }

        var work = Path.Combine(package.Root, "tool");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "nuget.config"), NuGetConfig());
        var tools = Path.Combine(work, "tools");
        var install = await DotnetCli.RunAsync(work, BuildTimeout, "tool", "install", PackedPackage.ToolId, "--version", package.Version,
            "--tool-path", tools, "--configfile", Path.Combine(work, "nuget.config"));
        install.ExitCode.Should().Be(0, install.Describe());

        var tool = Path.Combine(tools, OperatingSystem.IsWindows() ? "sqlitequeue.exe" : "sqlitequeue");
        var db = Path.Combine(work, "jobs.db");
        (await RunToolAsync(tool, work, "db", "migrate", "--db", db)).ExitCode.Should().Be(0);
        var enqueue = await RunToolAsync(tool, work, "enqueue", "package.check", "--payload", """{"value":42}""", "--db", db, "--json");
        enqueue.ExitCode.Should().Be(0, enqueue.Describe());
        var stats = await RunToolAsync(tool, work, "stats", "--db", db, "--json");
        stats.ExitCode.Should().Be(0, stats.Describe());
        using var json = System.Text.Json.JsonDocument.Parse(stats.Output);
        json.RootElement.GetProperty("queues")[0].GetProperty("pending").GetInt64().Should().Be(1, stats.Describe());
    }

    [Fact]
    public async Task A_fresh_web_project_serves_the_dashboard_from_its_package()
    {
        var pack = package.PackDashboard;
        pack.Should().NotBeNull("the core packed first");
        pack!.ExitCode.Should().Be(0, pack.Describe());
        using (var archive = ZipFile.OpenRead(package.DashboardPackagePath))
        {
            archive.Entries.Select(e => e.FullName).Should().Contain(["lib/net10.0/SqliteQueue.Dashboard.dll", "lib/net10.0/SqliteQueue.Dashboard.xml"]);
            archive.Entries.Should().NotContain(e => e.FullName.StartsWith("wwwroot/", StringComparison.Ordinal) || e.FullName.StartsWith("staticwebassets/", StringComparison.Ordinal),
                "the page is embedded in the assembly, not shipped as files");
        }

        var project = Path.Combine(package.Root, "web-consumer");
        Directory.CreateDirectory(project);
        WriteIsolation(project);
        WriteProject(project, "WebConsumer.csproj", "Microsoft.NET.Sdk.Web", outputType: null,
            ("SqliteQueue", package.Version), ("SqliteQueue.Dashboard", package.Version));
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using Microsoft.AspNetCore.Hosting.Server;
            using Microsoft.AspNetCore.Hosting.Server.Features;
            using SqliteQueue;
            using SqliteQueue.Dashboard;

            var builder = WebApplication.CreateBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            builder.Services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={args[0]}");
            builder.Services.AddSqliteQueueDashboard(o => o.Title = "Packaged");
            var app = builder.Build();
            app.MapSqliteQueueDashboard("/jobs");
            await app.StartAsync();

            await app.Services.GetRequiredService<IQueueClient>().EnqueueAsync("package.check", new { Value = 42 });
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address.TrimEnd('/') + "/jobs/") };
            var page = await http.GetStringAsync("");
            var script = await http.GetStringAsync("assets/app.js");
            var config = await http.GetStringAsync("api/config");
            var overview = await http.GetStringAsync("api/overview");
            await app.StopAsync();
            var pending = System.Text.Json.JsonDocument.Parse(overview).RootElement.GetProperty("totals").GetProperty("pending").GetInt64();
            if (!page.Contains("assets/app.js") || script.Length < 1000 || !config.Contains("Packaged") || pending != 1)
            {
                Console.Error.WriteLine($"page {page.Length} chars, script {script.Length}, config {config}, overview {overview}");
                return 2;
            }

            Console.WriteLine("OK");
            return 0;
            """);

        var build = await DotnetCli.RunAsync(project, BuildTimeout, "build", "WebConsumer.csproj", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
        build.ExitCode.Should().Be(0, build.Describe());
        var run = await DotnetCli.RunAsync(project, RunTimeout, Path.Combine(project, "bin", "Release", "net10.0", "WebConsumer.dll"), Path.Combine(project, "jobs.db"));
        run.ExitCode.Should().Be(0, run.Describe());
        run.Output.Split('\n').Select(l => l.Trim()).Should().Contain("OK", run.Describe());
    }

    [Fact]
    public async Task A_fresh_console_project_runs_a_job_on_PostgreSQL_from_the_packages()
    {
        var pack = package.PackPostgreSql;
        pack.Should().NotBeNull("the core packed first");
        pack!.ExitCode.Should().Be(0, pack.Describe());
        using (var archive = ZipFile.OpenRead(package.PostgreSqlPackagePath))
        {
            archive.Entries.Select(e => e.FullName).Should().Contain(["lib/net10.0/SqliteQueue.PostgreSql.dll", "lib/net10.0/SqliteQueue.PostgreSql.xml"]);
            var nuspec = XDocument.Parse(ReadText(archive.GetEntry("SqliteQueue.PostgreSql.nuspec")!)).ToString();
            nuspec.Should().Contain("id=\"Npgsql\"").And.Contain($"id=\"SqliteQueue\" version=\"{package.Version}\"");
        }

        var project = Path.Combine(package.Root, "postgresql-consumer");
        Directory.CreateDirectory(project);
        WriteIsolation(project);
        WriteProject(project, "PgConsumer.csproj", "Microsoft.NET.Sdk", outputType: "Exe",
            ("SqliteQueue", package.Version), ("SqliteQueue.PostgreSql", package.Version));
        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using SqliteQueue;
            using SqliteQueue.PostgreSql;

            await using var queue = new SqliteJobQueue(new SqliteQueueOptions().UsePostgreSql(args[0], o => o.Schema = args[1]));
            var id = await queue.Client.EnqueueAsync("package.check", new { Value = 42 });
            var worker = queue.Create(new WorkerOptions());
            var jobs = await worker.ClaimAsync();
            var done = jobs.Count == 1 && jobs[0].Id == id && jobs[0].PayloadJson == "{\"value\":42}" && await worker.CompleteAsync(jobs[0]);
            var job = await queue.Client.GetJobAsync(id);
            Console.WriteLine(done && job?.State == JobState.Completed ? "OK" : $"claimed {jobs.Count}, state {job?.State}");
            return done ? 0 : 2;
            """);

        var build = await DotnetCli.RunAsync(project, BuildTimeout, "build", "PgConsumer.csproj", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
        build.ExitCode.Should().Be(0, build.Describe());
        await using var schema = new PostgreSqlSchema();
        var run = await DotnetCli.RunAsync(project, RunTimeout, Path.Combine(project, "bin", "Release", "net10.0", "PgConsumer.dll"), PostgreSqlServer.ConnectionString, schema.Name);
        run.ExitCode.Should().Be(0, run.Describe());
        run.Output.Split('\n').Select(l => l.Trim()).Should().Contain("OK", run.Describe());
    }

    private static async Task<DotnetResult> RunToolAsync(string tool, string directory, params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo(tool)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The tool's launcher runs on the runtime these tests run on, wherever it is installed.
        if (Environment.ProcessPath is { } host && string.Equals(Path.GetFileNameWithoutExtension(host), "dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(host);
        }
        using var process = System.Diagnostics.Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        await process.WaitForExitAsync(timeout.Token);
        return new DotnetResult($"{tool} {string.Join(' ', arguments)}", process.ExitCode, await output + await error);
    }

    private void PackSucceeded()
    {
        var pack = package.Pack!;
        pack.ExitCode.Should().Be(0, pack.Describe());
        File.Exists(package.PackagePath).Should().BeTrue(pack.Describe());
        var addOn = package.PackHealthChecks!;
        addOn.ExitCode.Should().Be(0, addOn.Describe());
        File.Exists(package.HealthChecksPackagePath).Should().BeTrue(addOn.Describe());
    }

    /// <summary>
    /// Cuts a project folder off from the repository: empty Directory.Build.* and Directory.Packages.props stop MSBuild's
    /// search for the repository's (or any parent folder's) files, and its nuget.config lists only the packed packages
    /// and the public registry.
    /// </summary>
    private void WriteIsolation(string project)
    {
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(project, name), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(project, "nuget.config"), NuGetConfig());
    }

    /// <summary>A project file outside the repository's central package management, referencing exactly <paramref name="packages"/>.</summary>
    private static void WriteProject(string project, string name, string sdk, string? outputType, params (string Id, string Version)[] packages)
    {
        var references = string.Join(Environment.NewLine, packages.Select(p => $"    <PackageReference Include=\"{p.Id}\" Version=\"{p.Version}\" />"));
        var output = outputType is null ? "" : $"    <OutputType>{outputType}</OutputType>{Environment.NewLine}";
        File.WriteAllText(Path.Combine(project, name), $"""
            <Project Sdk="{sdk}">
              <PropertyGroup>
            {output}    <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
                <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
    }

    /// <summary>A nuget.config listing only the folder the packages were packed into and the public registry.</summary>
    private string NuGetConfig() => $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="local" value="{package.Feed}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
          </packageSources>
        </configuration>
        """;

    private static string ReadText(ZipArchiveEntry entry)
    {
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }

    /// <summary>
    /// Writes a console project that knows nothing of the repository: empty Directory.Build.* and
    /// Directory.Packages.props stop MSBuild's search for the repository's (or any parent folder's) files, and its
    /// nuget.config lists only the folder the package was packed into and the public registry.
    /// </summary>
    private void WriteConsumer(string project)
    {
        WriteIsolation(project);

        WriteProject(project, "Consumer.csproj", "Microsoft.NET.Sdk", outputType: "Exe",
            ("SqliteQueue", package.Version), ("SqliteQueue.HealthChecks", package.Version),
            ("Microsoft.Extensions.DependencyInjection", "10.0.14"), ("Microsoft.Extensions.Logging", "10.0.14"));

        File.WriteAllText(Path.Combine(project, "Program.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Diagnostics.HealthChecks;
            using SqliteQueue;

            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSqliteQueue(o => o.ConnectionString = $"Data Source={args[0]}");
            services.AddHealthChecks().AddSqliteQueue(o => { o.MinLiveWorkers = null; o.MaxIntegrityCheckAge = null; }, tags: ["ready"]);
            await using var provider = services.BuildServiceProvider();

            var client = provider.GetRequiredService<IQueueClient>();
            long id = await client.EnqueueAsync("package.check", new { Value = 42 });

            var worker = provider.GetRequiredService<IWorkerFactory>().Create();
            var jobs = await worker.ClaimAsync(maxJobs: 1);
            if (jobs.Count != 1 || jobs[0].Id != id)
            {
                Console.Error.WriteLine($"claimed {jobs.Count} jobs, expected job {id}");
                return 2;
            }

            if (!await worker.CompleteAsync(jobs[0]))
            {
                Console.Error.WriteLine("the lease was lost before completing");
                return 3;
            }

            var info = await client.GetJobAsync(id);
            if (info?.State != JobState.Completed)
            {
                Console.Error.WriteLine($"job {id} is {info?.State}, expected Completed");
                return 4;
            }

            // A recurring job, fired by the scheduler on the real clock: every second.
            var recurring = provider.GetRequiredService<SqliteQueue.Recurring.IRecurringJobs>();
            await recurring.UpsertAsync(new SqliteQueue.Recurring.RecurringJobDefinition("package.every-second", "package.recurring", "*/1 * * * * *"));
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var scheduler = provider.GetRequiredService<SqliteJobQueue>().RunRecurringSchedulerAsync(stop.Token);
            IReadOnlyList<ClaimedJob> fired = [];
            while (fired.Count == 0 && !stop.IsCancellationRequested)
            {
                fired = await worker.ClaimAsync(maxJobs: 1);
                await Task.Delay(50);
            }

            await stop.CancelAsync();
            await scheduler;
            if (fired.Count != 1 || fired[0].Recurring?.Name != "package.every-second" || fired[0].Type != "package.recurring")
            {
                Console.Error.WriteLine($"the recurring job did not fire: {fired.Count} jobs claimed");
                return 5;
            }

            // The add-on, from its own package, through the health-check service.
            var health = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["sqlitequeue"];
            if (health.Status != HealthStatus.Healthy || !health.Data.ContainsKey("workers.live"))
            {
                Console.Error.WriteLine($"the health check reported {health.Status}: {health.Description}");
                return 6;
            }

            Console.WriteLine("OK");
            return 0;
            """);
    }
}
