using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SqliteQueue.Internal;

/// <summary>Validation of public input; each failure names the parameter and the value.</summary>
internal static class Guard
{
    public const int MaxNameLength = 200;
    public const int MaxKeyLength = 1000;
    public const int MaxPriority = 1_000_000;
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(3650);
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(7);

    public static string Name(string? value, string what, string paramName)
    {
        if (value is null || !IsValidName(value))
        {
            throw value is null
                ? new ArgumentNullException(paramName, Errors.InvalidName(what, value, MaxNameLength))
                : new ArgumentException(Errors.InvalidName(what, value, MaxNameLength), paramName);
        }

        return value;
    }

    public static string? Key(string? value, string paramName)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 || value.Length > MaxKeyLength || value.Contains('\0', StringComparison.Ordinal) || !IsWellFormed(value) || !HasVisible(value))
        {
            throw new ArgumentException(Errors.InvalidKey(value, MaxKeyLength), paramName);
        }

        return value;
    }

    public static void PayloadJson(string payload, int maxLength, string paramName)
    {
        ArgumentNullException.ThrowIfNull(payload, paramName);
        if (payload.Length > maxLength)
        {
            throw new ArgumentException(Errors.PayloadTooLong(payload.Length, maxLength), paramName);
        }

        if (!IsWellFormed(payload))
        {
            throw new ArgumentException(Errors.PayloadNotWellFormed, paramName);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(payload.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(payload, buffer);
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read())
            {
                throw new ArgumentException(Errors.PayloadNotJson("it is empty."), paramName);
            }

            reader.Skip();
            if (reader.Read())
            {
                throw new ArgumentException(Errors.PayloadNotJson("more than one value."), paramName);
            }
        }
        catch (JsonException ex)
        {
            throw new ArgumentException(Errors.PayloadNotJson(ex.Message), paramName, ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static void Positive(long value, string paramName) => ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value, paramName);

    public static void InRange(int value, int min, int max, string paramName)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be from {min} to {max}.");
        }
    }

    public static void InRange(TimeSpan value, TimeSpan min, TimeSpan max, string paramName)
    {
        if (value < min || value > max)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"{paramName} must be from {min} to {max}.");
        }
    }

    public static bool IsWellFormed(ReadOnlySpan<char> value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]))
                {
                    return false;
                }

                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The rule for queue names, job types and worker ids: 1 to 200 characters, at least one of them visible,
    /// no control characters, well-formed UTF-16.
    /// </summary>
    public static bool IsValidName(string value) =>
        value.Length is > 0 and <= MaxNameLength && !HasControl(value) && IsWellFormed(value) && HasVisible(value);

    // The characters char.IsControl names (C0, DEL and C1), found without an enumerator: names are checked on every enqueue.
    private static bool HasControl(ReadOnlySpan<char> value) =>
        value.IndexOfAnyInRange('\u0000', '\u001f') >= 0 || value.IndexOfAnyInRange('\u007f', '\u009f') >= 0;

    /// <summary>Whether the text has a character that shows, so that it is not blank: see <see cref="IsInvisible"/>.</summary>
    public static bool HasVisible(ReadOnlySpan<char> value)
    {
        foreach (var rune in value.EnumerateRunes())
        {
            if (!IsInvisible(rune.Value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// White space, control and format characters (zero-width spaces and joiners, the byte-order mark, bidirectional
    /// controls, soft hyphens, tags), and the rest of Unicode's Default_Ignorable_Code_Point set (fillers, variation
    /// selectors, the combining grapheme joiner): characters that show nothing on their own.
    /// </summary>
    public static bool IsInvisible(int codePoint)
    {
        if (!Rune.IsValid(codePoint))
        {
            return false;
        }

        var rune = new Rune(codePoint);
        return Rune.IsWhiteSpace(rune)
            || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            || codePoint is 0x034F or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or (>= 0x180B and <= 0x180F) or (>= 0x2060 and <= 0x206F)
                or 0x3164 or (>= 0xFE00 and <= 0xFE0F) or 0xFFA0 or (>= 0xFFF0 and <= 0xFFF8) or (>= 0xE0000 and <= 0xE0FFF);
    }

    /// <summary>Adds a failure naming <c>{owner}.{option}</c> when the value is outside [min, max]; shared by the options validators.</summary>
    public static void OptionInRange<T>(List<string> failures, string owner, string option, T value, T min, T max)
        where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            failures.Add($"{owner}.{option} must be from {min} to {max}; got {value}.");
        }
    }
}
