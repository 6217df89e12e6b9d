using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class FilterProviderTests
{
    private readonly FilterProvider _provider = new();

    [Fact]
    public async Task Keep_and_drop_patterns_both_apply()
    {
        var output = await ComponentHarness.RunText(_provider, """{"keep":"invoice","drop":"(?i)draft"}""",
            "invoice 1", "DRAFT invoice 2", "receipt 3", "final invoice 4");
        Assert.Equal(["invoice 1", "final invoice 4"], output.Texts);
    }

    [Fact]
    public async Task Size_limits_count_utf8_bytes()
    {
        // "ééé" is 3 characters but 6 bytes.
        var output = await ComponentHarness.RunText(_provider, """{"minSize":4,"maxSize":6}""", "abc", "abcd", "ééé", "abcdefg");
        Assert.Equal(["abcd", "ééé"], output.Texts);
    }

    [Fact]
    public async Task Documents_are_filtered_one_by_one_and_nothing_is_sent_when_none_remain()
    {
        var documents = new DocumentsPayload([new Document("keep me", []), new Document("drop me", []), new Document("keep too", [])]);
        var output = await ComponentHarness.RunItems(_provider, """{"drop":"^drop"}""", "text/plain",
            [(LaneNames.Documents, documents), (LaneNames.Documents, new DocumentsPayload([new Document("drop all", [])]))]);
        Assert.Equal(["keep me", "keep too"], output.Documents.Select(d => d.Text));
        Assert.Single(output.Emitted);
    }

    [Fact]
    public async Task Tags_are_judged_by_size_only()
    {
        var output = await ComponentHarness.RunItems(_provider, """{"keep":"never matches","maxSize":2}""", "application/octet-stream",
            [(LaneNames.Tags, new BytesPayload(new byte[] { 1, 2 })), (LaneNames.Tags, new BytesPayload(new byte[] { 1, 2, 3 }))]);
        Assert.Equal([1, 2], output.Bytes);
    }

    [Fact]
    public async Task No_conditions_pass_everything()
    {
        var output = await ComponentHarness.RunText(_provider, "{}", "", "x");
        Assert.Equal(["", "x"], output.Texts);
    }

    [Fact]
    public void Invalid_pattern_is_a_config_error()
    {
        var error = Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"keep":"[a-"}""")!.AsObject(), new ComponentEnvironment()));
        Assert.StartsWith("filter: config.keep is not a valid regular expression", error.Message);
    }
}
