using System.Text.Json.Nodes;
using Microsoft.ML.Tokenizers;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary>The preprocessor's token mode: chunks of at most chunkSize model tokens with overlap, in both packaged encodings.</summary>
public sealed class TokenChunkingTests
{
    private readonly PreprocessorProvider _provider = new();

    private static readonly string Text = string.Join(' ', Enumerable.Range(1, 120).Select(i => $"Sentence {i} talks about tokenizers, chunking and überlänge 😀."));

    [Theory]
    [InlineData("cl100k_base")]
    [InlineData("o200k_base")]
    public async Task Chunks_hold_at_most_chunk_size_tokens_overlap_and_cover_the_text(string encoding)
    {
        var output = await ComponentHarness.RunText(_provider, $$"""{"unit":"tokens","encoding":"{{encoding}}","chunkSize":50,"overlap":10}""", Text);
        var tokenizer = TiktokenTokenizer.CreateForEncoding(encoding);
        var documents = output.Documents;

        Assert.True(documents.Count > 5);
        Assert.Equal(0, documents[0].Metadata["start"]!.GetValue<int>());
        Assert.Equal(Text.Length, documents[^1].Metadata["end"]!.GetValue<int>());
        for (var i = 0; i < documents.Count; i++)
        {
            var meta = documents[i].Metadata;
            Assert.InRange(meta["tokens"]!.GetValue<int>(), 1, 50);
            Assert.InRange(tokenizer.CountTokens(documents[i].Text), 1, 52); // re-encoding a cut may differ by a merge at each edge
            Assert.Equal(Text[meta["start"]!.GetValue<int>()..meta["end"]!.GetValue<int>()], documents[i].Text);
            if (i > 0)
            {
                Assert.True(meta["start"]!.GetValue<int>() < documents[i - 1].Metadata["end"]!.GetValue<int>(), "chunks overlap");
            }
        }
    }

    [Fact]
    public async Task Token_chunks_differ_by_encoding_and_from_character_chunks()
    {
        var cl100k = (await ComponentHarness.RunText(_provider, """{"unit":"tokens","chunkSize":40,"overlap":0}""", Text)).Documents;
        var o200k = (await ComponentHarness.RunText(_provider, """{"unit":"tokens","encoding":"o200k_base","chunkSize":40,"overlap":0}""", Text)).Documents;
        var characters = (await ComponentHarness.RunText(_provider, """{"chunkSize":40,"overlap":0}""", Text)).Documents;

        Assert.Equal(Text, string.Concat(cl100k.Select(d => d.Text)));
        Assert.Equal(Text, string.Concat(o200k.Select(d => d.Text)));
        Assert.True(characters.Count > cl100k.Count);
        Assert.Null(characters[0].Metadata["tokens"]);
    }

    [Fact]
    public void Tokens_with_paragraph_mode_or_an_unknown_encoding_are_refused()
    {
        Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"unit":"tokens","mode":"paragraph"}""")!.AsObject(), new ComponentEnvironment()));
        Assert.Contains(PipelineHost.Pipelines.Schema.ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse("""{"encoding":"p50k_base"}""")),
            e => e.StartsWith("config.encoding: must be one of \"cl100k_base\", \"o200k_base\"", StringComparison.Ordinal));
    }
}
