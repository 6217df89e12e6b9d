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

        // The lane the hash follows: the first one to arrive. A source sends a text object on both 'tags' and
        // 'text'; hashing both would describe neither.
        private string? _lane;
        private bool _warned;

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            _lane ??= lane;
            if (!string.Equals(_lane, lane, StringComparison.Ordinal))
            {
                if (!_warned)
                {
                    output.Warn($"hash: hashing lane '{_lane}'; input on lane '{lane}' for the same object was ignored");
                    _warned = true;
                }

                return ValueTask.CompletedTask;
            }

            switch (payload)
            {
                case BytesPayload bytes:
                    _hash.AppendData(bytes.Bytes.Span);
                    break;
                case TextPayload text:
                    _hash.AppendData(Encoding.UTF8.GetBytes(text.Text));
                    break;
                default:
                    throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; hash reads 'tags' and 'text'.");
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
