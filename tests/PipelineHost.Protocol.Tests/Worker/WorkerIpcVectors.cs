using System.Text.Json;
using System.Text.Json.Serialization;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Protocol.Tests.Worker;

/// <summary>
/// tests/vectors/worker-ipc/vectors.json: each message of protocol-spec/worker-ipc.md as its frame payload in hex,
/// beside its fields as JSON, and payloads a reader must refuse. Regenerate after a deliberate change of the
/// contract with <c>PIPELINEHOST_WRITE_WORKER_VECTORS=1 dotnet test --filter WorkerIpcVectorTests</c>.
/// </summary>
internal static class WorkerIpcVectors
{
    public const string RegenerateVariable = "PIPELINEHOST_WRITE_WORKER_VECTORS";

    /// <summary>Field JSON: bytes as base64 (<c>Data</c> too), names as the records spell them.</summary>
    public static readonly JsonSerializerOptions FieldOptions = new()
    {
        Converters = { new MemoryConverter() },
        WriteIndented = false,
    };

    public static string FilePath
    {
        get
        {
            // The file lives in the source tree, not the build output: walk up from the test assembly to find it.
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "PipelineHost.sln")))
                {
                    return Path.Combine(dir.FullName, "tests", "vectors", "worker-ipc", "vectors.json");
                }
            }

            throw new FileNotFoundException("PipelineHost.sln not found above the test assembly");
        }
    }

    public static JsonDocument Load() => JsonDocument.Parse(File.ReadAllBytes(FilePath));

    public static WorkerMessage FromFields(string type, JsonElement fields) =>
        (WorkerMessage)fields.Deserialize(typeof(WorkerMessage).Assembly.GetType($"{typeof(WorkerMessage).Namespace}.{type}", throwOnError: true)!, FieldOptions)!;

    public static string Fields(WorkerMessage message) => JsonSerializer.Serialize(message, message.GetType(), FieldOptions);

    private sealed class MemoryConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetBytesFromBase64();

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) => writer.WriteBase64StringValue(value.Span);
    }
}
