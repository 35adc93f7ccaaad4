using System.Diagnostics;
using System.Text;
using System.Text.Json;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.CommandLine;

/// <summary>One run of the <c>sqlitequeue</c> tool: its exit code, standard output and standard error.</summary>
public sealed record ToolRun(int ExitCode, string Out, string Error)
{
    /// <summary>Standard output as JSON, for runs with <c>--json</c>.</summary>
    public JsonDocument Json()
    {
        try
        {
            return JsonDocument.Parse(Out);
        }
        catch (JsonException ex)
        {
            throw new InvalidOperationException($"The tool's output is not JSON ({ex.Message}). {this}", ex);
        }
    }

    public override string ToString() => $"Exit code {ExitCode}.{Environment.NewLine}stdout:{Environment.NewLine}{Out}{Environment.NewLine}stderr:{Environment.NewLine}{Error}";
}

/// <summary>
/// Runs the <c>sqlitequeue</c> tool as its own process, as an operator or a script would: standard input is redirected
/// and closed (so it is not a terminal and confirmations are refused), and <c>SQLITEQUEUE_DB</c> and
/// <c>SQLITEQUEUE_PREFIX</c> are removed so only the arguments name the file.
/// </summary>
public static class ToolProcess
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private static readonly Lazy<string> ToolDll = new(() => BuiltPrograms.Dll("ToolPath", "The sqlitequeue tool"));

    public static async Task<ToolRun> RunAsync(params string[] args)
    {
        using var process = Start(args);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // It exited between the timeout and the kill.
            }

            throw new TimeoutException($"`sqlitequeue {string.Join(' ', args)}` did not finish within {Timeout} and was killed.");
        }

        return new ToolRun(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts the tool with its input, output and error redirected, for a command that runs until it is stopped.</summary>
    public static Process Start(params string[] args)
    {
        var start = BuiltPrograms.StartInfo(ToolDll.Value, args);

        start.Environment.Remove("SQLITEQUEUE_DB");
        start.Environment.Remove("SQLITEQUEUE_PREFIX");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {start.FileName}.");
    }
}
