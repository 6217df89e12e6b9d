using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class WordCountProviderTests
{
    private readonly WordCountProvider _provider = new();

    [Fact]
    public async Task Counts_words_and_their_utf8_bytes_and_passes_text_through()
    {
        var output = await ComponentHarness.RunText(_provider, "{}", "Hello, wörld! 42 times — naïve ", "日本語 ok");
        Assert.Equal(["Hello, wörld! 42 times — naïve ", "日本語 ok"], output.Texts);
        // Hello, wörld, 42, times, naïve, 日本語, ok
        Assert.Equal(7, output.Counter("wordsCount"));
        Assert.Equal(5 + 6 + 2 + 5 + 6 + 9 + 2, output.Counter("wordsSize"));
    }

    [Fact]
    public async Task A_word_split_between_items_counts_once()
    {
        var output = await ComponentHarness.RunText(_provider, "{}", "hel", "lo wor", "ld");
        Assert.Equal(2, output.Counter("wordsCount"));
        Assert.Equal(10, output.Counter("wordsSize"));
    }

    [Fact]
    public async Task Combining_marks_continue_a_word()
    {
        // "é" written as e + U+0301, and Hindi with a vowel sign.
        var output = await ComponentHarness.RunText(_provider, "{}", "cafe\u0301 नमस्ते");
        Assert.Equal(2, output.Counter("wordsCount"));
    }

    [Fact]
    public async Task Documents_are_counted_separately_and_passed_through()
    {
        var documents = new DocumentsPayload([new Document("one two", []), new Document("three", [])]);
        var output = await ComponentHarness.RunItems(_provider, "{}", "text/plain", [(LaneNames.Documents, documents)]);
        Assert.Same(documents, Assert.Single(output.On(LaneNames.Documents)));
        Assert.Equal(3, output.Counter("wordsCount"));
    }

    [Fact]
    public async Task Punctuation_only_and_empty_text_count_nothing()
    {
        var output = await ComponentHarness.RunText(_provider, "{}", "", " ... !!! ");
        Assert.Equal(0, output.Counter("wordsCount"));
        Assert.Equal(2, output.Texts.Count);
    }
}
