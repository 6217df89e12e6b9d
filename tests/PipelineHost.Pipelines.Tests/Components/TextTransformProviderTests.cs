using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class TextTransformProviderTests
{
    private readonly TextTransformProvider _provider = new();

    [Fact]
    public async Task Operations_apply_in_order_to_each_text_item()
    {
        const string config = """{"operations":["normalize_whitespace","trim",{"replace":{"pattern":"(\\d+)","with":"<$1>"}},"uppercase"]}""";
        var output = await ComponentHarness.RunText(_provider, config, "  Order  12\n\tshipped ", "item 7");
        Assert.Equal(["ORDER <12> SHIPPED", "ITEM <7>"], output.Texts);
    }

    [Fact]
    public async Task Case_changes_are_culture_invariant()
    {
        var lower = await ComponentHarness.RunText(_provider, """{"operations":["lowercase"]}""", "TITLE ÀÉΣ");
        Assert.Equal(["title àéσ"], lower.Texts);
        var upper = await ComponentHarness.RunText(_provider, """{"operations":["uppercase"]}""", "title àéσ i");
        Assert.Equal(["TITLE ÀÉΣ I"], upper.Texts);
    }

    [Fact]
    public async Task Documents_keep_their_metadata()
    {
        var documents = new DocumentsPayload([new Document(" A ", new JsonObject { ["chunk"] = 0 }), new Document("B", new JsonObject { ["chunk"] = 1 })]);
        var output = await ComponentHarness.RunItems(_provider, """{"operations":["trim","lowercase"]}""", "text/plain", [(LaneNames.Documents, documents)]);
        Assert.Equal(["a", "b"], output.Documents.Select(d => d.Text));
        Assert.Equal(1, output.Documents[1].Metadata["chunk"]!.GetValue<int>());
        Assert.Equal(LaneNames.Documents, Assert.Single(output.Emitted).Lane);
    }

    [Fact]
    public async Task No_operations_pass_text_through_and_empty_text_stays_empty()
    {
        var output = await ComponentHarness.RunText(_provider, "{}", "as is", "");
        Assert.Equal(["as is", ""], output.Texts);
    }

    [Fact]
    public async Task Replace_without_with_deletes()
    {
        var output = await ComponentHarness.RunText(_provider, """{"operations":[{"replace":{"pattern":"\\s+"}}]}""", "a b  c");
        Assert.Equal(["abc"], output.Texts);
    }

    [Theory]
    [InlineData("""{"operations":["reverse"]}""", "unknown operation 'reverse'")]
    [InlineData("""{"operations":[{"replace":{"pattern":"("}}]}""", "is not a valid regular expression")]
    [InlineData("""{"operations":[{"replace":{"with":"x"}}]}""", "must be an operation name or")]
    [InlineData("""{"operations":[{"replace":{"pattern":"x"},"extra":1}]}""", "must be an operation name or")]
    public void Bad_operations_are_refused(string config, string expected)
    {
        var error = Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse(config)!.AsObject(), new ComponentEnvironment()));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Operations_must_be_strings_or_objects()
    {
        Assert.Equal(["config.operations[0]: must be a string or an object"],
            ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse("""{"operations":[1]}""")));
    }

    [Fact]
    public async Task Catastrophic_pattern_times_out_with_a_clear_error()
    {
        var text = new string('a', 40) + "!";
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ComponentHarness.RunText(_provider, """{"operations":[{"replace":{"pattern":"^(a+)+$","with":""}}]}""", text));
        Assert.Contains("took longer than", error.Message);
    }
}
