using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using SqliteQueue.PostgreSql;

namespace SqliteQueue.Benchmarks.EndToEnd;

/// <summary>W1, W2 and W3 of the queue on PostgreSQL.</summary>
internal static partial class PeerPostgreSql
{
    private static SqliteQueueOptions QueueOptions(string cs, string schema) =>
        new SqliteQueueOptions().UsePostgreSql(cs, o => o.Schema = schema);

    /// <summary>W1: one awaited <c>EnqueueAsync</c> per job from one thread.</summary>
    private static async Task<double> QueueEnqueueAsync(string cs, int jobs)
    {
        var schema = NewSchema("sq_w1");
        try
        {
            await using var queue = new SqliteJobQueue(QueueOptions(cs, schema));
            await queue.InitializeAsync();
            var payloads = Enumerable.Range(0, jobs).Select(BenchmarkData.Payload).ToArray();
            var client = queue.Client;
            var watch = Stopwatch.StartNew();
            foreach (var payload in payloads)
            {
                await client.EnqueueAsync(BenchmarkData.JobType, payload);
            }

            return jobs / watch.Elapsed.TotalSeconds;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    private static ServiceProvider BuildHost(string cs, string schema, Action<QueueWorkerOptions> worker, DrainProbe drain, LatencyProbe latency)
    {
        var services = new ServiceCollection();
        services.AddSingleton(drain);
        services.AddSingleton(latency);
        services.AddSqliteQueue(o => o.UsePostgreSql(cs, p => p.Schema = schema))
            .AddHandler<OrderPayload, NoOpHandler>(BenchmarkData.JobType)
            .AddHandler<LatencyPayload, LatencyHandler>(PeerBenchmark.LatencyJobType)
            .AddWorker(worker);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    /// <summary>W2: <paramref name="jobs"/> waiting jobs, then the hosted worker at concurrency 4 from start until every completion is committed.</summary>
    private static async Task<double> QueueDrainAsync(string cs, int jobs)
    {
        var schema = NewSchema("sq_w2");
        try
        {
            var probe = new DrainProbe(jobs);
            double rate;
            await using (var provider = BuildHost(cs, schema, w => w.Concurrency = Concurrency, probe, new LatencyProbe()))
            {
                var queue = provider.GetRequiredService<SqliteJobQueue>();
                await PeerBenchmark.FillAsync(queue, jobs);
                var hosted = provider.GetServices<IHostedService>().ToArray();
                var watch = Stopwatch.StartNew();
                foreach (var service in hosted)
                {
                    await service.StartAsync(CancellationToken.None);
                }

                await probe.AllHandled.Task.WaitAsync(TimeSpan.FromMinutes(10));
                await queue.Client.WaitUntilIdleAsync(QueueNames.Default);
                rate = jobs / watch.Elapsed.TotalSeconds;
                foreach (var service in hosted)
                {
                    await service.StopAsync(CancellationToken.None);
                }
            }

            var completed = await ScalarAsync(cs, $"SELECT count(*) FROM {schema}.jobs WHERE state = 'completed'");
            if (completed != jobs || probe.Handled != jobs)
            {
                throw new InvalidOperationException($"Drain check failed: {probe.Handled} handled, {completed} completed of {jobs}.");
            }

            return rate;
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }

    /// <summary>W3 in process: enqueue call to the handler's first line, the worker started (defaults) and idle, one sample at a time.</summary>
    private static async Task<LatencyFigure> QueueLatencyAsync(string cs, int samples)
    {
        var schema = NewSchema("sq_w3");
        try
        {
            var probe = new LatencyProbe();
            await using var provider = BuildHost(cs, schema, _ => { }, new DrainProbe(int.MaxValue), probe);
            var queue = provider.GetRequiredService<SqliteJobQueue>();
            await queue.InitializeAsync();
            var hosted = provider.GetServices<IHostedService>().ToArray();
            foreach (var service in hosted)
            {
                await service.StartAsync(CancellationToken.None);
            }

            // The listener connection and the first empty claim come up in the background; a sample must not wait on them.
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            var random = new Random(1);
            var latencies = new List<double>(samples);
            const int warmup = 5;
            for (var seq = 0; seq < warmup + samples; seq++)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10 + random.Next(10)));
                await queue.Client.EnqueueAsync(PeerBenchmark.LatencyJobType, new LatencyPayload(Stopwatch.GetTimestamp(), seq));
                var ms = await probe.WaitAsync(seq, SampleTimeout);
                if (seq >= warmup)
                {
                    latencies.Add(ms);
                }
            }

            foreach (var service in hosted)
            {
                await service.StopAsync(CancellationToken.None);
            }

            return LatencyFigure.From(latencies);
        }
        finally
        {
            await DropSchemaAsync(cs, schema);
        }
    }
}
