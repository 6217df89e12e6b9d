using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Schema;

public sealed class ConfigSchemaValidatorTests
{
    private static JsonObject Schema(string json) => JsonNode.Parse(json)!.AsObject();

    private static IReadOnlyList<string> Validate(string schema, string? value) =>
        ConfigSchemaValidator.Validate(Schema(schema), value is null ? null : JsonNode.Parse(value));

    private const string ChunkSchema = """
        {"type":"object","properties":{
          "chunkSize":{"type":"integer","minimum":1,"default":1000},
          "mode":{"type":"string","enum":["size","paragraph"]},
          "ratio":{"type":"number","minimum":0,"maximum":1},
          "name":{"type":["string","null"],"minLength":2,"maxLength":4,"pattern":"^[a-z]+$"},
          "tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2},
          "flag":{"type":"boolean"},
          "kind":{"const":"fixed"}
        },"required":["chunkSize"],"additionalProperties":false}
        """;

    [Fact]
    public void Valid_config_has_no_errors()
    {
        Assert.Empty(Validate(ChunkSchema, """{"chunkSize":5,"mode":"size","ratio":0.5,"name":"ab","tags":["x"],"flag":true,"kind":"fixed"}"""));
    }

    [Fact]
    public void Integer_below_minimum_names_the_path_and_the_rule()
    {
        Assert.Equal(["config.chunkSize: must be an integer >= 1"], Validate(ChunkSchema, """{"chunkSize":0}"""));
    }

    [Theory]
    [InlineData("""{"chunkSize":"10"}""", "config.chunkSize: must be an integer >= 1")]
    [InlineData("""{"chunkSize":1.5}""", "config.chunkSize: must be an integer >= 1")]
    [InlineData("""{"chunkSize":1,"ratio":2}""", "config.ratio: must be a number >= 0 and <= 1")]
    [InlineData("""{"chunkSize":1,"mode":"words"}""", "config.mode: must be one of \"size\", \"paragraph\"")]
    [InlineData("""{"chunkSize":1,"name":"a"}""", "config.name: must be at least 2 character(s) long")]
    [InlineData("""{"chunkSize":1,"name":"abcde"}""", "config.name: must be at most 4 character(s) long")]
    [InlineData("""{"chunkSize":1,"name":"AB"}""", "config.name: must match the pattern \"^[a-z]+$\"")]
    [InlineData("""{"chunkSize":1,"name":5}""", "config.name: must be a string or null")]
    [InlineData("""{"chunkSize":1,"tags":[]}""", "config.tags: must have at least 1 item(s)")]
    [InlineData("""{"chunkSize":1,"tags":["a","b","c"]}""", "config.tags: must have at most 2 item(s)")]
    [InlineData("""{"chunkSize":1,"tags":["a",3]}""", "config.tags[1]: must be a string")]
    [InlineData("""{"chunkSize":1,"flag":"yes"}""", "config.flag: must be a boolean")]
    [InlineData("""{"chunkSize":1,"kind":"other"}""", "config.kind: must be \"fixed\"")]
    [InlineData("""{"chunkSize":1,"extra":1}""", "config.extra: is not a known property (known: chunkSize, flag, kind, mode, name, ratio, tags)")]
    [InlineData("""{"chunkSize":1,"bad key":1}""", "config[\"bad key\"]: is not a known property (known: chunkSize, flag, kind, mode, name, ratio, tags)")]
    [InlineData("""{}""", "config.chunkSize: is required")]
    [InlineData("""[]""", "config: must be an object")]
    public void Each_rule_reports_one_clear_error(string value, string expected)
    {
        Assert.Equal([expected], Validate(ChunkSchema, value));
    }

    [Fact]
    public void Null_is_accepted_where_the_type_allows_it()
    {
        Assert.Empty(Validate(ChunkSchema, """{"chunkSize":1,"name":null}"""));
    }

    [Fact]
    public void Integer_accepts_a_whole_number_written_with_a_fraction()
    {
        Assert.Empty(Validate(ChunkSchema, """{"chunkSize":2.0}"""));
    }

