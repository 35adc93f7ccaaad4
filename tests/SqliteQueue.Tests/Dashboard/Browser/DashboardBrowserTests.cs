using System.Globalization;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace SqliteQueue.Tests.Dashboard.Browser;

/// <summary>
/// The dashboard in a real browser: the page the package serves, on a real Kestrel over a real queue file, read and
/// operated the way a user does. Each test watches the browser's console: a script error or a blocked resource (the
/// page runs under a strict Content-Security-Policy) fails it.
/// </summary>
[Collection(BrowserCollection.Name)]
[Trait("Category", "Browser")]
public sealed class DashboardBrowserTests(BrowserFixture browser)
{
    private static readonly ViewportSize Laptop = new() { Width = 1280, Height = 900 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    [Fact]
    public async Task A_dead_job_retried_from_its_page_shows_pending_then_completed()
    {
        await using var host = await DashboardHost.StartAsync(o => o.RefreshInterval = TimeSpan.FromMilliseconds(500));
        var seed = await DashboardSeed.CreateAsync(host.Queue);
        var (page, problems) = await OpenAsync(Laptop);

        await page.GotoAsync(host.BaseAddress + "#/overview");
        var defaultQueue = page.GetByTestId($"queue-row-{QueueNames.Default}");
        await Expect(defaultQueue.GetByTestId("count-dead")).ToHaveTextAsync("1");
        await Expect(defaultQueue.GetByTestId("count-completed")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("queue-row-reports").GetByTestId("count-pending")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("throughput-chart")).ToBeVisibleAsync();
        await ScreenshotAsync(page, "overview");

        await page.GetByTestId("nav-dead").ClickAsync();
        var row = page.GetByTestId($"job-row-{seed.Dead}");
        await Expect(row).ToContainTextAsync("SMTP refused: second");
        await ScreenshotAsync(page, "dead-jobs");
        await row.GetByTestId("job-link").ClickAsync();
        await Expect(page.GetByTestId("job-state")).ToHaveTextAsync("dead");
        await Expect(page.GetByTestId("job-payload")).ToContainTextAsync("dead@example.com");
        await Expect(page.GetByTestId("executions-table")).ToContainTextAsync("SMTP refused: first");
        await ScreenshotAsync(page, "job");

        await page.GetByTestId("btn-retry").ClickAsync();
        await Expect(page.GetByTestId("job-state")).ToHaveTextAsync("pending");

        // A worker of this host's queue takes it (the other default-queue job is delayed an hour); the open page shows
        // the outcome on its own, without a reload.
        var worker = host.Queue.Create(new WorkerOptions { Queues = [QueueNames.Default] });
        var claimed = (await worker.ClaimAsync()).Single();
        claimed.Id.Should().Be(seed.Dead);
        (await worker.CompleteAsync(claimed)).Should().BeTrue();
        await Expect(page.GetByTestId("job-state")).ToHaveTextAsync("completed");

        problems.Should().BeEmpty("the page runs without script errors or blocked resources");
    }

    [Fact]
    public async Task Every_page_renders_on_a_laptop_and_a_phone_without_errors()
    {
        await using var host = await DashboardHost.StartAsync(o => o.Title = "Jobs (test)");
        var seed = await DashboardSeed.CreateAsync(host.Queue);
        foreach (var (size, name) in new[] { (Laptop, "laptop"), (Phone, "phone") })
        {
            var (page, problems) = await OpenAsync(size);
            await page.GotoAsync(host.BaseAddress + "#/overview");
            await Expect(page.GetByTestId("app-title")).ToHaveTextAsync("Jobs (test)");
            await Expect(page.GetByTestId($"queue-row-{QueueNames.Default}")).ToBeVisibleAsync();
            await ScreenshotAsync(page, $"overview-{name}");

            await page.GetByTestId("nav-jobs").ClickAsync();
            await Expect(page.GetByTestId($"job-row-{seed.Completed}")).ToBeVisibleAsync();
            await ScreenshotAsync(page, $"jobs-{name}");

            await page.GetByTestId("nav-recurring").ClickAsync();
            await Expect(page.GetByTestId($"schedule-row-{seed.Schedule}")).ToBeVisibleAsync();
            await ScreenshotAsync(page, $"recurring-{name}");

            await page.GetByTestId("nav-workers").ClickAsync();
            await Expect(page.GetByTestId("main")).ToContainTextAsync("Workers");

            await page.GetByTestId("nav-storage").ClickAsync();
            await Expect(page.GetByTestId("file-size")).ToBeVisibleAsync();
            await ScreenshotAsync(page, $"storage-{name}");

            problems.Should().BeEmpty($"the pages run without script errors or blocked resources at {name} size");
            await page.Context.CloseAsync();
        }
    }

    [Fact]
    public async Task Read_only_shows_no_action_and_a_search_finds_jobs_by_payload()
    {
        await using var host = await DashboardHost.StartAsync(o => o.ReadOnly = true);
        var seed = await DashboardSeed.CreateAsync(host.Queue);
        var (page, problems) = await OpenAsync(Laptop);

        await page.GotoAsync(host.BaseAddress + $"#/jobs/{seed.Dead.ToString(CultureInfo.InvariantCulture)}");
        await Expect(page.GetByTestId("job-state")).ToHaveTextAsync("dead");
        await Expect(page.GetByTestId("readonly-badge")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("btn-retry")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("btn-delete")).ToHaveCountAsync(0);

        await page.GotoAsync(host.BaseAddress + "#/jobs");
        await page.GetByTestId("filter-search").FillAsync("pending@example");
        await page.GetByTestId("btn-filter").ClickAsync();
        await Expect(page.GetByTestId($"job-row-{seed.Pending}")).ToBeVisibleAsync();
        await Expect(page.GetByTestId($"job-row-{seed.Completed}")).ToHaveCountAsync(0);

        problems.Should().BeEmpty();
    }

    [Fact]
    public async Task The_jobs_page_opens_on_the_newest_jobs_and_pages_back_and_forth()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);
        var newest = 0L;
        for (var i = 0; i < 60; i++)
        {
            newest = await host.Queue.Client.EnqueueJsonAsync("bulk", "{}", new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        }

        var (page, problems) = await OpenAsync(Laptop);
        await page.GotoAsync(host.BaseAddress + "#/jobs");

        // 65 jobs, 50 a page: the first page runs from the newest down, and the seed's older jobs are on the next one.
        var rows = page.GetByTestId("jobs-table").Locator("tbody tr");
        await Expect(rows).ToHaveCountAsync(50);
        await Expect(rows.First).ToHaveAttributeAsync("data-testid", $"job-row-{newest}");
        await Expect(page.GetByTestId($"job-row-{seed.Dead}")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("btn-prev-page")).ToBeDisabledAsync();

        await page.GetByTestId("btn-next-page").ClickAsync();
        await Expect(page.GetByTestId($"job-row-{seed.Dead}")).ToBeVisibleAsync();
        await Expect(rows).ToHaveCountAsync(15);
        await Expect(page.GetByTestId("btn-next-page")).ToBeDisabledAsync();

        await page.GetByTestId("btn-prev-page").ClickAsync();
        await Expect(rows.First).ToHaveAttributeAsync("data-testid", $"job-row-{newest}");

        problems.Should().BeEmpty();
    }

    /// <summary>A fresh page, and the list its console errors, page errors and failed requests go to.</summary>
    private async Task<(IPage Page, List<string> Problems)> OpenAsync(ViewportSize size)
    {
        var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = size });
        var page = await context.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                problems.Add($"console: {message.Text}");
            }
        };
        page.PageError += (_, error) => problems.Add($"page error: {error}");
        page.RequestFailed += (_, request) => problems.Add($"request failed: {request.Url} {request.Failure}");
        return (page, problems);
    }

    private async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(browser.Screenshots, $"dashboard-{name}.png"), FullPage = true });
}
