using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class ExtractProviderTests
{
    private readonly ExtractProvider _provider = new();

    private const string KeyValue = """{"pattern":"(?<key>\\w+)=(?<value>\\d+)(?:\\s+#(?<note>\\w+))?"}""";

    [Fact]
    public async Task One_column_per_named_group_and_one_row_per_match_across_chunks()
    {
        // "b=2" is split between two text items: the object's text is matched as a whole.
        var output = await ComponentHarness.RunText(_provider, KeyValue, "a=1 #first b", "=2 c=x d=4");
        var table = output.Table;
        Assert.Equal(["key", "value", "note"], table.Columns);
        Assert.Equal(3, table.Rows.Count);
        Assert.Equal(["a", "1", "first"], table.Rows[0]);
        Assert.Equal(["b", "2", null], table.Rows[1]);
        Assert.Equal(["d", "4", null], table.Rows[2]);
    }

    [Fact]
    public async Task Named_groups_keep_pattern_order_even_with_unnamed_groups_before_them()
    {
        var output = await ComponentHarness.RunText(_provider, """{"pattern":"(x)?(?<z>\\d)(?<a>\\w)"}""", "1a");
        Assert.Equal(["z", "a"], output.Table.Columns);
    }

    [Fact]
    public async Task All_false_keeps_only_the_first_match()
    {
        var output = await ComponentHarness.RunText(_provider, """{"pattern":"(?<n>\\d+)","all":false}""", "1 2 3");
        Assert.Equal(["1"], Assert.Single(output.Table.Rows));
    }

    [Fact]
    public async Task No_input_gives_an_empty_table()
    {
        var output = await ComponentHarness.RunText(_provider, KeyValue);
        Assert.Equal(["key", "value", "note"], output.Table.Columns);
        Assert.Empty(output.Table.Rows);
    }

    [Fact]
    public async Task Documents_are_matched_without_running_into_each_other()
    {
        var documents = new DocumentsPayload([new Document("k=1", []), new Document("2", [])]);
        var output = await ComponentHarness.RunItems(_provider, """{"pattern":"(?<key>\\w)=(?<value>[\\d]+)"}""", "text/plain", [(LaneNames.Documents, documents)]);
        Assert.Equal(["k", "1"], Assert.Single(output.Table.Rows));
    }

    [Fact]
    public void Pattern_is_required_and_needs_a_named_group()
    {
        Assert.Equal(["config.pattern: is required"], ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, null));
        var error = Assert.Throws<ComponentConfigException>(() => _provider.Create(JsonNode.Parse("""{"pattern":"(\\d+)"}""")!.AsObject(), new ComponentEnvironment()));
        Assert.Contains("at least one named group", error.Message);
    }
}