    [Fact]
    public void Missing_config_is_validated_as_an_empty_object()
    {
        Assert.Equal(["config.chunkSize: is required"], Validate(ChunkSchema, null));
        Assert.Empty(Validate("""{"type":"object"}""", null));
    }

    [Fact]
    public void Several_problems_are_all_reported()
    {
        var errors = Validate(ChunkSchema, """{"mode":"x","tags":[1,2,3]}""");
        Assert.Equal(
            [
                "config.chunkSize: is required",
                "config.mode: must be one of \"size\", \"paragraph\"",
                "config.tags: must have at most 2 item(s)",
                "config.tags[0]: must be a string",
                "config.tags[1]: must be a string",
                "config.tags[2]: must be a string",
            ],
            errors);
    }

    [Fact]
    public void Nested_objects_in_arrays_are_checked_with_their_paths()
    {
        const string schema = """
            {"type":"object","properties":{"rules":{"type":"array","items":{"type":"object",
              "properties":{"label":{"type":"string","minLength":1}},"required":["label"]}}}}
            """;
        Assert.Equal(
            ["config.rules[0].label: must be at least 1 character(s) long", "config.rules[1].label: is required"],
            Validate(schema, """{"rules":[{"label":""},{}]}"""));
    }

    [Fact]
    public void Lengths_count_code_points_not_utf16_units()
    {
        Assert.Empty(Validate("""{"type":"string","maxLength":1}""", "\"😀\""));
    }

    [Fact]
    public void Pattern_is_a_search_not_a_full_match()
    {
        Assert.Empty(Validate("""{"type":"string","pattern":"b"}""", "\"abc\""));
    }

    [Fact]
    public void Default_and_description_are_ignored()
    {
        Assert.Empty(Validate("""{"type":"integer","default":"not even an integer","description":"x"}""", "3"));
    }

    [Fact]
    public void Check_schema_reports_unsupported_keywords_and_bad_defaults()
    {
        var errors = ConfigSchemaValidator.CheckSchema(Schema("""
            {"type":"object","properties":{
              "a":{"type":"integer","minimum":1,"default":0},
              "b":{"oneOf":[]},
              "c":{"type":"text"}
            },"required":["a","z"],"additionalProperties":{}}
            """));
        Assert.Equal(
            [
                "schema.properties.a.default: must be an integer >= 1",
                "schema.properties.b.oneOf: unsupported keyword",
                "schema.properties.c.type: must be one of object, array, string, integer, number, boolean, null or an array of them",
                "schema.required: names 'z', which is not in properties",
                "schema.additionalProperties: must be a boolean",
            ],
            errors);
    }

    [Fact]
    public void Every_catalogue_schema_is_usable_and_every_example_config_is_valid()
    {
        var catalog = ComponentCatalog.CreateDefault();
        Assert.NotEmpty(catalog.Providers);
        foreach (var provider in catalog.Providers)
        {
            var definition = provider.Definition;
            Assert.True(ConfigSchemaValidator.CheckSchema(definition.ConfigSchema) is { Count: 0 },
                $"{definition.Name}: {string.Join("; ", ConfigSchemaValidator.CheckSchema(definition.ConfigSchema))}");

            // Providers without an example are validated with a missing config, which must then be valid too.
            var config = definition.Example?["config"];
            var errors = ConfigSchemaValidator.Validate(definition.ConfigSchema, config);
            Assert.True(errors.Count == 0, $"{definition.Name}: {string.Join("; ", errors)}");
            if (definition.Example is { } example)
            {
                Assert.Equal(definition.Name, example["provider"]?.GetValue<string>());
            }
        }
    }

    [Fact]
    public void Every_new_provider_has_an_example()
    {
        string[] existing = ["null"];
        foreach (var provider in ComponentCatalog.CreateDefault().Providers.Where(p => !existing.Contains(p.Definition.Name)))
        {
            Assert.True(provider.Definition.Example is not null, $"{provider.Definition.Name} has no example");
        }
    }
}
