using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Splits an object's text into documents (chunks) for indexing: fixed-size chunks with overlap that prefer to
/// end at whitespace, or paragraphs merged up to the chunk size. Offsets are in UTF-16 code units of the whole
/// text, and a chunk never splits a surrogate pair.
/// </summary>
public sealed partial class PreprocessorProvider : IComponentProvider
{
    private const string Name = "preprocessor";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Chunker",
        Description: "Collects an object's text and splits it into documents of about chunkSize characters, by size with overlap or by paragraph, or of at most chunkSize model tokens (cl100k_base, o200k_base) with overlap.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.Text] = [LaneNames.Documents] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["mode"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("size", "paragraph"), ["default"] = "size", ["description"] = "size: fixed-size chunks with overlap; paragraph: split on blank lines, merging small paragraphs." },
                ["chunkSize"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["default"] = 1000, ["description"] = "Largest chunk, in characters." },
                ["overlap"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["default"] = 100, ["description"] = "Characters (or tokens) a size chunk repeats from the end of the previous one; less than chunkSize." },
                ["unit"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("characters", "tokens"), ["default"] = "characters", ["description"] = "What chunkSize and overlap count: characters, or model tokens of 'encoding' (size mode only)." },
                ["encoding"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("cl100k_base", "o200k_base"), ["default"] = "cl100k_base", ["description"] = "The tiktoken encoding tokens are counted in: cl100k_base (GPT-4, GPT-3.5) or o200k_base (GPT-4o)." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"chunks_1","provider":"preprocessor","config":{"mode":"size","chunkSize":1000,"overlap":100},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var mode = ConfigValues.GetChoice(config, Name, "mode", "size", "size", "paragraph");
        var chunkSize = ConfigValues.GetInt32(config, Name, "chunkSize", 1000, 1);
        // Unset, the overlap is 100 but never more than half a chunk, so a small chunkSize alone is valid.
        var overlap = ConfigValues.GetInt32(config, Name, "overlap", Math.Min(100, chunkSize / 2), 0);
        if (overlap >= chunkSize)
        {
            throw new ComponentConfigException($"{Name}: config.overlap must be less than config.chunkSize.");
        }

        var tokens = ConfigValues.GetChoice(config, Name, "unit", "characters", "characters", "tokens") == "tokens";
        if (tokens && mode == "paragraph")
        {
            throw new ComponentConfigException($"{Name}: config.unit \"tokens\" chunks by size; it cannot be combined with mode \"paragraph\".");
        }

        var tokenizer = tokens
            ? TokenChunker.For(ConfigValues.GetChoice(config, Name, "encoding", "cl100k_base", [.. TokenChunker.Encodings]))
            : null;
        return new Preprocessor(mode == "paragraph", chunkSize, overlap, tokenizer);
    }

    /// <summary>
    /// The [start, end) ranges of size chunks over <paramref name="text"/>[<paramref name="from"/>..<paramref name="to"/>):
    /// each at most <paramref name="chunkSize"/> long (two longer only to keep a surrogate pair whole), ending at
    /// whitespace when there is some in its last 20%, and starting <paramref name="overlap"/> before the previous end.
    /// </summary>
    internal static IEnumerable<(int Start, int End)> SizeChunks(string text, int from, int to, int chunkSize, int overlap)
    {
        var start = from;
        while (start < to)
        {
            var end = Math.Min(start + chunkSize, to);
            if (end < to && !char.IsWhiteSpace(text[end]))
            {
                var minBreak = start + Math.Max(1, chunkSize - (chunkSize / 5));
                for (var p = end; p >= minBreak && p > start; p--)
                {
                    if (char.IsWhiteSpace(text[p - 1]))
                    {
                        end = p;
                        break;
                    }
                }
            }

            end = KeepPair(text, end, start);
            yield return (start, end);
            if (end >= to)
            {
                yield break;
            }

            start = KeepPair(text, Math.Max(end - overlap, start + 1), start);
        }
    }

