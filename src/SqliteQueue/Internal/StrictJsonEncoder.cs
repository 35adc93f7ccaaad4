using System.Text.Encodings.Web;

namespace SqliteQueue.Internal;

/// <summary>
/// Wraps the serializer's encoder to refuse strings with unpaired surrogates. System.Text.Json would otherwise
/// write them as U+FFFD, so a payload would silently not round-trip. The serializer hands every string to
/// <see cref="FindFirstCharacterToEncode"/> as UTF-16 before it escapes or transcodes it.
/// </summary>
internal sealed class StrictJsonEncoder(JavaScriptEncoder inner) : JavaScriptEncoder
{
    public override int MaxOutputCharactersPerInputCharacter => inner.MaxOutputCharactersPerInputCharacter;

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        if (!Guard.IsWellFormed(new ReadOnlySpan<char>(text, textLength)))
        {
            throw new MalformedTextException();
        }

        return inner.FindFirstCharacterToEncode(text, textLength);
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text) => inner.FindFirstCharacterToEncodeUtf8(utf8Text);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten) =>
        inner.TryEncodeUnicodeScalar(unicodeScalar, buffer, bufferLength, out numberOfCharactersWritten);

    public override bool WillEncode(int unicodeScalar) => inner.WillEncode(unicodeScalar);

    /// <summary>Raised through the serializer; turned into an <see cref="ArgumentException"/> naming the payload.</summary>
    internal sealed class MalformedTextException : Exception
    {
        public MalformedTextException()
            : base(Errors.PayloadNotWellFormed)
        {
        }

        public MalformedTextException(string message)
            : base(message)
        {
        }

        public MalformedTextException(string message, Exception innerException)
            : base(message, innerException)
        {
        }
    }
}
