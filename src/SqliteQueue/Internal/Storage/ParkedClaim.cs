namespace SqliteQueue.Internal.Storage;

/// <summary>A claim waiting in the store for a commit that makes work due; see <see cref="GroupCommit.ParkClaim"/>.</summary>
internal sealed class ParkedClaim(ClaimArgs args)
{
    public WriteItem<ClaimArgs, List<ClaimedJob>> Item { get; } = new(args, static (s, tx, a) => s.Claim(tx, a));

    /// <summary>The jobs claimed, once a commit has run the claim (it fails if that commit failed: nothing is then held).</summary>
    public Task<List<ClaimedJob>> Claimed => Item.Task;

    public bool Covers(string queue)
    {
        foreach (var mine in args.Queues)
        {
            if (string.Equals(mine, queue, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
