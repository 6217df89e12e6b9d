using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components.Transforms;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class HashProviderTests
{
    private readonly HashProvider _provider = new();

    [Fact]
    public async Task Hashes_bytes_across_chunks()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_003);
        var output = await ComponentHarness.Run(_provider, "{}", "application/octet-stream", ComponentHarness.Split(bytes, 4096));
        Assert.Equal([Convert.ToHexStringLower(SHA256.HashData(bytes))], output.Texts);
    }

    [Fact]
    public async Task Hashes_text_as_utf8()
    {
        var output = await ComponentHarness.RunText(_provider, """{"algorithm":"sha256"}""", "abc", "é");
        Assert.Equal([Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("abcé")))], output.Texts);
    }

    [Fact]
    public async Task Empty_object_hashes_to_the_empty_digest()
    {
        var output = await ComponentHarness.Run(_provider, "{}", "text/plain", Array.Empty<byte[]>());
        Assert.Equal(["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"], output.Texts);
    }

    [Fact]
    public async Task Second_lane_of_the_same_object_is_ignored_with_a_warning()
    {
        var output = await ComponentHarness.RunItems(_provider, "{}", "text/plain",
        [
            (LaneNames.Tags, new BytesPayload("abc"u8.ToArray())),
            (LaneNames.Text, new TextPayload("abc")),
            (LaneNames.Tags, new BytesPayload("d"u8.ToArray())),
        ]);
        Assert.Equal([Convert.ToHexStringLower(SHA256.HashData("abcd"u8))], output.Texts);
        Assert.Single(output.Warnings);
    }

    [Fact]
    public void Only_sha256_is_allowed()
    {
        Assert.Equal(["config.algorithm: must be one of \"sha256\""],
            ConfigSchemaValidator.Validate(_provider.Definition.ConfigSchema, JsonNode.Parse("""{"algorithm":"md5"}""")));
    }
}
