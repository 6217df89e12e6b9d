using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Pipelines.Tests.Validation;

/// <summary>RocketRide's source markers (<c>config.mode</c>, <c>config.type</c>) are accepted on every source provider.</summary>
public class SourceMarkerTests
{
    private static readonly PipelineValidator Validator = new(ComponentCatalog.CreateDefault());

    [Fact]
    public void A_batch_source_marked_with_mode_Source_is_valid_and_implies_the_source()
    {
        var pipeline = JsonNode.Parse("""
            {"components":[
              {"id":"src","provider":"synthetic","config":{"mode":"Source","type":"synthetic","count":5,"size":100}},
              {"id":"out","provider":"null","input":[{"lane":"text","from":"src"}]}]}
            """)!.AsObject();

        var result = Validator.Validate(pipeline);

        Assert.Empty(result.Errors);
        Assert.Equal("src", result.Normalized["source"]!.GetValue<string>());
    }

    [Fact]
    public void Other_unknown_keys_on_a_source_are_still_errors()
    {
        var pipeline = JsonNode.Parse("""
            {"components":[
              {"id":"src","provider":"synthetic","config":{"mode":"Source","colour":"red"}},
              {"id":"out","provider":"null","input":[{"lane":"text","from":"src"}]}]}
            """)!.AsObject();

        var result = Validator.Validate(pipeline);

        Assert.Contains(result.Errors, e => e.Message.Contains("config.colour: is not a known property", StringComparison.Ordinal));
    }
}
