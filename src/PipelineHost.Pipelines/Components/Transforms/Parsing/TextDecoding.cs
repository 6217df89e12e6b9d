using System.Text;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// Bytes to text in any common encoding: a byte-order mark wins (UTF-8, UTF-16, UTF-32); otherwise valid UTF-8
/// is UTF-8, text with a NUL in every other byte is UTF-16 without a mark, and anything else is Windows-1252 (the
/// superset of Latin-1 that legacy Western text uses). The worker runs with invariant globalization, so the legacy
/// code page comes from <see cref="CodePagesEncodingProvider"/>.
/// </summary>
public static class TextDecoding
{
    private static readonly Encoding Windows1252 = CodePagesEncodingProvider.Instance.GetEncoding(1252)
        ?? throw new InvalidOperationException("Code page 1252 is not available.");

    /// <summary>The text of <paramref name="bytes"/> and the name of the encoding it was read in.</summary>
    public static (string Text, string Encoding) Decode(ReadOnlySpan<byte> bytes)
    {
        var (encoding, skip) = Detect(bytes);
        return (encoding.GetString(bytes[skip..]), encoding.WebName);
    }

    /// <summary>The encoding of <paramref name="bytes"/> and the length of its byte-order mark.</summary>
    public static (Encoding Encoding, int Preamble) Detect(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return (new UTF8Encoding(false), 3);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0, 0]))
        {
            return (new UTF32Encoding(bigEndian: false, byteOrderMark: false), 4);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0, 0, 0xFE, 0xFF]))
        {
            return (new UTF32Encoding(bigEndian: true, byteOrderMark: false), 4);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return (new UnicodeEncoding(bigEndian: false, byteOrderMark: false), 2);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return (new UnicodeEncoding(bigEndian: true, byteOrderMark: false), 2);
        }

        if (System.Text.Unicode.Utf8.IsValid(bytes) || EndsInsideUtf8Character(bytes))
        {
            return (new UTF8Encoding(false), 0);
        }

        if (Utf16Order(bytes) is { } bigEndian)
        {
            return (new UnicodeEncoding(bigEndian, byteOrderMark: false), 0);
        }

        return (Windows1252, 0);
    }

    /// <summary>True when <paramref name="head"/> reads as text in some encoding: no control bytes other than whitespace.</summary>
    public static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return true;
        }

        var (encoding, skip) = Detect(head);
        if (encoding is UnicodeEncoding or UTF32Encoding)
        {
            return true;
        }

        foreach (var b in head[skip..])
        {
            if (b < 0x20 && b is not (byte)'\t' and not (byte)'\n' and not (byte)'\r' and not 0x0C)
            {
                return false;
            }
        }

        return true;
    }

    // Valid UTF-8 whose last character was cut by the sniffing window is still UTF-8.
    private static bool EndsInsideUtf8Character(ReadOnlySpan<byte> bytes) =>
        bytes.Length > 4 && System.Text.Unicode.Utf8.IsValid(bytes[..LastCharacterStart(bytes)]);

    private static int LastCharacterStart(ReadOnlySpan<byte> bytes)
    {
        var i = bytes.Length - 1;
        while (i > 0 && bytes.Length - i < 4 && (bytes[i] & 0xC0) == 0x80)
        {
            i--;
        }

        return i;
    }

    // UTF-16 text of mostly ASCII has a NUL in every other byte: which half says the byte order.
    private static bool? Utf16Order(ReadOnlySpan<byte> bytes)
    {
        var sample = bytes[..(Math.Min(bytes.Length, 1024) & ~1)];
        if (sample.Length < 4)
        {
            return null;
        }

        int evenZeros = 0, oddZeros = 0;
        for (var i = 0; i < sample.Length; i += 2)
        {
            evenZeros += sample[i] == 0 ? 1 : 0;
            oddZeros += sample[i + 1] == 0 ? 1 : 0;
        }

        var pairs = sample.Length / 2;
        return oddZeros * 10 >= pairs * 7 && evenZeros * 10 < pairs ? false
            : evenZeros * 10 >= pairs * 7 && oddZeros * 10 < pairs ? true
            : null;
    }
}
