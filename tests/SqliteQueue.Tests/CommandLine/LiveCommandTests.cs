using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.CommandLine;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.CommandLine;

/// <summary>The commands that look at a queue while it runs: the live workers, and counts printed again until stopped.</summary>
[Trait("Category", "CommandLine")]
public sealed class LiveCommandTests
{
    [Fact]
    public async Task Workers_lists_the_hosted_workers_of_a_running_host_and_health_counts_them()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(TimeProvider.System.GetUtcNow()));
        await db.Queue.InitializeAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddSqliteQueue(o => o.ConnectionString = db.ConnectionString)
            .AddWorker(o => { o.Queues = ["mail", "reports"]; o.WorkerId = "cli-test-worker"; o.Concurrency = 3; });
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            // The worker registers before its first claim; wait for its row rather than for a time.
            await Eventually.TrueAsync(async () => (await db.Queue.Monitor.ListWorkersAsync()).Count == 1, "the hosted worker registers");

            var run = await ToolProcess.RunAsync("workers", "--db", db.Path, "--json");
            run.ExitCode.Should().Be(SqliteQueueExitCodes.Success, run.ToString());
            var worker = run.Json().RootElement.GetProperty("workers").EnumerateArray().Single();
            worker.GetProperty("id").GetString().Should().Be("cli-test-worker");
            worker.GetProperty("concurrency").GetInt32().Should().Be(3);
            worker.GetProperty("processId").GetInt32().Should().Be(Environment.ProcessId);
            worker.GetProperty("queues").EnumerateArray().Select(q => q.GetString()).Should().Equal("mail", "reports");

            var text = await ToolProcess.RunAsync("workers", "--db", db.Path);
            text.Out.Should().Contain("cli-test-worker").And.Contain("mail,reports");

            var health = await ToolProcess.RunAsync("health", "--db", db.Path, "--min-live-workers", "1", "--json");
            health.Json().RootElement.GetProperty("data").GetProperty(SqliteQueue.Monitoring.QueueHealthFigures.LiveWorkers).GetInt64().Should().Be(1, health.ToString());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public async Task Stats_watch_prints_the_counts_again_until_stopped_and_sees_new_jobs()
    {
        await using var db = new TestDatabase(new ManualTimeProvider(TimeProvider.System.GetUtcNow()));
        await db.Client.EnqueueJsonAsync("x", "{}");
        using var process = ToolProcess.Start("stats", "--db", db.Path, "--watch", "200ms", "--json");
        try
        {
            process.StandardInput.Close();
            var documents = new List<string>();
            var current = new System.Text.StringBuilder();

            // Each print is one indented JSON document ending with a closing brace at the start of a line.
            async Task<string> NextDocumentAsync()
            {
                while (await process.StandardOutput.ReadLineAsync().WaitAsync(Eventually.Bound) is { } line)
                {
                    current.AppendLine(line);
                    if (line == "}")
                    {
                        var document = current.ToString();
                        current.Clear();
                        return document;
                    }
                }

                throw new InvalidOperationException($"The watch ended: {await process.StandardError.ReadToEndAsync()}");
            }

            Pending(await NextDocumentAsync()).Should().Be(1);
            await db.Client.EnqueueJsonAsync("x", "{}");
            while (Pending(await NextDocumentAsync()) != 2)
            {
                // An earlier print may have come before the second enqueue; the next ones show it.
            }

            process.HasExited.Should().BeFalse("--watch prints until it is stopped");
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    private static long Pending(string document)
    {
        using var json = System.Text.Json.JsonDocument.Parse(document);
        return json.RootElement.GetProperty("queues").EnumerateArray().Single().GetProperty("pending").GetInt64();
    }
}
