using System.Text;

namespace SqliteQueue.Internal.Recurring.Schedules;

/// <summary>
/// The seed for Cronos' H fields, from a recurring job's name. It must be the same in every process and every
/// .NET version (string.GetHashCode is randomized per process), so it is FNV-1a over the name's UTF-8 bytes.
/// Renaming a recurring job therefore moves its H times.
/// </summary>
internal static class JitterSeed
{
    public static int FromName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        var hash = offsetBasis;
        foreach (var b in Encoding.UTF8.GetBytes(name))
        {
            hash = unchecked((hash ^ b) * prime);
        }

        return unchecked((int)hash);
    }
}
