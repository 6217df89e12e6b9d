using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Protocol.Tests.Worker;

/// <summary>The worker channel's vectors (tests/vectors/worker-ipc) decode to their fields and encode back byte for byte.</summary>
public class WorkerIpcVectorTests
{
    public static TheoryData<string> Valid() => new(Names("valid"));

    public static TheoryData<string> Malformed() => new(Names("malformed"));

    [Fact]
    public void Every_message_type_has_a_vector()
    {
        using var document = WorkerIpcVectors.Load();
        var covered = document.RootElement.GetProperty("valid").EnumerateArray().Select(v => v.GetProperty("type").GetString()).ToHashSet();
        var types = typeof(WorkerMessage).GetCustomAttributes(typeof(global::MessagePack.UnionAttribute), false)
            .Cast<global::MessagePack.UnionAttribute>()
            .Select(u => u.SubType.Name)
            .ToList();

        Assert.All(types, t => Assert.Contains(t, covered));
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void A_vector_decodes_to_its_fields_and_encodes_back_to_its_bytes(string name)
    {
        var vector = Find("valid", name);
        var payload = Convert.FromHexString(vector.GetProperty("payload").GetString()!);
        var expected = WorkerIpcVectors.FromFields(vector.GetProperty("type").GetString()!, vector.GetProperty("fields"));

        var decoded = WorkerFrames.Decode(payload);

        Assert.Equal(WorkerIpcVectors.Fields(expected), WorkerIpcVectors.Fields(decoded));
        Assert.Equal(Convert.ToHexString(payload), Convert.ToHexString(WorkerFrames.Encode(expected)));
    }

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_vector_is_refused_with_its_reason(string name)
    {
        var vector = Find("malformed", name);
        var payload = Convert.FromHexString(vector.GetProperty("payload").GetString()!);

        var ex = Assert.Throws<WorkerProtocolException>(() => WorkerFrames.Decode(payload));

        Assert.StartsWith(vector.GetProperty("error").GetString()!, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Regenerate_when_asked()
    {
        if (Environment.GetEnvironmentVariable(WorkerIpcVectors.RegenerateVariable) != "1")
        {
            return;
        }

        var valid = new JsonArray();
        foreach (var message in WorkerMessageTests.Samples)
        {
            valid.Add(new JsonObject
            {
                ["name"] = message.GetType().Name,
                ["type"] = message.GetType().Name,
                ["fields"] = JsonNode.Parse(WorkerIpcVectors.Fields(message)),
                ["payload"] = Convert.ToHexString(WorkerFrames.Encode(message)),
            });
        }

        using var current = WorkerIpcVectors.Load();
        var document = new JsonObject
        {
            ["description"] = "protocol-spec/worker-ipc.md: each message's frame payload (hex, without the 5-byte frame header) and its fields; payloads a reader refuses, with the start of its reason.",
            ["valid"] = valid,
            ["malformed"] = JsonNode.Parse(current.RootElement.GetProperty("malformed").GetRawText()),
        };
        File.WriteAllText(WorkerIpcVectors.FilePath, document.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static IEnumerable<string> Names(string section)
    {
        using var document = WorkerIpcVectors.Load();
        return document.RootElement.GetProperty(section).EnumerateArray().Select(v => v.GetProperty("name").GetString()!).ToList();
    }

    private static JsonElement Find(string section, string name)
    {
        using var document = WorkerIpcVectors.Load();
        return document.RootElement.GetProperty(section).EnumerateArray().Single(v => v.GetProperty("name").GetString() == name).Clone();
    }
}
