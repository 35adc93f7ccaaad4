using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using SqliteQueue.Tests.Infrastructure;

namespace SqliteQueue.Tests.Samples;

/// <summary>
/// Runs the WebApi sample the way a user splits it in two: the web app with <c>Queue__RunWorker=false</c>, which only
/// enqueues, and the same binary's <c>worker</c> command, which drains the queue. Both are real processes on one
/// file; they wait for conditions under generous bounds and never assert a duration.
/// </summary>
public sealed partial class StandaloneWorkerTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "sqlitequeue-tests", Guid.NewGuid().ToString("N"));

    public StandaloneWorkerTests() => Directory.CreateDirectory(_directory);

    [Fact]
    public async Task Web_app_without_its_worker_only_enqueues_and_the_worker_command_drains_the_jobs_and_stops_on_SIGTERM()
    {
        using var web = SampleProcess.Start(SampleEnvironment());
        SampleProcess? worker = null;
        try
        {
            using var http = new HttpClient { BaseAddress = await web.ListeningUrlAsync(Bound) };
            var ids = new List<long>();
            for (var i = 0; i < 5; i++)
            {
                var response = await http.PostAsJsonAsync("/jobs", new { type = "email.send", payload = new { to = "a@example.com", subject = "hi" } });
                response.StatusCode.Should().Be(System.Net.HttpStatusCode.Accepted, web.Describe());
                ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64());
            }

            // Proving that nothing runs them needs a pause: a worker in this process would be woken by the enqueue
            // and would have claimed them well within it.
            await Task.Delay(TimeSpan.FromSeconds(1));
            foreach (var id in ids)
            {
                (await StateAsync(http, id)).Should().Be("Pending", $"no worker runs in the web process.{web.Describe()}");
            }

            web.Lines.Should().NotContain(l => WorkerStarted().IsMatch(l), "Queue:RunWorker=false adds no hosted worker");

            worker = SampleProcess.Start(SampleEnvironment(), "worker");
            using (var cts = new CancellationTokenSource(Bound))
            {
                foreach (var id in ids)
                {
                    while (await StateAsync(http, id) != "Completed")
                    {
                        try
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            throw new TimeoutException($"Job {id} was not completed within {Bound}.{worker.Describe()}{web.Describe()}");
                        }
                    }
                }
            }

            using (var stats = SampleProcess.Start(SampleEnvironment(), "stats", "--json"))
            {
                (await stats.WaitForExitAsync(Bound)).Should().Be(0, stats.Describe());
                var json = JsonDocument.Parse(stats.Output);
                var queue = json.RootElement.GetProperty("queues").EnumerateArray().Single(q => q.GetProperty("queue").GetString() == "default");

                // At least: a recurring occurrence could come due in the worker meanwhile and be completed too.
                queue.GetProperty("completed").GetInt64().Should().BeGreaterThanOrEqualTo(ids.Count, stats.Describe());
            }

            // Process.Kill is SIGKILL; the graceful stop under test is the host's answer to SIGTERM.
            using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!)
            {
                await kill.WaitForExitAsync();
                kill.ExitCode.Should().Be(0);
            }

            (await worker.WaitForExitAsync(Bound)).Should().Be(0, worker.Describe());
        }
        finally
        {
            worker?.Dispose();
        }
    }

    [Fact]
    public async Task A_first_argument_that_names_no_command_starts_the_web_app()
    {
        using var web = SampleProcess.Start(SampleEnvironment(), "bogus-command");

        // The web app starts listening; the command line would have exited with a usage error instead.
        var url = await web.ListeningUrlAsync(Bound);
        using var http = new HttpClient { BaseAddress = url };
        (await http.GetAsync(new Uri("/stats", UriKind.Relative))).StatusCode.Should().Be(System.Net.HttpStatusCode.OK, web.Describe());

        // The sample mounts the dashboard at /dashboard, served to this local request.
        (await http.GetAsync(new Uri("/dashboard/", UriKind.Relative))).StatusCode.Should().Be(System.Net.HttpStatusCode.OK, web.Describe());
        using var overview = JsonDocument.Parse(await http.GetStringAsync(new Uri("/dashboard/api/overview", UriKind.Relative)));
        overview.RootElement.GetProperty("queues").ValueKind.Should().Be(JsonValueKind.Array);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A killed process's file may still be held for a moment; the temp folder keeps it.
        }
    }

    /// <summary>Every process gets the same: the commands always run the worker, whatever Queue:RunWorker says.</summary>
    private Dictionary<string, string> SampleEnvironment() => new()
    {
        ["ConnectionStrings__Queue"] = $"Data Source={Path.Combine(_directory, "jobs.db")}",
        ["Queue__RunWorker"] = "false",
        ["Queue__BackupDirectory"] = Path.Combine(_directory, "backups"),
        ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
    };

    private static async Task<string?> StateAsync(HttpClient http, long id) =>
        (await http.GetFromJsonAsync<JsonElement>(new Uri($"/jobs/{id}", UriKind.Relative))).GetProperty("state").GetString();

    [GeneratedRegex(@"Worker \S+ started on queues")]
    private static partial Regex WorkerStarted();

    /// <summary>The sample's dll run by <c>dotnet</c>, its stdout lines collected as they arrive; disposing kills it if it still runs.</summary>
    private sealed partial class SampleProcess : IDisposable
    {
        private readonly Process _process;
        private readonly string _commandLine;
        private readonly Lock _lock = new();
        private readonly List<string> _lines = [];
        private readonly StringBuilder _errors = new();

        private SampleProcess(Process process, string commandLine)
        {
            _process = process;
            _commandLine = commandLine;
        }

        public static string Dll { get; } = BuiltPrograms.Dll("WebApiSamplePath", "The WebApi sample");

        public int Id => _process.Id;

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lock)
                {
                    return [.. _lines];
                }
            }
        }

        public string Output => string.Join('\n', Lines);

        public static SampleProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
        {
            var start = BuiltPrograms.StartInfo(Dll, args);
            start.WorkingDirectory = Path.GetDirectoryName(Dll)!;

            foreach (var (name, value) in environment)
            {
                start.Environment[name] = value;
            }

            var process = new Process { StartInfo = start };
            var sample = new SampleProcess(process, string.Join(' ', ["dotnet", Path.GetFileName(Dll), .. args]));
            process.OutputDataReceived += (_, e) => sample.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => sample.OnError(e.Data);
            if (!process.Start())
            {
                throw new InvalidOperationException($"Could not start {sample._commandLine}.");
            }

            process.StandardInput.Close();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return sample;
        }

        /// <summary>The address Kestrel bound, from its "Now listening on" log line (the port is chosen by the OS).</summary>
        public async Task<Uri> ListeningUrlAsync(TimeSpan bound)
        {
            using var cts = new CancellationTokenSource(bound);
            while (true)
            {
                if (Lines.Select(l => Listening().Match(l)).FirstOrDefault(m => m.Success) is { } match)
                {
                    return new Uri(match.Groups[1].Value);
                }

                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"The web app exited ({_process.ExitCode}) before it listened.{Describe()}");
                }

                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), cts.Token);
                }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"The web app did not listen within {bound}.{Describe()}");
                }
            }
        }

        /// <summary>Waits for the process to exit and its output to drain.</summary>
        public async Task<int> WaitForExitAsync(TimeSpan bound)
        {
            using var cts = new CancellationTokenSource(bound);
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"`{_commandLine}` did not exit within {bound}.{Describe()}");
            }

            return _process.ExitCode;
        }

        public string Describe()
        {
            string errors;
            lock (_lock)
            {
                errors = _errors.ToString();
            }

            return $"{Environment.NewLine}`{_commandLine}` stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr: {(errors.Length == 0 ? "(none)" : errors)}";
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException)
            {
                // It exited between the check and the kill.
            }
            finally
            {
                _process.Dispose();
            }
        }

        private void OnLine(string? line)
        {
            if (line is not null)
            {
                lock (_lock)
                {
                    _lines.Add(line);
                }
            }
        }

        private void OnError(string? line)
        {
            if (line is not null)
            {
                lock (_lock)
                {
                    _errors.AppendLine(line);
                }
            }
        }

        [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
        private static partial Regex Listening();
    }
}
