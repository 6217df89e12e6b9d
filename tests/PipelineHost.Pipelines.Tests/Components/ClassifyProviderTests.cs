using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class ClassifyProviderTests
{
    private readonly ClassifyProvider _provider = new();

    private const string Rules = """
        {"rules":[
          {"label":"invoice","pattern":"(?i)invoice\\s+no\\.?\\s*\\d+"},
          {"label":"urgent","pattern":"(?i)\\burgent\\b"},
          {"label":"german","pattern":"\\b(und|der)\\b"},
          {"label":"report","pattern":"^report-","field":"name"},
          {"label":"dept","pattern":"^sales$","field":"metadata.department"}
        ]}
        """;

    private static ObjectContext Context(string name = "report-7.txt") =>
        new(name, "text/plain", "id", new JsonObject { ["department"] = "sales" });

    [Fact]
    public async Task Every_matching_rule_gives_a_label_with_its_first_match()
    {
        // The invoice number is split across two text items.
        var output = await ComponentHarness.RunItems(_provider, Rules, "text/plain",
            [(LaneNames.Text, new TextPayload("URGENT: Invoice no")), (LaneNames.Text, new TextPayload(". 42 attached, urgent"))],
            context: Context());
        var labels = Assert.IsType<ClassificationsPayload>(Assert.Single(output.On(LaneNames.Classifications))).Classifications;
        Assert.Equal(
            [
                new Classification("invoice", "(?i)invoice\\s+no\\.?\\s*\\d+", "Invoice no. 42"),
                new Classification("urgent", "(?i)\\burgent\\b", "URGENT"),
                new Classification("report", "^report-", "report-"),
                new Classification("dept", "^sales$", "sales"),
            ],
            labels);
    }

    [Fact]
    public async Task Single_label_stops_at_the_first_matching_rule()
    {
        var config = Rules.Replace("]}", "],\"multiLabel\":false}", StringComparison.Ordinal);
        var output = await ComponentHarness.RunItems(_provider, config, "text/plain",
            [(LaneNames.Text, new TextPayload("urgent und invoice"))], context: Context("other.txt"));
        var labels = Assert.IsType<ClassificationsPayload>(Assert.Single(output.Emitted).Payload).Classifications;
        Assert.Equal(["urgent"], labels.Select(l => l.Label));
    }

    [Fact]
    public async Task No_match_emits_an_empty_list()
    {
        var output = await ComponentHarness.RunItems(_provider, Rules, "text/plain", [], context: new ObjectContext("x.txt", "text/plain", "id"));
        var payload = Assert.IsType<ClassificationsPayload>(Assert.Single(output.On(LaneNames.Classifications)));
        Assert.Empty(payload.Classifications);
    }

    [Fact]
    public async Task Documents_are_classified_as_one_text()
    {
        var documents = new DocumentsPayload([new Document("nothing", []), new Document("der Hund", [])]);
        var output = await ComponentHarness.RunItems(_provider, Rules, "text/plain", [(LaneNames.Documents, documents)],
            context: new ObjectContext("x.txt", "text/plain", "id"));
        var payload = Assert.IsType<ClassificationsPayload>(Assert.Single(output.Emitted).Payload);
        Assert.Equal(["german"], payload.Classifications.Select(c => c.Label));
    }

    [Theory]
    [InlineData("""{}""", "config.rules: is required")]
    [InlineData("""{"rules":[]}""", "config.rules: must have at least 1 item(s)")]
    [InlineData("""{"rules":[{"label":"x"}]}""", "config.rules[0].pattern: is required")]
    [InlineData("""{"rules":[{"label":"x","pattern":"y","field":"body"}]}""", "config.rules[0].field: must match the pattern \"^(text|name|mimeType|metadata\\\\..+)$\"")]
    public void Invalid_rules_are_reported_by_the_validator(string config, string expected)
    {
        Assert.Equal([expected], ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse(config)));
    }

    [Fact]
    public void Invalid_rule_pattern_is_a_config_error()
    {
        var error = Assert.Throws<ComponentConfigException>(() =>
            _provider.Create(JsonNode.Parse("""{"rules":[{"label":"x","pattern":"(("}]}""")!.AsObject(), new ComponentEnvironment()));
        Assert.StartsWith("classify: config.rules[0].pattern is not a valid regular expression", error.Message);
    }
}
