using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class PreprocessorProviderTests
{
    private readonly PreprocessorProvider _provider = new();

    private static string Words(int count) =>
        string.Join(' ', Enumerable.Range(0, count).Select(i => "word" + (i % 97).ToString(System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Size_chunks_cover_the_text_with_exact_overlap_and_metadata()
    {
        var text = Words(2000);
        // Text arrives in pieces; chunks are made from the whole.
        var pieces = text.Chunk(333).Select(c => new string(c)).ToArray();
        var output = await ComponentHarness.RunText(_provider, """{"chunkSize":500,"overlap":50}""", pieces);
        var documents = output.Documents;
        Assert.Single(output.On(LaneNames.Documents));
        Assert.True(documents.Count > 10);

        for (var i = 0; i < documents.Count; i++)
        {
            var meta = documents[i].Metadata;
            var start = meta["start"]!.GetValue<int>();
            var end = meta["end"]!.GetValue<int>();
            Assert.Equal("object.bin", meta["object"]!.GetValue<string>());
            Assert.Equal(i, meta["chunk"]!.GetValue<int>());
            Assert.Equal(text[start..end], documents[i].Text);
            Assert.InRange(end - start, 1, 500);
            if (i == 0)
            {
                Assert.Equal(0, start);
            }
            else
            {
                // Each chunk starts exactly 'overlap' characters before the previous one ended.
                var previousEnd = documents[i - 1].Metadata["end"]!.GetValue<int>();
                Assert.Equal(previousEnd - 50, start);
                Assert.Equal(text[start..previousEnd], documents[i - 1].Text[^50..]);
            }

            if (i < documents.Count - 1)
            {
                // Not the last chunk: it broke at whitespace within its last 20%.
                Assert.True(end - start >= 400, $"chunk {i} is {end - start} long");
                Assert.True(char.IsWhiteSpace(text[end - 1]) || char.IsWhiteSpace(text[end]), $"chunk {i} ends mid-word");
            }
        }

        Assert.Equal(text.Length, documents[^1].Metadata["end"]!.GetValue<int>());
    }

    [Fact]
    public void Size_chunks_without_whitespace_cut_at_chunk_size()
    {
        var text = new string('x', 25);
        Assert.Equal([(0, 10), (7, 17), (14, 24), (21, 25)], PreprocessorProvider.SizeChunks(text, 0, text.Length, 10, 3));
        Assert.Equal([(0, 10), (10, 20), (20, 25)], PreprocessorProvider.SizeChunks(text, 0, text.Length, 10, 0));
    }

    [Fact]
    public void Size_chunks_never_split_a_surrogate_pair()
    {
        var text = string.Concat(Enumerable.Repeat("😀", 20));
        foreach (var (size, overlap) in new[] { (1, 0), (3, 1), (5, 2), (7, 0) })
        {
            var chunks = PreprocessorProvider.SizeChunks(text, 0, text.Length, size, overlap).ToList();
            Assert.All(chunks, c =>
            {
                Assert.False(char.IsLowSurrogate(text[c.Start]), $"starts inside a pair at {c.Start}");
                Assert.False(c.End < text.Length && char.IsLowSurrogate(text[c.End]), $"ends inside a pair at {c.End}");
            });
            Assert.Equal(text.Length, chunks[^1].End);
        }
    }

    [Fact]
    public async Task Short_text_is_one_document_and_empty_text_none()
    {
        var one = await ComponentHarness.RunText(_provider, "{}", "short text");
        var document = Assert.Single(one.Documents);
        Assert.Equal("short text", document.Text);
        Assert.Equal(0, document.Metadata["chunk"]!.GetValue<int>());

        var none = await ComponentHarness.RunText(_provider, "{}");
        Assert.Empty(none.Emitted);
    }

    [Fact]
    public async Task Paragraph_mode_splits_on_blank_lines_and_merges_small_paragraphs()
    {
        const string text = "Para one.\n\nPara two is here.\r\n  \r\nThird.\n\n\n" + "Long paragraph that is longer than the chunk size by a margin.";
        var output = await ComponentHarness.RunText(_provider, """{"mode":"paragraph","chunkSize":35,"overlap":0}""", text);
        var documents = output.Documents;
        Assert.Equal("Para one.\n\nPara two is here.", documents[0].Text);
        Assert.Equal("Third.", documents[1].Text);
        Assert.Equal("Long paragraph that is longer than ", documents[2].Text);
        Assert.Equal("the chunk size by a margin.", documents[3].Text);
        Assert.Equal(4, documents.Count);
        Assert.All(documents, d =>
            Assert.Equal(text[d.Metadata["start"]!.GetValue<int>()..d.Metadata["end"]!.GetValue<int>()], d.Text));
    }

    [Fact]
    public async Task Paragraph_mode_skips_whitespace_only_text()
    {
        var output = await ComponentHarness.RunText(_provider, """{"mode":"paragraph"}""", "\n\n  \n");
        Assert.Empty(output.Emitted);
    }

    [Fact]
    public void Overlap_must_be_less_than_chunk_size()
    {
        var error = Assert.Throws<ComponentConfigException>(() =>
            _provider.Create(JsonNode.Parse("""{"chunkSize":10,"overlap":10}""")!.AsObject(), new ComponentEnvironment()));
        Assert.Contains("overlap must be less than", error.Message);
        // Unset overlap shrinks to fit a small chunk size.
        _provider.Create(JsonNode.Parse("""{"chunkSize":1}""")!.AsObject(), new ComponentEnvironment());
    }

    [Theory]
    [InlineData("""{"chunkSize":0}""", "config.chunkSize: must be an integer >= 1")]
    [InlineData("""{"overlap":-1}""", "config.overlap: must be an integer >= 0")]
    [InlineData("""{"mode":"words"}""", "config.mode: must be one of \"size\", \"paragraph\"")]
    public void Invalid_config_is_reported_by_the_validator(string config, string expected)
    {
        Assert.Equal([expected], ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse(config)));
    }
}
