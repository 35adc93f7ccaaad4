using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Samples;

/// <summary>
/// Runs the PostgreSQL sample as its users would: the application's <c>enqueue</c>, a separate <c>worker</c> process
/// that drains the queue and stops on SIGTERM, and the <c>counts</c> query, each in a fresh schema of the test server.
/// </summary>
public sealed class PostgreSqlSampleTests : IAsyncDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly PostgreSqlSchema _schema = new();

    [Fact]
    public async Task Enqueue_then_a_worker_process_drains_the_queue_and_counts_shows_every_job_completed()
    {
        var (code, output) = await RunAsync("enqueue", "40");
        code.Should().Be(0, output);
        output.Should().Contain("Enqueued 40 usage events");

        using var worker = Start("worker");
        var stdout = new StringBuilder();
        worker.OutputDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
        worker.ErrorDataReceived += (_, e) => { lock (stdout) { stdout.AppendLine(e.Data); } };
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(async () => await CompletedAsync() == 40, "the worker process completes all 40 jobs");

            // Process.Kill is SIGKILL; the graceful stop under test is the host's answer to SIGTERM.
            using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
            }

            using var exited = new CancellationTokenSource(Bound);
            await worker.WaitForExitAsync(exited.Token);
            worker.ExitCode.Should().Be(0, stdout.ToString());
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill();
            }
        }

        (code, output) = await RunAsync("counts");
        code.Should().Be(0, output);
        output.Should().MatchRegex(@"(?m)^completed\s+40\s*$");
    }

    [Fact]
    public async Task Without_a_command_it_enqueues_works_until_the_queue_is_empty_and_prints_the_counts()
    {
        var (code, output) = await RunAsync();
        code.Should().Be(0, output);
        output.Should().MatchRegex(@"(?m)^completed\s+200\s*$");
        output.Should().NotMatchRegex(@"(?m)^(pending|running)\s");
    }

    [Fact]
    public async Task An_unknown_command_prints_the_usage_and_exits_2()
    {
        var (code, output) = await RunAsync("bogus");
        code.Should().Be(2, output);
        output.Should().Contain("usage:");
    }

    public ValueTask DisposeAsync() => _schema.DisposeAsync();

    private async Task<long> CompletedAsync()
    {
        await using var connection = await PostgreSqlServer.OpenAsync();
        await using var command = new NpgsqlCommand($"SELECT count(*) FROM \"{_schema.Name}\".jobs WHERE state = 'completed'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private Process Start(params string[] args)
    {
        var dll = BuiltPrograms.Dll("PostgreSqlSamplePath", "The PostgreSQL sample");
        var start = BuiltPrograms.StartInfo(dll, args);
        start.Environment["SQLITEQUEUE_PG"] = PostgreSqlServer.ConnectionString;
        start.Environment["SQLITEQUEUE_PG_SCHEMA"] = _schema.Name;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start the PostgreSQL sample ({dll}).");
        process.StandardInput.Close();
        return process;
    }

    private async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        using var process = Start(args);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Bound);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new TimeoutException($"The sample ({string.Join(' ', args)}) did not exit within {Bound}.");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
