using Microsoft.Playwright;

namespace SqliteQueue.Tests.Dashboard.Browser;

/// <summary>
/// One headless Chromium for the browser tests: Debian's <c>chromium</c> (or the one <c>SQLITEQUEUE_CHROMIUM</c> names),
/// driven by Playwright through its executable path, since no browser can be downloaded here. scripts/test-setup.sh installs it.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the tests write their screenshots; docs/dashboard.md shows copies of them.</summary>
    public string Screenshots { get; } = Environment.GetEnvironmentVariable("SQLITEQUEUE_SCREENSHOTS")
        ?? Path.Combine(Path.GetTempPath(), "sqlitequeue-dashboard-screenshots");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Screenshots);

        // A page refreshes every half second in these tests; what they wait for comes within a few refreshes, and
        // the generous bound only keeps a slow machine from failing them.
        Assertions.SetDefaultExpectTimeout(30_000);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath(),
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    private static string ChromiumPath()
    {
        var configured = Environment.GetEnvironmentVariable("SQLITEQUEUE_CHROMIUM");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        foreach (var candidate in new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "The dashboard's browser tests need Chromium: run `bash scripts/test-setup.sh` (it installs Debian's chromium package), or set SQLITEQUEUE_CHROMIUM to a Chromium executable.");
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
