using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

/// <summary>Drives one provider over one object the way the runtime does: validate, create, begin, write each item, close.</summary>
internal static class ComponentHarness
{
    /// <summary>A hang guard for anything that waits on another process or thread.</summary>
    public static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token;

    /// <summary>Parses <paramref name="json"/> as a config object, checking it against the provider's schema first.</summary>
    public static JsonObject Config(IComponentProvider provider, string json)
    {
        var config = JsonNode.Parse(json)!.AsObject();
        Assert.Empty(ConfigSchemaValidator.Validate(provider.Definition.ConfigSchema, config));
        return config;
    }

    /// <summary>Sends <paramref name="chunks"/> as bytes on <c>tags</c> of an object of type <paramref name="mime"/>.</summary>
    public static Task<RecordingOutput> Run(IComponentProvider provider, string config, string mime, params byte[][] chunks) =>
        RunItems(provider, config, mime, chunks.Select(c => (LaneNames.Tags, (LanePayload)new BytesPayload(c))).ToArray());

    /// <summary>Sends <paramref name="chunks"/> as UTF-8 bytes on <c>tags</c>.</summary>
    public static Task<RecordingOutput> Run(IComponentProvider provider, string config, string mime, params string[] chunks) =>
        Run(provider, config, mime, chunks.Select(Encoding.UTF8.GetBytes).ToArray());

    /// <summary>Sends <paramref name="texts"/> as text items on <c>text</c>.</summary>
    public static Task<RecordingOutput> RunText(IComponentProvider provider, string config, params string[] texts) =>
        RunItems(provider, config, "text/plain", texts.Select(t => (LaneNames.Text, (LanePayload)new TextPayload(t))).ToArray());

    /// <summary>Sends arbitrary lane items.</summary>
    public static async Task<RecordingOutput> RunItems(
        IComponentProvider provider,
        string config,
        string mime,
        (string Lane, LanePayload Payload)[] items,
        ComponentEnvironment? environment = null,
        ObjectContext? context = null,
        CancellationToken cancellationToken = default)
    {
        var component = provider.Create(Config(provider, config), environment ?? new ComponentEnvironment());
        var output = new RecordingOutput();
        var processor = component.Begin(context ?? new ObjectContext("object.bin", mime, Guid.NewGuid().ToString()));
        foreach (var (lane, payload) in items)
        {
            await processor.WriteAsync(lane, payload, output, cancellationToken);
        }

        await processor.CloseAsync(output, cancellationToken);
        return output;
    }

    /// <summary>Splits <paramref name="bytes"/> into chunks of <paramref name="size"/> bytes.</summary>
    public static byte[][] Split(byte[] bytes, int size) => bytes.Chunk(size).ToArray();

    /// <summary>Every object of a batch source with its full content, read through the object's own stream.</summary>
    public static async Task<List<(SourceObject Object, byte[] Content)>> ReadAll(IBatchSource source)
    {
        var result = new List<(SourceObject, byte[])>();
        await foreach (var item in source.ReadAsync(Guard()))
        {
            await using var stream = await item.OpenAsync(CancellationToken.None);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            result.Add((item, copy.ToArray()));
        }

        return result;
    }
}