    /// <summary>Moves a cut that would fall inside a surrogate pair back before it, or past it when that would leave nothing after <paramref name="floor"/>.</summary>
    private static int KeepPair(string text, int cut, int floor)
    {
        if (cut <= 0 || cut >= text.Length || !char.IsHighSurrogate(text[cut - 1]) || !char.IsLowSurrogate(text[cut]))
        {
            return cut;
        }

        return cut - 1 > floor ? cut - 1 : cut + 1;
    }

    /// <summary>Paragraph ranges (trimmed, never empty) merged while the merged range fits in <paramref name="chunkSize"/>; longer paragraphs are size-chunked.</summary>
    internal static IEnumerable<(int Start, int End)> ParagraphChunks(string text, int chunkSize, int overlap)
    {
        var groupStart = -1;
        var groupEnd = -1;
        foreach (var (start, end) in Paragraphs(text))
        {
            if (groupStart >= 0 && end - groupStart <= chunkSize)
            {
                groupEnd = end;
                continue;
            }

            if (groupStart >= 0)
            {
                yield return (groupStart, groupEnd);
                groupStart = -1;
            }

            if (end - start > chunkSize)
            {
                foreach (var chunk in SizeChunks(text, start, end, chunkSize, overlap))
                {
                    yield return chunk;
                }
            }
            else
            {
                (groupStart, groupEnd) = (start, end);
            }
        }

        if (groupStart >= 0)
        {
            yield return (groupStart, groupEnd);
        }
    }

    private static IEnumerable<(int Start, int End)> Paragraphs(string text)
    {
        var position = 0;
        for (var separator = BlankLines().Match(text); separator.Success; separator = separator.NextMatch())
        {
            if (Trim(text, position, separator.Index) is { } paragraph)
            {
                yield return paragraph;
            }

            position = separator.Index + separator.Length;
        }

        if (Trim(text, position, text.Length) is { } last)
        {
            yield return last;
        }

        static (int, int)? Trim(string text, int start, int end)
        {
            while (start < end && char.IsWhiteSpace(text[start]))
            {
                start++;
            }

            while (end > start && char.IsWhiteSpace(text[end - 1]))
            {
                end--;
            }

            return end > start ? (start, end) : null;
        }
    }

    [GeneratedRegex(@"\r?\n(?:[ \t]*\r?\n)+", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 10_000)]
    private static partial Regex BlankLines();

    private sealed class Preprocessor(bool paragraphs, int chunkSize, int overlap, Microsoft.ML.Tokenizers.Tokenizer? tokenizer) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(context.Name, paragraphs, chunkSize, overlap, tokenizer);
    }

    private sealed class Processor(string objectName, bool paragraphs, int chunkSize, int overlap, Microsoft.ML.Tokenizers.Tokenizer? tokenizer) : IObjectProcessor
    {
        private readonly StringBuilder _text = new();

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            _text.Append(payload is TextPayload text
                ? text.Text
                : throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; the preprocessor reads 'text'."));
            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (_text.Length == 0)
            {
                return;
            }

            var text = _text.ToString();
            var ranges = tokenizer is not null ? TokenChunker.Chunks(text, tokenizer, chunkSize, overlap)
                : (paragraphs ? ParagraphChunks(text, chunkSize, overlap) : SizeChunks(text, 0, text.Length, chunkSize, overlap)).Select(r => (r.Start, r.End, Tokens: -1));
            var documents = ranges.Select((range, index) =>
            {
                var meta = new JsonObject { ["object"] = objectName, ["chunk"] = index, ["start"] = range.Start, ["end"] = range.End };
                if (range.Tokens >= 0)
                {
                    meta["tokens"] = range.Tokens;
                }

                return new Document(text[range.Start..range.End], meta);
            }).ToList();
            if (documents.Count > 0)
            {
                await output.EmitAsync(LaneNames.Documents, new DocumentsPayload(documents), cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
