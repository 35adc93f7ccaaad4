namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>Bounds on schedules, shared by the parser, the public type and the tests.</summary>
internal static class RecurringScheduleLimits
{
    /// <summary>The most occurrences one <c>Preview</c> returns.</summary>
    public const int MaxPreview = 1000;

    /// <summary>The longest interval: longer ones are almost always a typo, and ten years matches the longest enqueue delay.</summary>
    public const int MaxIntervalDays = 3650;
}
