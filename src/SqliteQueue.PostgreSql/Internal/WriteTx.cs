using Microsoft.Extensions.Logging;
using Npgsql;
using SqliteQueue.Internal;
using SqliteQueue.Internal.Storage;

namespace SqliteQueue.PostgreSql.Internal;

/// <summary>
/// One write transaction of the store: its connection, the finished-count changes it made, whether it made work due
/// (and so must notify other processes), and the jobs it rescued from expired leases, logged only once committed.
/// </summary>
internal sealed class WriteTx(PostgreSqlJobStore store)
{
    // Several queues made due in one transaction are signalled once, without naming one.
    private const string AnyQueue = "*";

    private readonly List<(string Queue, string State, int Delta)> _counts = [];
    private readonly List<(string Queue, string State, string Type)> _rescued = [];
    private NpgsqlConnection? _connection;
    private NpgsqlTransaction? _transaction;
    private string? _due;

    public PostgreSqlJobStore Store { get; } = store;

    public void Bind(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    public NpgsqlCommand Command(string template) =>
        Store.Command(template, _connection ?? throw new InvalidOperationException("The write has no connection."), _transaction);

    /// <summary>A job of <paramref name="queue"/> entered (+1) or left (−1) <paramref name="state"/>; unfinished states are not counted.</summary>
    public void Count(string queue, string state, int delta)
    {
        if (state is States.Completed or States.Dead or States.Cancelled)
        {
            _counts.Add((queue, state, delta));
        }
    }

    /// <summary>This transaction makes work due now on <paramref name="queue"/>: other processes' idle workers are told at its commit.</summary>
    public void MakesDue(string queue) => _due = _due is null || _due == queue ? queue : AnyQueue;

    public void Rescued(string queue, string state, string type) => _rescued.Add((queue, state, type));

    /// <summary>The counts, summed per queue and state and written in one order (so two writers cannot deadlock on them), and the notification.</summary>
    public async Task BeforeCommitAsync(CancellationToken cancellationToken)
    {
        if (_counts.Count > 0)
        {
            var sums = _counts
                .GroupBy(c => (c.Queue, c.State))
                .Select(g => (g.Key.Queue, g.Key.State, Delta: g.Sum(c => c.Delta)))
                .Where(c => c.Delta != 0)
                .OrderBy(c => c.Queue, StringComparer.Ordinal)
                .ThenBy(c => c.State, StringComparer.Ordinal);
            foreach (var (queue, state, delta) in sums)
            {
                var upsert = Command(PgSql.AddToCount).With(Params.Text("queue", queue), Params.Text("state", state), Params.Bigint("delta", delta));
                await using (upsert.ConfigureAwait(false))
                {
                    await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        if (_due is not null && Store.PgOptions.Notifications)
        {
            // Delivered at commit, and only if it commits: a listener never wakes for work that was rolled back.
            var notify = Command(PgSql.Notify).With(Params.Text("channel", Store.Channel), Params.Text("payload", _due));
            await using (notify.ConfigureAwait(false))
            {
                await notify.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The transaction committed: what it rescued is now true, and is logged and counted.</summary>
    public void AfterCommit(ILogger logger)
    {
        if (_rescued.Count == 0)
        {
            return;
        }

        logger.LeasesRescued(_rescued.Count);
        foreach (var (queue, state, type) in _rescued)
        {
            Store.Metrics.LeaseExpired(queue, type);
            if (state == States.Dead)
            {
                Store.Metrics.Dead(queue, type);
            }
        }
    }
}
