using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Definition;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Pipelines.Tests.Validation;

/// <summary>Pipeline files as RocketRide's editor and SDKs write them validate and build unchanged.</summary>
public sealed class RocketRideCompatibilityTests
{
    private static readonly ComponentCatalog Catalog = ComponentCatalog.CreateDefault();
    private static readonly PipelineValidator Validator = new(Catalog);

    // One response reads text and table from both the webhook source and the parser: four edges, two producers.
    private const string FanIn = """
        {"components":[
          {"id":"webhook_1","provider":"webhook","config":{"hideForm":true,"mode":"Source","type":"webhook","parameters":{}},
           "ui":{"position":{"x":20,"y":200},"measured":{"width":160,"height":65},"data":{"provider":"webhook","class":"source"},"formDataValid":true}},
          {"id":"parse_1","provider":"parse","config":{},"input":[{"lane":"tags","from":"webhook_1"}],"ui":{"position":{"x":240,"y":160}}},
          {"id":"response_1","provider":"response","config":{"lanes":[]},
           "input":[{"lane":"text","from":"webhook_1"},{"lane":"table","from":"webhook_1"},{"lane":"text","from":"parse_1"},{"lane":"table","from":"parse_1"}]}
        ],
        "project_id":"6744c740-0cdb-4667-b471-6c31d17d92d2","viewport":{"x":0,"y":0,"zoom":1},"version":1}
        """;

    [Fact]
    public void A_response_reading_two_lanes_from_the_source_and_the_parser_is_a_dag_that_validates_and_builds()
    {
        var result = Validator.Validate(PipelineDocument.Parse(FanIn));

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => e.Message)));
        var graph = PipelineGraph.Build(result.Definition!, Catalog, new ComponentEnvironment());
        Assert.Equal("webhook_1", graph.SourceId);
    }

    [Fact]
    public void A_response_may_read_the_parsers_media_and_documents_lanes()
    {
        var result = Validator.Validate(PipelineDocument.Parse("""
            {"source":"w","components":[{"id":"w","provider":"webhook"},{"id":"p","provider":"parse","input":[{"lane":"tags","from":"w"}]},
             {"id":"r","provider":"response","input":[{"lane":"image","from":"p"},{"lane":"audio","from":"p"},{"lane":"video","from":"p"},{"lane":"documents","from":"p"},{"lane":"questions","from":"w"},{"lane":"answers","from":"w"}]}]}
            """));

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => e.Message)));
    }

    [Fact]
    public void A_real_cycle_names_its_components_in_order()
    {
        var result = Validator.Validate(PipelineDocument.Parse("""
            {"source":"s","components":[{"id":"s","provider":"webhook"},
             {"id":"a","provider":"transform","input":[{"lane":"text","from":"s"},{"lane":"text","from":"c"}]},
             {"id":"b","provider":"transform","input":[{"lane":"text","from":"a"}]},
             {"id":"c","provider":"transform","input":[{"lane":"text","from":"b"}]}]}
            """));

        Assert.Equal("Pipeline has a cycle: a → b → c → a", Assert.Single(result.Errors).Message);
    }

    [Fact]
    public void Each_unknown_provider_gets_one_message_with_its_id_name_and_the_closest_providers()
    {
        var result = Validator.Validate(PipelineDocument.Parse("""
            {"source":"w","components":[{"id":"w","provider":"webhook"},
             {"id":"response_text_1","provider":"response_text","input":[{"lane":"text","from":"w"}]},
             {"id":"p","provider":"prase","input":[{"lane":"tags","from":"w"}]},
             {"id":"q","provider":"qdrant_vector_store","input":[{"lane":"text","from":"w"}]}]}
            """));

        Assert.Equal(
            [
                "Component \"response_text_1\": unknown provider \"response_text\"; closest: \"response\"",
                "Component \"p\": unknown provider \"prase\"; closest: \"parse\"",
                "Component \"q\": unknown provider \"qdrant_vector_store\"; see rrext_services for the providers this server has",
            ],
            result.Errors.Select(e => e.Message));
        Assert.Equal(["response_text_1", "p", "q"], result.Errors.Select(e => e.ComponentId));
    }

    [Fact]
    public void Fields_rocketride_carries_that_we_do_not_use_are_notes_never_errors()
    {
        var result = Validator.Validate(PipelineDocument.Parse("""
            {"pipeline":{"components":[
              {"id":"w","provider":"webhook","description":"in","config":{"mode":"Source","key":"k","name":"n","sync":true,"include":["*"],"estimation":{},"actions":[]},"ui":{}},
              {"id":"r","provider":"response","config":{"parameters":{}},"input":[{"lane":"text","from":"w"}]}],
             "viewport":{"x":0},"docRevision":3,"avoidMocks":true}}
            """));

        Assert.True(result.IsValid, string.Join("; ", result.Errors.Select(e => e.Message)));
        var notes = result.Notes.Select(n => n.Message).ToList();
        Assert.Contains("Pipeline field 'viewport' is editor layout; ignored", notes);
        Assert.Contains("Pipeline field 'avoidMocks' is not used; ignored", notes);
        Assert.Contains("Component \"w\": field 'ui' is not used; ignored", notes);
        Assert.Contains("Component \"w\": field 'description' is not used; ignored", notes);
        foreach (var key in new[] { "key", "name", "sync", "include", "estimation", "actions" })
        {
            Assert.Contains($"Component \"w\": config.{key} is not used by this provider; ignored", notes);
        }

        Assert.Contains("Component \"r\": config.parameters is not used by this provider; ignored", notes);
        Assert.DoesNotContain(notes, n => n.Contains("config.mode", StringComparison.Ordinal));
    }

    [Fact]
    public void Closest_providers_are_ranked_by_edit_distance()
    {
        Assert.Equal(3, ProviderSuggestions.Distance("kitten", "sitting"));
        Assert.Equal(["hash"], ProviderSuggestions.Closest("nash", ["exec", "hash", "null", "webhook"], 5)); // "null" is 3 edits: too far for a 4-letter name
        Assert.Equal(["hash", "parse"], ProviderSuggestions.Closest("pash", ["exec", "parse", "hash", "webhook"], 5)); // 1 edit, then 2
        Assert.Empty(ProviderSuggestions.Closest("zzzzzz", ["parse", "hash"]));
    }
}
