using System.Text.Json;
using System.Text.RegularExpressions;
using SqliteQueue.CommandLine;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.CommandLine;

/// <summary>
/// The tool's job, stats, queue and enqueue commands, each run as a real process against a real queue file that a
/// store of the test keeps open, as a running application would.
/// </summary>
[Trait("Category", "CommandLine")]
#pragma warning disable CA1001 // xunit disposes the database through IAsyncLifetime.DisposeAsync.
public sealed partial class JobsCommandTests : IAsyncLifetime
#pragma warning restore CA1001
{
    private readonly TestDatabase _db = new(new ManualTimeProvider(TimeProvider.System.GetUtcNow()));

    public Task InitializeAsync() => _db.Queue.InitializeAsync();

    public Task DisposeAsync() => _db.DisposeAsync().AsTask();

    private Task<ToolRun> Tool(params string[] args) => ToolProcess.RunAsync([.. args, "--db", _db.Path]);

    [Fact]
    public async Task Jobs_list_prints_every_field_as_json_with_the_payload_embedded()
    {
        var id = await _db.Client.EnqueueJsonAsync("email.send", """{"to":"a@example.com","n":1}""", new EnqueueOptions { Queue = "mail", Priority = 3, DeduplicationKey = "k1" });

        var run = await Tool("jobs", "list", "--json");

        run.ExitCode.Should().Be(SqliteQueueExitCodes.Success, run.Error);
        Normalize(run.Out).Should().Be(Normalize($$"""
            {
              "jobs": [
                {
                  "id": {{id}},
                  "queue": "mail",
                  "type": "email.send",
                  "state": "pending",
                  "cancellationRequested": false,
                  "attempt": 0,
                  "maxAttempts": 5,
                  "priority": 3,
                  "createdAt": "<time>",
                  "runAt": "<time>",
                  "startedAt": null,
                  "finishedAt": null,
                  "leaseOwner": null,
                  "leaseExpiresAt": null,
                  "timeoutSeconds": null,
                  "deduplicationKey": "k1",
                  "recurringName": null,
                  "scheduledFor": null,
                  "lastError": null,
                  "payload": {
                    "to": "a@example.com",
                    "n": 1
                  }
                }
              ],
              "nextAfterId": null,
              "nextBeforeId": null
            }

            """));
    }

    [Fact]
    public async Task Jobs_list_filters_by_state_queue_and_type_and_pages_by_id()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _db.Client.EnqueueJsonAsync(i % 2 == 0 ? "a" : "b", "{}", new EnqueueOptions { Queue = i < 4 ? "q1" : "q2" }));
        }

        var first = (await Tool("jobs", "list", "--queue", "q1", "--limit", "2", "--json")).Json();
        Ids(first).Should().Equal(ids[0], ids[1]);
        var next = first.RootElement.GetProperty("nextAfterId").GetInt64();
        var second = (await Tool("jobs", "list", "--queue", "q1", "--limit", "2", "--after", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json();
        Ids(second).Should().Equal(ids[2], ids[3]);

        Ids((await Tool("jobs", "list", "--type", "a", "--json")).Json()).Should().Equal(ids[0], ids[2], ids[4]);
        Ids((await Tool("jobs", "list", "--state", "dead", "--json")).Json()).Should().BeEmpty();
        Ids((await Tool("jobs", "list", "--since", "1h", "--json")).Json()).Should().HaveCount(5);
        Ids((await Tool("jobs", "list", "--before", "1h", "--json")).Json()).Should().BeEmpty();

        var text = await Tool("jobs", "list", "--limit", "2");
        text.ExitCode.Should().Be(0, text.Error);
        text.Out.Should().StartWith("ID  QUEUE  TYPE  STATE    ATTEMPT").And.Contain($"--after {ids[1]}");
    }

    [Fact]
    public async Task Jobs_list_newest_prints_the_newest_jobs_first_and_pages_back_by_before_id()
    {
        var ids = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add(await _db.Client.EnqueueJsonAsync(i % 2 == 0 ? "a" : "b", "{}", new EnqueueOptions { Queue = i < 4 ? "q1" : "q2" }));
        }

        var first = (await Tool("jobs", "list", "--newest", "--queue", "q1", "--limit", "2", "--json")).Json();
        Ids(first).Should().Equal(ids[3], ids[2]);
        first.RootElement.GetProperty("nextAfterId").ValueKind.Should().Be(JsonValueKind.Null);
        var next = first.RootElement.GetProperty("nextBeforeId").GetInt64();
        next.Should().Be(ids[2]);
        var second = (await Tool("jobs", "list", "--newest", "--queue", "q1", "--limit", "2", "--before-id", next.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json();
        Ids(second).Should().Equal(ids[1], ids[0]);
        ids[0].Should().Be(1);
        second.RootElement.GetProperty("nextBeforeId").ValueKind.Should().Be(JsonValueKind.Null, "the page ended at id 1, so no older job can match");

        Ids((await Tool("jobs", "list", "--newest", "--type", "a", "--json")).Json()).Should().Equal(ids[4], ids[2], ids[0]);

        var text = await Tool("jobs", "list", "--newest", "--limit", "2");
        text.ExitCode.Should().Be(0, text.Error);
        text.Out.Should().StartWith("ID  QUEUE  TYPE  STATE    ATTEMPT").And.Contain($"--before-id {ids[3]}").And.NotContain("--after");
    }

    [Fact]
    public async Task Jobs_show_prints_the_payload_and_every_attempt_and_a_missing_job_is_an_error()
    {
        var id = await _db.Client.EnqueueJsonAsync("report", """{"pages":2}""");
        var worker = _db.Worker(id: "worker-7");
        var job = (await worker.ClaimAsync()).Single();
        await worker.FailAsync(job, "the printer is on fire");

        var text = await Tool("jobs", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        text.ExitCode.Should().Be(0, text.Error);
        text.Out.Should().Contain("Type:").And.Contain("report").And.Contain("\"pages\": 2").And.Contain("worker-7").And.Contain("the printer is on fire");

        var json = (await Tool("jobs", "show", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json")).Json().RootElement;
        json.GetProperty("job").GetProperty("payload").GetProperty("pages").GetInt32().Should().Be(2);
        var execution = json.GetProperty("executions").EnumerateArray().Single();
        execution.GetProperty("outcome").GetString().Should().Be("failed");
        execution.GetProperty("workerId").GetString().Should().Be("worker-7");

        var missing = await Tool("jobs", "show", "999999", "--json");
        missing.ExitCode.Should().Be(SqliteQueueExitCodes.Error);
        missing.Error.Should().Contain("There is no job 999999");
        missing.Json().RootElement.GetProperty("error").GetProperty("exitCode").GetInt32().Should().Be(SqliteQueueExitCodes.Error);
    }

    [Fact]
    public async Task Jobs_retry_by_id_and_in_bulk_with_dry_run_and_confirmation()
    {
        var dead = await DeadJobsAsync(3, type: "x");
        var pending = await _db.Client.EnqueueJsonAsync("x", "{}");

        var one = await Tool("jobs", "retry", dead[0].ToString(System.Globalization.CultureInfo.InvariantCulture), pending.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        one.ExitCode.Should().Be(SqliteQueueExitCodes.Error, "the pending job cannot be retried, and the run says so");
        var outcomes = one.Json().RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("outcome").GetString()).ToList();
        outcomes.Should().Equal("retried: pending", "skipped: it is pending");
        (await _db.Client.GetJobAsync(dead[0]))!.State.Should().Be(JobState.Pending);

        var dry = await Tool("jobs", "retry", "--all", "--state", "dead", "--dry-run", "--json");
        dry.ExitCode.Should().Be(0, dry.Error);
        dry.Json().RootElement.GetProperty("matching").GetInt64().Should().Be(2);
        (await _db.Client.GetJobAsync(dead[1]))!.State.Should().Be(JobState.Dead, "a dry run changes nothing");

        var refused = await Tool("jobs", "retry", "--all");
        refused.ExitCode.Should().Be(SqliteQueueExitCodes.NotConfirmed);
        refused.Error.Should().Contain("--yes");
        (await _db.Client.GetJobAsync(dead[1]))!.State.Should().Be(JobState.Dead, "a refused command changes nothing");

        var bulk = await Tool("jobs", "retry", "--all", "--type", "x", "--yes");
        bulk.ExitCode.Should().Be(0, bulk.Error);
        bulk.Out.Should().Contain("Retried 2 jobs");
        (await _db.Client.GetJobAsync(dead[2]))!.State.Should().Be(JobState.Pending);

        (await Tool("jobs", "retry", "--all", dead[0].ToString(System.Globalization.CultureInfo.InvariantCulture))).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("jobs", "retry")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("jobs", "retry", "5", "--queue", "q")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage, "a filter does nothing with ids");
    }

    [Fact]
    public async Task Jobs_cancel_and_delete_ask_first_and_dry_run_changes_nothing()
    {
        var a = await _db.Client.EnqueueJsonAsync("x", "{}");
        var b = await _db.Client.EnqueueJsonAsync("x", "{}");
        var ids = new[] { a, b }.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

        (await Tool(["jobs", "cancel", .. ids])).ExitCode.Should().Be(SqliteQueueExitCodes.NotConfirmed);
        (await Tool(["jobs", "cancel", .. ids, "--dry-run"])).Out.Should().Contain("would cancel").And.Contain("Nothing was changed");
        (await _db.Client.GetJobAsync(a))!.State.Should().Be(JobState.Pending);

        var cancel = await Tool(["jobs", "cancel", ids[0], "--yes"]);
        cancel.ExitCode.Should().Be(0, cancel.Error);
        (await _db.Client.GetJobAsync(a))!.State.Should().Be(JobState.Cancelled);

        (await Tool(["jobs", "delete", .. ids])).ExitCode.Should().Be(SqliteQueueExitCodes.NotConfirmed);
        (await Tool(["jobs", "delete", .. ids, "--dry-run"])).ExitCode.Should().Be(0);
        (await _db.Client.GetJobAsync(b)).Should().NotBeNull();

        var running = (await _db.Worker().ClaimAsync()).Single();
        var delete = await Tool(["jobs", "delete", ids[0], running.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--yes", "--json"]);
        delete.ExitCode.Should().Be(SqliteQueueExitCodes.Error, "a running job is skipped");
        delete.Json().RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("outcome").GetString())
            .Should().Equal("deleted", "skipped: it is running");
        (await _db.Client.GetJobAsync(a)).Should().BeNull();
        (await _db.Client.GetJobAsync(running.Id)).Should().NotBeNull();
    }

    [Fact]
    public async Task Jobs_purge_deletes_by_state_and_age_after_a_dry_run()
    {
        await DeadJobsAsync(2, type: "old");
        var kept = await _db.Client.EnqueueJsonAsync("x", "{}");

        var dry = await Tool("jobs", "purge", "--state", "dead", "--older-than", "0s", "--dry-run");
        dry.ExitCode.Should().Be(0, dry.Error);
        dry.Out.Should().Contain("Would delete 2 jobs (state dead");
        (await _db.Client.GetStatsAsync()).For(QueueNames.Default).Dead.Should().Be(2);

        (await Tool("jobs", "purge", "--state", "dead", "--older-than", "1d", "--yes", "--json")).Json().RootElement.GetProperty("changed").GetInt64()
            .Should().Be(0, "the dead jobs are younger than a day");
        (await Tool("jobs", "purge", "--state", "dead", "--yes", "--json")).Json().RootElement.GetProperty("changed").GetInt64().Should().Be(2);
        (await _db.Client.GetStatsAsync()).For(QueueNames.Default).Dead.Should().Be(0);
        (await _db.Client.GetJobAsync(kept)).Should().NotBeNull();

        (await Tool("jobs", "purge", "--state", "running", "--yes")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("jobs", "purge", "--yes")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage, "--state is required");
    }

    [Fact]
    public async Task Enqueue_takes_the_payload_from_a_file_and_every_option()
    {
        var payloadFile = Path.Combine(_db.Directory, "job.json");
        await File.WriteAllTextAsync(payloadFile, """{"to":"b@example.com"}""");

        var run = await Tool("enqueue", "email.send", "--payload", "@" + payloadFile, "--queue", "mail", "--priority", "5", "--delay", "5m",
            "--max-attempts", "7", "--timeout", "30s", "--dedup-key", "welcome-b", "--json");

        run.ExitCode.Should().Be(0, run.Error);
        var id = run.Json().RootElement.GetProperty("id").GetInt64();
        var job = (await _db.Client.GetJobAsync(id))!;
        job.Should().BeEquivalentTo(new { Type = "email.send", Queue = "mail", Priority = 5, MaxAttempts = 7, Timeout = TimeSpan.FromSeconds(30), DeduplicationKey = "welcome-b" });
        JsonDocument.Parse(job.PayloadJson).RootElement.GetProperty("to").GetString().Should().Be("b@example.com");
        job.RunAt.Should().BeAfter(job.CreatedAt.AddMinutes(4));

        var again = await Tool("enqueue", "email.send", "--queue", "mail", "--dedup-key", "welcome-b");
        again.Out.Trim().Should().Be(id.ToString(System.Globalization.CultureInfo.InvariantCulture), "a live job holds the key");

        (await Tool("enqueue", "x", "--payload", "{not json")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("enqueue", "x", "--max-attempts", "0")).Error.Should().Contain("MaxAttempts");
        (await Tool("enqueue", "x", "--delay", "soon")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
    }

    [Fact]
    public async Task Stats_and_queues_count_per_queue_and_state_and_purge_asks_first()
    {
        await DeadJobsAsync(1, type: "x");
        await _db.Client.EnqueueJsonAsync("x", "{}", new EnqueueOptions { Queue = "other" });
        await _db.Client.EnqueueJsonAsync("x", "{}", new EnqueueOptions { Queue = "other" });

        var stats = (await Tool("stats", "--json")).Json().RootElement.GetProperty("queues").EnumerateArray()
            .ToDictionary(q => q.GetProperty("queue").GetString()!, q => (Pending: q.GetProperty("pending").GetInt64(), Dead: q.GetProperty("dead").GetInt64()));
        stats.Should().BeEquivalentTo(new Dictionary<string, (long, long)> { [QueueNames.Default] = (0, 1), ["other"] = (2, 0) });
        (await Tool("stats", "--queue", "other")).Out.Should().Contain("other").And.NotContain(QueueNames.Default);

        var queues = (await Tool("queues", "list", "--json")).Json().RootElement.GetProperty("queues").EnumerateArray().Select(q => q.GetProperty("name").GetString());
        queues.Should().BeEquivalentTo(QueueNames.Default, "other");

        (await Tool("queues", "purge", "other")).ExitCode.Should().Be(SqliteQueueExitCodes.NotConfirmed);
        (await Tool("queues", "purge", "other", "--dry-run")).Out.Should().Contain("Would delete 2 jobs");
        (await Tool("queues", "purge", "other", "--yes")).ExitCode.Should().Be(0);
        (await _db.Client.GetStatsAsync()).For("other").Pending.Should().Be(0);
    }

    [Fact]
    public async Task A_missing_file_a_wrong_prefix_and_a_bad_command_line_are_refused_without_creating_anything()
    {
        var missing = Path.Combine(_db.Directory, "nope.db");
        var run = await ToolProcess.RunAsync("stats", "--db", missing);
        run.ExitCode.Should().Be(SqliteQueueExitCodes.Error);
        run.Error.Should().Contain("There is no queue file");
        File.Exists(missing).Should().BeFalse();

        var prefix = await Tool("stats", "--prefix", "other_");
        prefix.ExitCode.Should().Be(SqliteQueueExitCodes.Error);
        prefix.Error.Should().Contain("no queue tables with the prefix 'other_'");

        (await ToolProcess.RunAsync("stats")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage, "no --db and no SQLITEQUEUE_DB");
        (await Tool("jobs", "list", "--limit", "0")).Error.Should().Contain("Limit");
        (await Tool("jobs", "list", "--limit", "0")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("jobs", "frobnicate")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
        (await Tool("jobs", "list", "--state", "sleeping")).ExitCode.Should().Be(SqliteQueueExitCodes.Usage);
    }

    private async Task<List<long>> DeadJobsAsync(int count, string type)
    {
        var ids = new List<long>();
        var worker = _db.Worker();
        for (var i = 0; i < count; i++)
        {
            ids.Add(await _db.Client.EnqueueJsonAsync(type, "{}"));
            var job = (await worker.ClaimAsync()).Single();
            await worker.FailAsync(job, "boom", permanent: true);
        }

        return ids;
    }

    private static IEnumerable<long> Ids(JsonDocument page) =>
        page.RootElement.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("id").GetInt64()).ToList();

    private static string Normalize(string json) => TimePattern().Replace(json.ReplaceLineEndings("\n"), "\"<time>\"");

    [GeneratedRegex("\"\\d{4}-\\d\\d-\\d\\dT[^\"]+\"")]
    private static partial Regex TimePattern();
}
