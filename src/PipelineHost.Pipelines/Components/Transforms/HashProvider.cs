using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Emits the lowercase hex SHA-256 of an object's bytes (from <c>tags</c>) or of its UTF-8 text (from
/// <c>text</c>) as one text item on close. Hashes incrementally, so nothing is buffered.
/// </summary>
public sealed class HashProvider : IComponentProvider
{
    private const string Name = "hash";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Hash",
        Description: "Emits the lowercase hex SHA-256 of the object's bytes or text as one text item.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>>
        {
            [LaneNames.Tags] = [LaneNames.Text],
            [LaneNames.Text] = [LaneNames.Text],
        },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["algorithm"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("sha256"), ["default"] = "sha256", ["description"] = "The hash function." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"hash_1","provider":"hash","config":{"algorithm":"sha256"},"input":[{"lane":"tags","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ConfigValues.GetChoice(config, Name, "algorithm", "sha256", "sha256");
        return new Hash();
    }

    private sealed class Hash : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor();
    }

    private sealed class Processor : IObjectProcessor
    {
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        private readonly FirstLaneBytes _lanes = new(Name, followed => $"hashing lane '{followed}'");

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (_lanes.Read(lane, payload, output) is { } bytes)
            {
                _hash.AppendData(bytes.Span);
            }

            return ValueTask.CompletedTask;
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            string digest;
            using (_hash)
            {
                digest = Convert.ToHexStringLower(_hash.GetHashAndReset());
            }

            await output.EmitAsync(LaneNames.Text, new TextPayload(digest), cancellationToken).ConfigureAwait(false);
        }
    }
}
