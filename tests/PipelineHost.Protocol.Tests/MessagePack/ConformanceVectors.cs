using System.Text.Json;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>tests/vectors/msgpack/vectors.json, made by @msgpack/msgpack; see the README beside it.</summary>
internal static class ConformanceVectors
{
    private static readonly Lazy<JsonDocument> Document = new(Load);

    // Parsed once: every theory case looks its vector up, and the file holds 2 MB of hex.
    private static readonly Lazy<IReadOnlyList<Vector>> ParsedValues = new(() => Document.Value.RootElement.GetProperty("vectors").EnumerateArray()
        .Select(v => new Vector(v.GetProperty("name").GetString()!, v.GetProperty("json"), Convert.FromHexString(v.GetProperty("hex").GetString()!)))
        .ToList());

    public static string Generator => Document.Value.RootElement.GetProperty("generator").GetString()!;

    public static IEnumerable<Vector> Values => ParsedValues.Value;

    public static IEnumerable<EnvelopeVector> Envelopes => Document.Value.RootElement.GetProperty("envelopes").EnumerateArray()
        .Select(e => new EnvelopeVector(
            e.GetProperty("name").GetString()!,
            // Compact: the file is pretty-printed, and a binary JSON frame ends its header at the first newline.
            JsonSerializer.Serialize(e.GetProperty("json")),
            e.GetProperty("data").ValueKind == JsonValueKind.Null ? null : Convert.FromHexString(e.GetProperty("data").GetString()!),
            Convert.FromHexString(e.GetProperty("hex").GetString()!)));

    public static Vector Get(string name) => Values.Single(v => v.Name == name);

    public static EnvelopeVector GetEnvelope(string name) => Envelopes.Single(v => v.Name == name);

    /// <summary>Vector names as xunit member data.</summary>
    public static TheoryData<string> Names() => new(Values.Select(v => v.Name));

    public static TheoryData<string> EnvelopeNames() => new(Envelopes.Select(v => v.Name));

    private static JsonDocument Load()
    {
        // The file lives in the source tree, not the build output: walk up from the test assembly to find it.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "tests", "vectors", "msgpack", "vectors.json");
            if (File.Exists(path))
            {
                // The "nested 100 arrays" vector nests deeper than the parser's default limit of 64.
                return JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { MaxDepth = 256 });
            }
        }

        throw new FileNotFoundException("tests/vectors/msgpack/vectors.json not found above " + AppContext.BaseDirectory);
    }

    internal sealed record Vector(string Name, JsonElement Description, byte[] Bytes)
    {
        public MsgValue Expected => MsgValue.FromDescription(Description);
    }

    internal sealed record EnvelopeVector(string Name, string Json, byte[]? Data, byte[] Bytes);
}
