using System.Collections.Frozen;
using System.Security.Cryptography;

namespace SqliteQueue.Dashboard.Internal;

/// <summary>The page, its script and its styles, read once from the assembly's manifest resources.</summary>
internal static class EmbeddedAssets
{
    private const string Prefix = "SqliteQueue.Dashboard.wwwroot.";

    private static readonly Lazy<FrozenDictionary<string, Asset>> All = new(Load);

    public static Asset? Find(string file) => All.Value.GetValueOrDefault(file);

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(EmbeddedAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            var file = name[Prefix.Length..];
            var type = ContentType(file);
            if (type is null)
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var hash = Convert.ToHexStringLower(SHA256.HashData(bytes))[..16];
            assets[file] = new Asset(file, bytes, type, hash, "\"" + hash + "\"");
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    internal static string? ContentType(string file) => Path.GetExtension(file).ToUpperInvariant() switch
    {
        ".HTML" => "text/html; charset=utf-8",
        ".JS" => "text/javascript; charset=utf-8",
        ".CSS" => "text/css; charset=utf-8",
        ".SVG" => "image/svg+xml",
        ".PNG" => "image/png",
        ".ICO" => "image/x-icon",
        _ => null,
    };
}

/// <summary>One embedded file.</summary>
/// <param name="File">Its name under <c>wwwroot</c>.</param>
/// <param name="Content">Its bytes.</param>
/// <param name="ContentType">Its media type.</param>
/// <param name="Hash">The first 16 hex digits of its SHA-256: a page may ask for <c>assets/app.js?v=</c> this, and gets it cached for a year.</param>
/// <param name="ETag">The hash, quoted.</param>
internal sealed record Asset(string File, byte[] Content, string ContentType, string Hash, string ETag);
