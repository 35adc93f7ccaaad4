namespace SqliteQueue.Tests.Infrastructure;

/// <summary>Waits for a condition in real time with a generous bound; never asserts a duration.</summary>
public static class Eventually
{
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    public static async Task TrueAsync(Func<bool> condition, string because, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {bound ?? Bound}: {because}");
            }

            await Task.Delay(5);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string because, TimeSpan? bound = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bound);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {bound ?? Bound}: {because}");
            }

            await Task.Delay(5);
        }
    }
}
