using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace PipelineHost.Protocol.Json;

/// <summary>
/// Parses client JSON so that every defect is found while parsing, as a <see cref="JsonException"/> naming it, rather
/// than later when a handler touches the bad part: a <see cref="JsonNode"/> is lazy, and on first access throws
/// <see cref="ArgumentException"/> for a duplicate key or <see cref="InvalidOperationException"/> for a string that is
/// not valid UTF-8 or holds a lone surrogate escape, which would surface as an internal error.
/// </summary>
public static class StrictJson
{
    /// <summary>The depth limit used when none is given.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>Parses <paramref name="utf8"/>; null for the JSON literal <c>null</c>.</summary>
    /// <exception cref="JsonException">The text is not valid UTF-8, not valid JSON, has a duplicate key or a lone surrogate.</exception>
    public static JsonNode? Parse(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        if (!Utf8.IsValid(utf8))
        {
            throw new JsonException("The text is not valid UTF-8.");
        }

        EnsureEscapesAreValid(utf8, maxDepth, relaxed: false);
        return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
    }

    /// <summary>
    /// As <see cref="Parse"/>, also allowing comments and trailing commas: the syntax <see cref="Json5"/> rewrites
    /// pipeline files into, held to the same checks.
    /// </summary>
    /// <exception cref="JsonException">As <see cref="Parse"/>.</exception>
    internal static JsonNode? ParseRelaxed(ReadOnlySpan<byte> utf8, int maxDepth = DefaultMaxDepth)
    {
        EnsureEscapesAreValid(utf8, maxDepth, relaxed: true);
        return JsonNode.Parse(utf8, documentOptions: new JsonDocumentOptions
        {
            MaxDepth = maxDepth,
            AllowDuplicateProperties = false,
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
    }

    /// <summary>
    /// Unescapes every escaped string and property name once, so that a lone surrogate (<c>"\ud800"</c>), which the
    /// reader accepts as syntax, is refused here. Frames without a <c>\u</c> escape skip the pass.
    /// </summary>
    private static void EnsureEscapesAreValid(ReadOnlySpan<byte> header, int maxDepth, bool relaxed)
    {
        if (header.IndexOf("\\u"u8) < 0)
        {
            return;
        }

        var reader = new Utf8JsonReader(header, new JsonReaderOptions
        {
            MaxDepth = maxDepth,
            CommentHandling = relaxed ? JsonCommentHandling.Skip : JsonCommentHandling.Disallow,
            AllowTrailingCommas = relaxed,
        });
        char[]? scratch = null;
        try
        {
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped)
                {
                    continue;
                }

                var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
                if (scratch is null || scratch.Length < length)
                {
                    if (scratch is not null)
                    {
                        ArrayPool<char>.Shared.Return(scratch);
                    }

                    scratch = ArrayPool<char>.Shared.Rent(length);
                }

                try
                {
                    reader.CopyString(scratch);
                }
                catch (InvalidOperationException)
                {
                    throw new JsonException(reader.TokenType == JsonTokenType.PropertyName
                        ? "A property name holds an invalid \\u escape (a lone surrogate)."
                        : "A string holds an invalid \\u escape (a lone surrogate).");
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<char>.Shared.Return(scratch);
            }
        }
    }
}
