using System.Collections.Concurrent;
using Microsoft.ML.Tokenizers;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Chunks text by model tokens with Microsoft.ML.Tokenizers and its packaged tiktoken data (<c>cl100k_base</c>,
/// <c>o200k_base</c>): each chunk at most chunkSize tokens, the next starting overlap tokens before its end.
/// Ranges are character offsets into the text, as the character chunker's are.
/// </summary>
internal static class TokenChunker
{
    /// <summary>The encodings whose data ships with PipelineHost.</summary>
    public static readonly IReadOnlyList<string> Encodings = ["cl100k_base", "o200k_base"];

    // A tokenizer loads its vocabulary once (a few MB); after that it is immutable and safe to share.
    private static readonly ConcurrentDictionary<string, Lazy<Tokenizer>> Tokenizers = new(StringComparer.Ordinal);

    /// <summary>The tokenizer for <paramref name="encoding"/>, one of <see cref="Encodings"/>.</summary>
    public static Tokenizer For(string encoding) =>
        Tokenizers.GetOrAdd(encoding, static name => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(name))).Value;

    /// <summary>The [start, end) character ranges of token chunks over <paramref name="text"/>, with their token counts.</summary>
    public static IEnumerable<(int Start, int End, int Tokens)> Chunks(string text, Tokenizer tokenizer, int chunkSize, int overlap)
    {
        var tokens = tokenizer.EncodeToTokens(text, out _);
        var first = 0;
        while (first < tokens.Count)
        {
            var last = Math.Min(first + chunkSize, tokens.Count) - 1;
            var start = tokens[first].Offset.Start.GetOffset(text.Length);
            var end = last + 1 < tokens.Count ? tokens[last + 1].Offset.Start.GetOffset(text.Length) : text.Length;
            if (end > start)
            {
                yield return (start, end, last - first + 1);
            }

            if (last + 1 >= tokens.Count)
            {
                yield break;
            }

            first = Math.Max(last + 1 - overlap, first + 1);
        }
    }
}
