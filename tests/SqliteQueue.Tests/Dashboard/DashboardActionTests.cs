using System.Net;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Dashboard;

public sealed class DashboardActionTests
{
    [Fact]
    public async Task Retry_puts_a_dead_job_back_to_pending_and_a_pending_one_is_409()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (status, body) = await host.PostJsonAsync($"api/jobs/{seed.Dead}/retry");
        status.Should().Be(HttpStatusCode.OK);
        body.Names().Should().Equal("id", "done", "outcome");
        body.GetProperty("done").GetBoolean().Should().BeTrue();
        body.GetProperty("outcome").GetString().Should().Be("retried");
        (await host.Queue.Client.GetJobAsync(seed.Dead))!.State.Should().Be(JobState.Pending);

        var (again, error) = await host.PostJsonAsync($"api/jobs/{seed.Pending}/retry");
        again.Should().Be(HttpStatusCode.Conflict);
        error.GetProperty("error").GetString().Should().Be($"Job {seed.Pending} is pending: only a dead or cancelled job can be retried.");
    }

    [Fact]
    public async Task Cancel_cancels_a_pending_job_and_a_finished_one_is_409()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (status, body) = await host.PostJsonAsync($"api/jobs/{seed.Pending}/cancel");
        status.Should().Be(HttpStatusCode.OK);
        body.GetProperty("outcome").GetString().Should().Be("cancelled");
        (await host.Queue.Client.GetJobAsync(seed.Pending))!.State.Should().Be(JobState.Cancelled);

        var (finished, error) = await host.PostJsonAsync($"api/jobs/{seed.Completed}/cancel");
        finished.Should().Be(HttpStatusCode.Conflict);
        error.GetProperty("error").GetString().Should().Be($"Job {seed.Completed} is completed: a finished job cannot be cancelled.");
    }

    [Fact]
    public async Task Delete_removes_a_job_and_an_unknown_one_is_404()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (status, body) = await host.PostJsonAsync($"api/jobs/{seed.Dead}/delete");
        status.Should().Be(HttpStatusCode.OK);
        body.GetProperty("outcome").GetString().Should().Be("deleted");
        (await host.Queue.Client.GetJobAsync(seed.Dead)).Should().BeNull();

        var (missing, error) = await host.PostJsonAsync($"api/jobs/{seed.Dead}/delete");
        missing.Should().Be(HttpStatusCode.NotFound);
        error.GetProperty("error").GetString().Should().Be($"No job has id {seed.Dead}.");
    }

    [Fact]
    public async Task Bulk_retry_and_delete_by_ids_count_what_changed()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (retried, retryBody) = await host.PostJsonAsync("api/jobs/retry", new { ids = new[] { seed.Dead, seed.Cancelled, seed.Completed } });
        retried.Should().Be(HttpStatusCode.OK);
        retryBody.GetProperty("changed").GetInt64().Should().Be(2);

        var (deleted, deleteBody) = await host.PostJsonAsync("api/jobs/delete", new { ids = new[] { seed.Completed, seed.Reports } });
        deleted.Should().Be(HttpStatusCode.OK);
        deleteBody.GetProperty("changed").GetInt64().Should().Be(2);
        (await host.Queue.Client.GetJobAsync(seed.Completed)).Should().BeNull();
    }

    [Theory]
    [InlineData("{\"ids\": []}")]
    [InlineData("{\"ids\": [0]}")]
    [InlineData("not json")]
    [InlineData("{}")]
    public async Task Bulk_actions_refuse_a_body_without_ids(string json)
    {
        await using var host = await DashboardHost.StartAsync();
        var (header, token) = await host.AntiforgeryAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/jobs/delete", UriKind.Relative))
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add(header, token);

        using var response = await host.Client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Contain("The body must be JSON like");
    }

    [Fact]
    public async Task Retry_all_and_delete_all_act_on_every_matching_job()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (retried, retryBody) = await host.PostJsonAsync("api/jobs/retry-all?state=dead&queue=default");
        retried.Should().Be(HttpStatusCode.OK);
        retryBody.GetProperty("changed").GetInt64().Should().Be(1);
        (await host.Queue.Client.GetJobAsync(seed.Dead))!.State.Should().Be(JobState.Pending);

        var (deleted, deleteBody) = await host.PostJsonAsync("api/jobs/delete-all?state=cancelled");
        deleted.Should().Be(HttpStatusCode.OK);
        deleteBody.GetProperty("changed").GetInt64().Should().Be(1);
        (await host.Queue.Client.GetJobAsync(seed.Cancelled)).Should().BeNull();

        var (refused, error) = await host.PostJsonAsync("api/jobs/delete-all?state=running");
        refused.Should().Be(HttpStatusCode.BadRequest);
        error.GetProperty("error").GetString().Should().Be("The parameter 'state' must be completed, dead or cancelled here; got 'running'.");
    }

    [Fact]
    public async Task A_schedule_can_be_paused_resumed_and_triggered_and_an_unknown_one_is_404()
    {
        await using var host = await DashboardHost.StartAsync();
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        var (paused, pauseBody) = await host.PostJsonAsync($"api/recurring/{seed.Schedule}/pause");
        paused.Should().Be(HttpStatusCode.OK);
        pauseBody.Names().Should().Equal("name", "done", "state", "jobId");
        pauseBody.GetProperty("state").GetString().Should().Be("paused");
        (await host.Queue.Recurring.GetAsync(seed.Schedule))!.State.Should().Be(RecurringJobState.Paused);

        var (_, resumeBody) = await host.PostJsonAsync($"api/recurring/{seed.Schedule}/resume");
        resumeBody.GetProperty("state").GetString().Should().Be("active");

        var (triggered, triggerBody) = await host.PostJsonAsync($"api/recurring/{seed.Schedule}/trigger");
        triggered.Should().Be(HttpStatusCode.OK);
        var jobId = triggerBody.GetProperty("jobId").GetInt64();
        (await host.Queue.Client.GetJobAsync(jobId))!.RecurringName.Should().Be(seed.Schedule);

        var (missing, error) = await host.PostJsonAsync("api/recurring/nope/trigger");
        missing.Should().Be(HttpStatusCode.NotFound);
        error.GetProperty("error").GetString().Should().Be("No recurring schedule is named 'nope'.");
    }

    [Fact]
    public async Task Checkpoint_answers_the_checkpoint_result()
    {
        await using var host = await DashboardHost.StartAsync();
        await DashboardSeed.CreateAsync(host.Queue);

        var (status, body) = await host.PostJsonAsync("api/storage/checkpoint");

        status.Should().Be(HttpStatusCode.OK);
        body.Names().Should().Equal("mode", "busy", "logFrames", "checkpointedFrames", "walBytesAfter", "durationMs");
        body.GetProperty("mode").GetString().Should().Be("passive");
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_is_400_and_with_it_200()
    {
        await using var host = await DashboardHost.StartAsync();
        await host.AntiforgeryAsync(); // the cookie alone is not enough

        var (without, error) = await host.PostJsonAsync("api/storage/checkpoint", withToken: false);
        var (with, _) = await host.PostJsonAsync("api/storage/checkpoint");

        without.Should().Be(HttpStatusCode.BadRequest);
        error.GetProperty("error").GetString().Should().Be(
            "The antiforgery token is missing or invalid: send the token from GET api/config in the header it names, with the cookie that response set.");
        with.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_token_without_its_cookie_is_400()
    {
        await using var host = await DashboardHost.StartAsync();
        var (header, token) = await host.AntiforgeryAsync();
        using var bare = new HttpClient { BaseAddress = host.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("api/storage/checkpoint", UriKind.Relative));
        request.Headers.Add(header, token);

        using var response = await bare.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Read_only_refuses_every_post_with_403_and_still_answers_gets()
    {
        await using var host = await DashboardHost.StartAsync(o => o.ReadOnly = true);
        var seed = await DashboardSeed.CreateAsync(host.Queue);

        foreach (var path in new[] { $"api/jobs/{seed.Dead}/retry", $"api/jobs/{seed.Pending}/cancel", $"api/jobs/{seed.Dead}/delete",
            "api/jobs/retry-all", "api/jobs/delete-all", $"api/recurring/{seed.Schedule}/pause", "api/storage/checkpoint" })
        {
            var (status, body) = await host.PostJsonAsync(path);
            status.Should().Be(HttpStatusCode.Forbidden, path);
            body.GetProperty("error").GetString().Should().Be("The dashboard is read-only (DashboardOptions.ReadOnly): actions are refused.");
        }

        (await host.Queue.Client.GetJobAsync(seed.Dead))!.State.Should().Be(JobState.Dead);
        (await host.GetJsonAsync("api/config")).GetProperty("readOnly").GetBoolean().Should().BeTrue();
        (await host.GetJsonAsync("api/overview")).GetProperty("totals").GetProperty("dead").GetInt64().Should().Be(1);
    }
}
