using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sources;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class SyntheticSourceProviderTests
{
    private readonly SyntheticSourceProvider _provider = new();

    private IBatchSource Create(string config) =>
        Assert.IsAssignableFrom<IBatchSource>(_provider.Create(ComponentHarness.Config(_provider, config), new ComponentEnvironment()));

    [Fact]
    public async Task Defaults_give_ten_text_objects_of_1024_bytes()
    {
        var source = Create("{}");
        var objects = await ComponentHarness.ReadAll(source);
        Assert.Equal(10, source.KnownTotal);
        Assert.Equal(10, objects.Count);
        Assert.Equal("synthetic-000001.txt", objects[0].Object.Name);
        Assert.Equal("synthetic-000010.txt", objects[9].Object.Name);
        Assert.All(objects, o =>
        {
            Assert.Equal("text/plain", o.Object.MimeType);
            Assert.Equal(1024, o.Object.Size);
            Assert.Equal(1024, o.Content.Length);
            var text = Encoding.ASCII.GetString(o.Content);
            Assert.Matches("^[a-z \n]+$", text);
        });
        Assert.NotEqual(objects[0].Content, objects[1].Content);
    }

    [Fact]
    public async Task Same_seed_same_bytes_other_seed_other_bytes()
    {
        var a = await ComponentHarness.ReadAll(Create("""{"count":3,"size":5000,"seed":42}"""));
        var b = await ComponentHarness.ReadAll(Create("""{"count":3,"size":5000,"seed":42}"""));
        var c = await ComponentHarness.ReadAll(Create("""{"count":3,"size":5000,"seed":43}"""));
        Assert.Equal(a.Select(o => o.Content), b.Select(o => o.Content));
        Assert.NotEqual(a[0].Content, c[0].Content);
    }

    [Fact]
    public async Task Binary_types_get_random_bytes_and_their_extension()
    {
        var objects = await ComponentHarness.ReadAll(Create("""{"count":2,"size":4099,"mimeType":"application/octet-stream"}"""));
        Assert.Equal(["synthetic-000001.bin", "synthetic-000002.bin"], objects.Select(o => o.Object.Name));
        Assert.All(objects, o => Assert.Equal(4099, o.Content.Length));
        // Random bytes use (nearly) the whole byte range.
        Assert.True(objects[0].Content.Distinct().Count() > 200);

        var json = await ComponentHarness.ReadAll(Create("""{"count":1,"mimeType":"application/json"}"""));
        Assert.Equal("synthetic-000001.json", json[0].Object.Name);
    }

    [Fact]
    public async Task Size_zero_gives_empty_objects()
    {
        var objects = await ComponentHarness.ReadAll(Create("""{"count":1,"size":0}"""));
        Assert.Empty(Assert.Single(objects).Content);
    }

    [Fact]
    public async Task Content_is_the_same_whatever_the_read_size()
    {
        var source = Create("""{"count":1,"size":100000}""");
        var whole = (await ComponentHarness.ReadAll(source))[0].Content;
        await foreach (var item in source.ReadAsync(ComponentHarness.Guard()))
        {
            await using var stream = await item.OpenAsync(default);
            var pieces = new List<byte>();
            var buffer = new byte[7];
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                pieces.AddRange(buffer.AsSpan(0, read).ToArray());
            }

            Assert.Equal(whole, pieces.ToArray());
        }
    }

    [Fact]
    public async Task A_large_count_is_counted_up_front_and_streamed()
    {
        var source = Create("""{"count":1000000,"size":0}""");
        Assert.Equal(1_000_000, source.KnownTotal);
        var names = new List<string>();
        await foreach (var item in source.ReadAsync(ComponentHarness.Guard()))
        {
            names.Add(item.Name);
            if (names.Count == 3)
            {
                break;
            }
        }

        Assert.Equal(["synthetic-000001.txt", "synthetic-000002.txt", "synthetic-000003.txt"], names);
    }

    [Theory]
    [InlineData("""{"count":0}""", "config.count: must be an integer >= 1 and <= 1000000")]
    [InlineData("""{"count":1000001}""", "config.count: must be an integer >= 1 and <= 1000000")]
    [InlineData("""{"size":67108865}""", "config.size: must be an integer >= 0 and <= 67108864")]
    [InlineData("""{"mimeType":"not a type"}""", "config.mimeType: must match the pattern \"^[a-z0-9.+-]+/[a-z0-9.+-]+$\"")]
    [InlineData("""{"seed":1.5}""", "config.seed: must be an integer")]
    public void Invalid_config_is_reported_by_the_validator(string config, string expected)
    {
        Assert.Equal([expected], ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse(config)));
    }
}
