using System.Net;
using System.Text.Json;

namespace SqliteQueue.Tests.Dashboard;

public sealed class DashboardReadApiTests
{
    [Fact]
    public async Task Config_names_the_title_the_refresh_the_mount_path_and_the_antiforgery_header_and_token()
    {
        await using var host = await DashboardHost.StartAsync(o => { o.Title = "Jobs (test)"; o.RefreshInterval = TimeSpan.FromSeconds(5); });

        var config = await host.GetJsonAsync("api/config");

        config.Names().Should().Equal("title", "readOnly", "refreshSeconds", "antiforgery", "mountPath");
        config.GetProperty("title").GetString().Should().Be("Jobs (test)");
        config.GetProperty("readOnly").GetBoolean().Should().BeFalse();
        config.GetProperty("refreshSeconds").GetDouble().Should().Be(5);
        config.GetProperty("mountPath").GetString().Should().Be("/jobs");
        config.GetProperty("antiforgery").GetProperty("headerName").GetString().Should().Be("X-SqliteQueue-Antiforgery");
        config.GetProperty("antiforgery").GetProperty("token").GetString().Should().NotBeNullOrEmpty();
    }

    [Fact]
    public async Task Overview_gives_each_queue_the_totals_workers_throughput_schedules_and_health()
    {
        await using var host = await DashboardHost.StartAsync();
        await DashboardSeed.CreateAsync(host.Queue);

        var overview = await host.GetJsonAsync("api/overview");

        overview.Names().Should().Equal("queues", "totals", "liveWorkers", "throughput", "recurring", "health");
        var queues = overview.GetProperty("queues").EnumerateArray().ToList();
        queues.Select(q => q.GetProperty("queue").GetString()).Should().BeEquivalentTo("default", "reports");
        queues[0].Names().Should().Equal("queue", "pending", "runnable", "running", "completed", "dead", "cancelled", "oldestRunnableAgeSeconds");
        var totals = overview.GetProperty("totals");
        totals.GetProperty("pending").GetInt64().Should().Be(2);
        totals.GetProperty("completed").GetInt64().Should().Be(1);
        totals.GetProperty("dead").GetInt64().Should().Be(1);
        totals.GetProperty("cancelled").GetInt64().Should().Be(1);
        overview.GetProperty("liveWorkers").GetInt32().Should().Be(0);
        overview.GetProperty("throughput").GetProperty("bucketSeconds").GetDouble().Should().Be(60);
        var buckets = overview.GetProperty("throughput").GetProperty("buckets").EnumerateArray().ToList();
        buckets.Count.Should().BeInRange(60, 61, "an hour of one-minute buckets, zeros included");
        buckets[0].Names().Should().Equal("start", "completed", "failed");
        buckets.Sum(b => b.GetProperty("completed").GetInt64()).Should().Be(1);
        buckets.Sum(b => b.GetProperty("failed").GetInt64()).Should().Be(2, "the dead job failed twice");
        overview.GetProperty("recurring").GetProperty("active").GetInt32().Should().Be(1);
        overview.GetProperty("recurring").GetProperty("paused").GetInt32().Should().Be(0);
        overview.GetProperty("recurring").GetProperty("broken").GetInt32().Should().Be(0);
        overview.GetProperty("health").GetProperty("status").GetString().Should().BeOneOf("healthy", "degraded", "unhealthy");
        overview.GetProperty("health").GetProperty("problems").ValueKind.Should().Be(JsonValueKind.Array);
    }

    [Fact]
    public async Task Jobs_lists_job_rows_filtered_by_state_and_pages_by_id()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var dead = await host.GetJsonAsync("api/jobs?state=DEAD");
        var row = dead.GetProperty("jobs").EnumerateArray().Single();
        row.Names().Should().Equal("id", "queue", "type", "state", "cancellationRequested", "attempt", "maxAttempts", "priority",
            "createdAt", "runAt", "finishedAt", "lastError");
        row.GetProperty("id").GetInt64().Should().Be(seed.Dead);
        row.GetProperty("state").GetString().Should().Be("dead");
        row.GetProperty("lastError").GetString().Should().Be("SMTP refused: second");
        row.GetProperty("createdAt").GetString().Should().EndWith("Z");

