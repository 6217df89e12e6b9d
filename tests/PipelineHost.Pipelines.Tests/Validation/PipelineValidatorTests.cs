using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Pipelines.Tests.Validation;

public class PipelineValidatorTests
{
    private static readonly PipelineValidator Validator = new(ComponentCatalog.CreateDefault());

    private static JsonObject Pipeline(string json) => PipelineDocument.Parse(json);

    private static IReadOnlyList<string> Errors(string json, string? source = null) =>
        Validator.Validate(Pipeline(json), source).Errors.Select(e => e.Message).ToList();

    [Fact]
    public void The_source_is_implied_from_the_single_component_in_source_mode_and_defaults_are_filled()
    {
        var result = Validator.Validate(Pipeline("""{"pipeline":{"components":[{"id":"w","provider":"webhook","config":{"mode":"Source"}},{"id":"r","provider":"response","input":[{"lane":"text","from":"w"}]}],"viewport":{"x":0}}}"""));

        Assert.True(result.IsValid, string.Join("; ", result.Errors));
        Assert.Equal("w", result.Normalized["source"]!.GetValue<string>());
        Assert.Equal(1, result.Normalized["version"]!.GetValue<int>());
        Assert.Equal("webhook", result.Normalized["components"]![0]!["config"]!["type"]!.GetValue<string>());
        Assert.False(result.Normalized.ContainsKey("viewport"));
    }

    [Theory]
    [InlineData("""{"components":[{"id":"a","provider":"webhook","config":{"mode":"Source"}},{"id":"b","provider":"webhook","config":{"mode":"Source"}}]}""", "Pipeline has multiple source components, please specify one explicitly")]
    [InlineData("""{"components":[{"id":"a","provider":"response"}]}""", "Pipeline does not have a source component defined")]
    [InlineData("""{"source":"x","components":[{"id":"a","provider":"webhook"}]}""", "Pipeline source component \"x\" not found in components list")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"webhook"},{"id":"a","provider":"null"}]}""", "Duplicate component id \"a\"")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"webhook"},{"id":"b","provider":"nope","input":[{"lane":"text","from":"a"}]}]}""", "Component \"b\": unknown provider \"nope\"")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"webhook"},{"id":"b","provider":"null","input":[{"lane":"text","from":"zz"}]}]}""", "Component \"b\": input from unknown component \"zz\"")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"null"}]}""", "Source \"a\" (provider \"null\") is not a source component")]
    [InlineData("""{"components":"no"}""", "Pipeline 'components' must be a list of components")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"webhook"},{"id":"p","provider":"preprocessor","config":{"chunkSize":0},"input":[{"lane":"text","from":"a"}]}]}""", "Component \"p\": config.chunkSize")]
    [InlineData("""{"source":"a","components":[{"id":"a","provider":"webhook"},{"id":"p","provider":"preprocessor","config":{"mode":"Source"},"input":[{"lane":"text","from":"a"}]}]}""", "Component \"p\": config.mode")]
    public void Each_problem_is_named(string json, string error) =>
        Assert.Contains(Errors(json), e => e.StartsWith(error, StringComparison.Ordinal));

    [Fact]
    public void A_cycle_is_reported_with_its_path()
    {
        var errors = Errors("""{"source":"s","components":[{"id":"s","provider":"webhook"},{"id":"a","provider":"transform","input":[{"lane":"text","from":"s"},{"lane":"text","from":"b"}]},{"id":"b","provider":"transform","input":[{"lane":"text","from":"a"}]}]}""");

        Assert.Contains(errors, e => e.StartsWith("Pipeline has a cycle: a → b → a", StringComparison.Ordinal));
    }

    [Fact]
    public void Standard_rocketride_keys_are_tolerated_where_a_provider_does_not_declare_them()
    {
        var errors = Errors("""{"source":"f","components":[{"id":"f","provider":"synthetic","config":{"mode":"Source","type":"synthetic","name":"gen","hideForm":true,"parameters":{}}},{"id":"n","provider":"null","input":[{"lane":"text","from":"f"}]}]}""");

        Assert.Empty(errors);
    }

    [Fact]
    public void Placeholders_resolve_only_allowed_prefixes_and_cannot_inject_json()
    {
        var pipeline = Pipeline("""{"components":[{"id":"a","provider":"webhook","config":{"k":"${ROCKETRIDE_KEY}","p":"x-${PIPELINEHOST_MISSING}","s":"${HOME}","list":["${ROCKETRIDE_KEY}"]}}]}""");
        var variables = PlaceholderResolver.MergeEnvironment(
            new Dictionary<string, string?> { ["ROCKETRIDE_KEY"] = "server", ["HOME"] = "/root" },
            new JsonObject { ["ROCKETRIDE_KEY"] = "a\"}, \"evil\": {\"", ["HOME"] = "ignored" });

        var config = PlaceholderResolver.Resolve(pipeline, variables)["components"]![0]!["config"]!;

        Assert.Equal("a\"}, \"evil\": {\"", config["k"]!.GetValue<string>());
        Assert.Equal("x-${PIPELINEHOST_MISSING}", config["p"]!.GetValue<string>());
        Assert.Equal("<REDACTED>", config["s"]!.GetValue<string>());
        Assert.Equal("a\"}, \"evil\": {\"", config["list"]![0]!.GetValue<string>());
        Assert.Equal("${ROCKETRIDE_KEY}", pipeline["components"]![0]!["config"]!["k"]!.GetValue<string>());
        Assert.False(variables.ContainsKey("HOME"));
    }

    [Fact]
    public void Unresolved_lists_each_allowed_placeholder_left_without_a_value_once()
    {
        var pipeline = Pipeline("""{"components":[{"id":"a","provider":"webhook","config":{"p":"${PIPELINEHOST_A}/${ROCKETRIDE_B}","q":["${PIPELINEHOST_A}"],"s":"${HOME}"}}]}""");

        var resolved = PlaceholderResolver.Resolve(pipeline, new Dictionary<string, string> { ["ROCKETRIDE_B"] = "b" });

        Assert.Equal(["PIPELINEHOST_A"], PlaceholderResolver.Unresolved(resolved));
    }
}
