using System.Net.Http.Json;
using System.Text.Json;
using SqliteQueue.Recurring;

namespace SqliteQueue.Tests.Dashboard;

/// <summary>A queue file with a job in each state, a dead job with two attempts, and one recurring schedule.</summary>
public sealed record DashboardSeed(long Pending, long Completed, long Dead, long Cancelled, long Reports, string Schedule)
{
    public const string ScheduleName = "nightly-report";

    public static async Task<DashboardSeed> CreateAsync(SqliteJobQueue queue)
    {
        var client = queue.Client;
        var worker = queue.Create(new WorkerOptions { Queues = [QueueNames.Default, "reports"], WorkerId = "test-worker", BackoffPolicy = new NoBackoff() });

        var completed = await client.EnqueueAsync("email.send", new { to = "done@example.com" });
        var claimed = (await worker.ClaimAsync()).Single();
        (await worker.CompleteAsync(claimed)).Should().BeTrue();

        var dead = await client.EnqueueAsync("email.send", new { to = "dead@example.com" }, new EnqueueOptions { MaxAttempts = 2 });
        await worker.FailAsync((await worker.ClaimAsync()).Single(), "SMTP refused: first");
        await worker.FailAsync((await worker.ClaimAsync()).Single(), "SMTP refused: second", permanent: true);

        var pending = await client.EnqueueAsync("email.send", new { to = "pending@example.com" }, new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        var cancelled = await client.EnqueueAsync("email.send", new { to = "cancelled@example.com" }, new EnqueueOptions { Delay = TimeSpan.FromHours(1) });
        (await client.CancelAsync(cancelled)).Should().Be(CancelResult.Cancelled);
        var reports = await client.EnqueueAsync("report.build", new { month = "2030-01" }, new EnqueueOptions { Queue = "reports", Delay = TimeSpan.FromHours(1) });

        await queue.Recurring.UpsertAsync(new RecurringJobDefinition(ScheduleName, "report.build", "0 3 * * *"));
        (await client.GetJobAsync(dead))!.State.Should().Be(JobState.Dead);
        return new DashboardSeed(pending, completed, dead, cancelled, reports, ScheduleName);
    }
}

/// <summary>Retries at once, so the seed's dead job has two attempts without waiting.</summary>
internal sealed class NoBackoff : SqliteQueue.Retry.IBackoffPolicy
{
    public TimeSpan NextDelay(int attempt) => TimeSpan.Zero;
}

/// <summary>Requests the tests make: JSON reads, and POSTs with the antiforgery token from <c>api/config</c>.</summary>
internal static class DashboardRequests
{
    public static async Task<JsonElement> GetJsonAsync(this DashboardHost host, string path)
    {
        using var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Reads <c>api/config</c> (which sets the antiforgery cookie in the client's container) and returns the header and token.</summary>
    public static async Task<(string Header, string Token)> AntiforgeryAsync(this DashboardHost host)
    {
        var config = await host.GetJsonAsync("api/config");
        var antiforgery = config.GetProperty("antiforgery");
        return (antiforgery.GetProperty("headerName").GetString()!, antiforgery.GetProperty("token").GetString()!);
    }

    public static async Task<HttpResponseMessage> PostAsync(this DashboardHost host, string path, object? body = null, bool withToken = true)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        if (withToken)
        {
            var (header, token) = await host.AntiforgeryAsync();
            request.Headers.Add(header, token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        return await host.Client.SendAsync(request);
    }

    public static async Task<(System.Net.HttpStatusCode Status, JsonElement Body)> PostJsonAsync(this DashboardHost host, string path, object? body = null, bool withToken = true)
    {
        using var response = await host.PostAsync(path, body, withToken);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static IReadOnlyList<string> Names(this JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToList();
}