        var first = await host.GetJsonAsync("api/jobs?limit=2");
        first.GetProperty("jobs").GetArrayLength().Should().Be(2);
        var after = first.GetProperty("nextAfterId").GetInt64();
        var rest = await host.GetJsonAsync($"api/jobs?limit=200&after={after}");
        rest.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).Should().OnlyContain(id => id > after).And.HaveCount(3);
        rest.GetProperty("nextAfterId").ValueKind.Should().Be(JsonValueKind.Null);

        var reports = await host.GetJsonAsync("api/jobs?queue=reports&type=report.build");
        reports.GetProperty("jobs").EnumerateArray().Single().GetProperty("id").GetInt64().Should().Be(seed.Reports);
    }

    [Fact]
    public async Task Jobs_order_newest_lists_the_newest_first_and_pages_back_with_before()
    {
        await using var host = await DashboardHost.StartAsync();
        await DashboardSeed.CreateAsync(host.Queue);
        var all = (await host.GetJsonAsync("api/jobs?limit=200")).GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();
        all.Should().HaveCount(5);

        var first = await host.GetJsonAsync("api/jobs?order=newest&limit=2");
        Ids(first).Should().Equal(all[4], all[3]);
        first.GetProperty("nextAfterId").ValueKind.Should().Be(JsonValueKind.Null);
        var before = first.GetProperty("nextBeforeId").GetInt64();
        before.Should().Be(all[3]);

        var second = await host.GetJsonAsync($"api/jobs?order=NEWEST&limit=2&before={before}");
        Ids(second).Should().Equal(all[2], all[1]);
        var rest = await host.GetJsonAsync($"api/jobs?order=newest&limit=2&before={second.GetProperty("nextBeforeId").GetInt64()}");
        Ids(rest).Should().Equal(all[0]);
        rest.GetProperty("nextBeforeId").ValueKind.Should().Be(JsonValueKind.Null);

        var oldest = await host.GetJsonAsync("api/jobs?order=oldest&limit=2");
        Ids(oldest).Should().Equal(all[0], all[1]);
        oldest.GetProperty("nextBeforeId").ValueKind.Should().Be(JsonValueKind.Null, "oldest first pages through nextAfterId");
    }

    [Fact]
    public async Task A_newest_first_search_reads_one_window_of_ids_going_down_and_the_next_page_goes_on_below_it()
    {
        await using var db = new Infrastructure.TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("x", i == 0 ? """{"needle":true}""" : "{}"));
        }

        var pages = new List<(int Found, long? Next, long? Through)>();
        long? before = null;
        while (true)
        {
            var (page, through) = await SqliteQueue.Dashboard.Internal.JobSearch.ListAsync(
                db.Client, new JobQuery { NewestFirst = true, BeforeId = before, Limit = 50 }, "needle", CancellationToken.None, window: 2);
            page.NextAfterId.Should().BeNull();
            pages.Add((page.Jobs.Count, page.NextBeforeId, through));
            if (page.NextBeforeId is not { } next)
            {
                page.Jobs.Single().Id.Should().Be(ids[0]);
                break;
            }

            before = next;
        }

        // Two ids per request, from the newest down: the first two windows find nothing but say where they stopped
        // (the lowest id read); the third reaches the oldest job and finds it.
        pages.Should().Equal((0, ids[3], ids[3]), (0, ids[1], ids[1]), (1, null, null));

        // A match in the first window ends the search there, and with nothing left below the page has no cursor.
        var (newest, newestThrough) = await SqliteQueue.Dashboard.Internal.JobSearch.ListAsync(
            db.Client, new JobQuery { NewestFirst = true, Limit = 50 }, "{}", CancellationToken.None, window: 10);
        newest.Jobs.Select(j => j.Id).Should().Equal(ids[4], ids[3], ids[2], ids[1]);
        newest.NextBeforeId.Should().BeNull();
        newestThrough.Should().BeNull();
    }

    [Fact]
    public async Task A_newest_first_search_of_an_empty_queue_is_an_empty_last_page()
    {
        await using var db = new Infrastructure.TestDatabase();
        await db.Queue.InitializeAsync();

        var (page, through) = await SqliteQueue.Dashboard.Internal.JobSearch.ListAsync(
            db.Client, new JobQuery { NewestFirst = true }, "needle", CancellationToken.None, window: 2);

        page.Jobs.Should().BeEmpty();
        page.NextBeforeId.Should().BeNull();
        through.Should().BeNull();
    }

    [Fact]
    public async Task Jobs_search_finds_text_in_the_payload()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var found = await host.GetJsonAsync("api/jobs?search=cancelled%40example");

        found.GetProperty("jobs").EnumerateArray().Single().GetProperty("id").GetInt64().Should().Be(seed.Cancelled);
        found.GetProperty("searchedThroughId").ValueKind.Should().Be(JsonValueKind.Null, "the search read every job in one window");
    }

    [Fact]
    public async Task A_search_reads_one_window_of_ids_per_page_and_the_next_page_goes_on_from_there()
    {
        await using var db = new Infrastructure.TestDatabase();
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await db.Client.EnqueueJsonAsync("x", i == 4 ? """{"needle":true}""" : "{}"));
        }

        var pages = new List<(int Found, long? Next, long? Through)>();
        var after = 0L;
        while (true)
        {
            var (page, through) = await SqliteQueue.Dashboard.Internal.JobSearch.ListAsync(
                db.Client, new JobQuery { AfterId = after, Limit = 50 }, "needle", CancellationToken.None, window: 2);
            pages.Add((page.Jobs.Count, page.NextAfterId, through));
            if (page.NextAfterId is not { } next)
            {
                page.Jobs.Single().Id.Should().Be(ids[4]);
                break;
            }

            after = next;
        }

        // Two ids per request: the first two windows find nothing but say how far they read; the third finds the job.
        pages.Should().Equal((0, ids[1], ids[1]), (0, ids[3], ids[3]), (1, null, null));
    }

    [Fact]
    public async Task A_job_comes_with_its_payload_as_json_and_every_attempt()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var detail = await host.GetJsonAsync($"api/jobs/{seed.Dead}");

        detail.Names().Should().Equal("job", "executions");
        var job = detail.GetProperty("job");
        job.Names().Should().Equal("id", "queue", "type", "state", "cancellationRequested", "attempt", "maxAttempts", "priority",
            "createdAt", "runAt", "finishedAt", "lastError", "startedAt", "leaseOwner", "leaseExpiresAt", "timeoutSeconds",
            "deduplicationKey", "recurringName", "scheduledFor", "payload");
        job.GetProperty("payload").GetProperty("to").GetString().Should().Be("dead@example.com");
        var executions = detail.GetProperty("executions").EnumerateArray().ToList();
        executions.Should().HaveCount(2);
        executions[0].Names().Should().Equal("attempt", "outcome", "workerId", "startedAt", "finishedAt", "error");
        executions.Select(e => e.GetProperty("outcome").GetString()).Should().Equal("failed", "failed");
        executions[1].GetProperty("error").GetString().Should().Be("SMTP refused: second");
        executions[1].GetProperty("workerId").GetString().Should().Be("test-worker");
    }

    [Fact]
    public async Task Recurring_lists_each_schedule_with_its_description_and_next_five_occurrences_and_its_history()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var list = await host.GetJsonAsync("api/recurring");
        var schedule = list.GetProperty("schedules").EnumerateArray().Single();
        schedule.Names().Should().Equal("name", "jobType", "schedule", "timeZone", "description", "state", "source", "queue", "nextRunAt",
            "lastOccurrenceAt", "lastJobId", "firedCount", "lastError", "next");
        schedule.GetProperty("name").GetString().Should().Be(seed.Schedule);
        schedule.GetProperty("state").GetString().Should().Be("active");
        schedule.GetProperty("source").GetString().Should().Be("runtime");
        schedule.GetProperty("description").GetString().Should().NotBeNullOrEmpty();
        var next = schedule.GetProperty("next").EnumerateArray().Select(t => DateTimeOffset.Parse(t.GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        next.Should().HaveCount(5).And.OnlyContain(t => t.Hour == 3 && t.Minute == 0);

        await host.Queue.Recurring.TriggerAsync(seed.Schedule);
        var history = await host.GetJsonAsync($"api/recurring/{seed.Schedule}/history?limit=10");
        var entry = history.GetProperty("history").EnumerateArray().Single();
        entry.Names().Should().Equal("scheduledFor", "recordedAt", "outcome", "jobId", "detail");
        entry.GetProperty("outcome").GetString().Should().Be("triggered");
    }

    [Fact]
    public async Task A_schedule_whose_name_holds_a_slash_is_found_through_its_escaped_name()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.Queue.Recurring.UpsertAsync(new SqliteQueue.Recurring.RecurringJobDefinition("reports/daily", "report.build", "0 3 * * *"));

        // The page escapes the name with encodeURIComponent, as here.
        var history = await host.GetJsonAsync($"api/recurring/{Uri.EscapeDataString("reports/daily")}/history");
        history.GetProperty("history").GetArrayLength().Should().Be(0);
        var (status, _) = await host.PostJsonAsync($"api/recurring/{Uri.EscapeDataString("reports/daily")}/pause");
        status.Should().Be(System.Net.HttpStatusCode.OK);
        (await host.Queue.Recurring.GetAsync("reports/daily"))!.State.Should().Be(SqliteQueue.Recurring.RecurringJobState.Paused);
    }

    [Fact]
    public async Task Workers_and_storage_have_their_shapes()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.Queue.Maintenance.CheckIntegrityAsync();

        var workers = await host.GetJsonAsync("api/workers");
        var storage = await host.GetJsonAsync("api/storage");

        workers.GetProperty("workers").ValueKind.Should().Be(JsonValueKind.Array);
        storage.Names().Should().Equal("storage", "integrity");
        storage.GetProperty("storage").GetProperty("fileBytes").GetInt64().Should().BeGreaterThan(0);
        storage.GetProperty("storage").GetProperty("autoVacuum").GetString().Should().Be("incremental");
        storage.GetProperty("integrity").GetProperty("ok").GetBoolean().Should().BeTrue();
        storage.GetProperty("integrity").GetProperty("checkedAt").GetString().Should().EndWith("Z");
    }

    [Theory]
    [InlineData("api/jobs?state=bogus", "The parameter 'state' must be one of pending, running, completed, dead, cancelled; got 'bogus'.")]
    [InlineData("api/jobs?state=3", "The parameter 'state' must be one of pending, running, completed, dead, cancelled; got '3'.")]
    [InlineData("api/jobs?limit=0", "The parameter 'limit' must be a whole number from 1 to 200; got '0'.")]
    [InlineData("api/jobs?limit=201", "The parameter 'limit' must be a whole number from 1 to 200; got '201'.")]
    [InlineData("api/jobs?limit=ten", "The parameter 'limit' must be a whole number from 1 to 200; got 'ten'.")]
    [InlineData("api/jobs?after=-1", "The parameter 'after' must be a whole number from 0 to 9223372036854775807; got '-1'.")]
    [InlineData("api/jobs?limit=1&limit=2", "The parameter 'limit' is given 2 times; give it once.")]
    [InlineData("api/jobs?order=sideways", "The parameter 'order' must be oldest or newest; got 'sideways'.")]
    [InlineData("api/jobs?order=newest&before=1", "The parameter 'before' must be a whole number from 2 to 9223372036854775807; got '1'.")]
    [InlineData("api/jobs?order=newest&after=3", "The parameter 'after' pages the other order: with order=newest, page with 'before'.")]
    [InlineData("api/jobs?before=3", "The parameter 'before' pages the other order: with order=oldest, page with 'after'.")]
    [InlineData("api/jobs/abc", "The parameter 'id' must be a whole number from 1 to 9223372036854775807; got 'abc'.")]
    [InlineData("api/recurring/x/history?limit=500", "The parameter 'limit' must be a whole number from 1 to 200; got '500'.")]
    public async Task A_bad_parameter_is_400_naming_it_and_its_value(string path, string error)
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        body.GetProperty("error").GetString().Should().Be(error);
    }

    [Theory]
    [InlineData("api/jobs/999999", "No job has id 999999.")]
    [InlineData("api/recurring/nope/history", "No recurring schedule is named 'nope'.")]
    public async Task An_unknown_job_or_schedule_is_404(string path, string error)
    {
        await using var host = await DashboardHost.StartAsync();

        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString().Should().Be(error);
    }

    private static List<long> Ids(JsonElement page) =>
        [.. page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64())];
}
