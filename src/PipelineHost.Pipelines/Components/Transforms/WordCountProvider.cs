using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Passes text and documents through unchanged while counting their words into the task's
/// <c>wordsCount</c> and <c>wordsSize</c> counters. A word is a run of Unicode letters and digits (combining
/// marks continue a word); a word split between two text items of one object is counted once.
/// </summary>
public sealed class WordCountProvider : IComponentProvider
{
    private const string Name = "wordcount";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Word count",
        Description: "Counts the words (runs of letters and digits) of text and documents into the wordsCount and wordsSize counters, passing items through unchanged.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Text] = [LaneNames.Text],
            [LaneNames.Documents] = [LaneNames.Documents],
        },
        ConfigSchema: new JsonObject { ["type"] = "object", ["properties"] = new JsonObject(), ["additionalProperties"] = false })
    {
        Example = JsonNode.Parse("""{"id":"words_1","provider":"wordcount","config":{},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => new WordCount();

    /// <summary>
    /// Counts the words of <paramref name="text"/> and their UTF-8 bytes. <paramref name="inWord"/> says whether
    /// the previous piece of the same text ended inside a word, and is updated for the next piece.
    /// </summary>
    internal static (long Words, long Bytes) Count(string text, ref bool inWord)
    {
        long words = 0;
        long bytes = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var category = Rune.GetUnicodeCategory(rune);
            var letterOrDigit = Rune.IsLetterOrDigit(rune);
            var mark = category is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark;
            if (letterOrDigit || (mark && inWord))
            {
                if (!inWord)
                {
                    words++;
                    inWord = true;
                }

                bytes += rune.Utf8SequenceLength;
            }
            else
            {
                inWord = false;
            }
        }

        return (words, bytes);
    }

    private sealed class WordCount : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor();
    }

    private sealed class Processor : IObjectProcessor
    {
        // Whether the last text item of this object ended inside a word.
        private bool _inWord;

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            (long Words, long Bytes) total = (0, 0);
            switch (payload)
            {
                case TextPayload text:
                    total = Count(text.Text, ref _inWord);
                    await output.EmitAsync(LaneNames.Text, text, cancellationToken).ConfigureAwait(false);
                    break;
                case DocumentsPayload documents:
                    foreach (var document in documents.Documents)
                    {
                        var inWord = false;
                        var (words, bytes) = Count(document.Text, ref inWord);
                        total = (total.Words + words, total.Bytes + bytes);
                    }

                    await output.EmitAsync(LaneNames.Documents, documents, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; wordcount reads 'text' and 'documents'.");
            }

            // A word continued from the previous item adds bytes but no new word.
            if (total.Words > 0)
            {
                output.Count("wordsCount", total.Words);
            }

            if (total.Bytes > 0)
            {
                output.Count("wordsSize", total.Bytes);
            }
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
