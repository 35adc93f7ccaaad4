using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace SqliteQueue.Internal;

/// <summary>
/// A buffer one thread serializes payloads into as UTF-8, which SQLite stores as it is: no string is made of the
/// JSON, and SQLite does not convert it back. One is kept per thread, taken while in use (<see cref="Rent"/>) and given
/// back after (<see cref="Return"/>), so a call nested on the same thread (an observer that enqueues) gets its own.
/// </summary>
#pragma warning disable CA1001 // The writer holds only the managed buffer beside it: nothing to free, and a thread keeps it for good.
internal sealed class Utf8Payload
#pragma warning restore CA1001
{
    // A buffer grown past this by a large payload is not kept: the thread would hold the memory for good.
    private const int KeepUpTo = 64 * 1024;

    [ThreadStatic]
    private static Utf8Payload? t_kept;

    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    private Utf8Payload(JsonSerializerOptions options)
    {
        Options = options;

        // What JsonSerializer.Serialize(value, options) writes with, so the bytes are those of the string it returns.
        _writer = new Utf8JsonWriter(_buffer, new JsonWriterOptions
        {
            Encoder = options.Encoder,
            Indented = options.WriteIndented,
            IndentCharacter = options.IndentCharacter,
            IndentSize = options.IndentSize,
            NewLine = options.NewLine,
            MaxDepth = options.MaxDepth,
            SkipValidation = true,
        });
    }

    public JsonSerializerOptions Options { get; }

    /// <summary>The JSON written last; valid until the next <see cref="Write"/>.</summary>
    public byte[] Bytes => MemoryMarshal.TryGetArray(_buffer.WrittenMemory, out var segment) ? segment.Array! : [];

    /// <summary>How many of <see cref="Bytes"/> are the JSON.</summary>
    public int Length => _buffer.WrittenCount;

    public static Utf8Payload Rent(JsonSerializerOptions options)
    {
        var kept = t_kept;
        t_kept = null;
        return kept is not null && ReferenceEquals(kept.Options, options) ? kept : new Utf8Payload(options);
    }

    public static void Return(Utf8Payload payload)
    {
        if (payload._buffer.Capacity <= KeepUpTo)
        {
            t_kept = payload;
        }
    }

    /// <summary>Serializes <paramref name="value"/> in place of what was written before.</summary>
    public void Write<T>(T value)
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        JsonSerializer.Serialize(_writer, value, Options);
        _writer.Flush();
    }
}
