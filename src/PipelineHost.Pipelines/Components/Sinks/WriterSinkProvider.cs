using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sinks;

/// <summary>
/// Writes each object's lanes as files into the task's output folder: text appended to <c>&lt;name&gt;.txt</c>,
/// bytes to <c>&lt;name&gt;.bin</c>, other lanes as a JSON array in <c>&lt;name&gt;.&lt;lane&gt;.json</c>. When the
/// object is finished, each of its files is reported (<see cref="IComponentOutput.FileWritten"/>) with its size and
/// content type; the task lists them as its <c>outputs</c>.
/// </summary>
public sealed class WriterSinkProvider : IComponentProvider
{
    private const string Name = "writer";

    /// <summary>The longest file-name stem derived from an object name.</summary>
    public const int MaxNameLength = 120;

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Write files",
        Description: "Writes every lane that reaches it into the task's output folder, one file per object and lane.",
        ClassTypes: ["sink"],
        Lanes: LaneNames.All.ToDictionary(l => l, _ => (IReadOnlyList<string>)[], StringComparer.Ordinal),
        ConfigSchema: new JsonObject { ["type"] = "object", ["properties"] = new JsonObject(), ["additionalProperties"] = false })
    {
        Example = JsonNode.Parse("""{"id":"writer_1","provider":"writer","config":{},"input":[{"lane":"text","from":"parse_1"},{"lane":"table","from":"parse_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var directory = Path.GetFullPath(environment.OutputDirectory);
        Directory.CreateDirectory(directory);
        return new Writer(directory, environment.OutputQuota);
    }

    /// <summary>
    /// A file-name stem for an object name: path separators and every character outside [A-Za-z0-9._-] become
    /// '_', a leading '.' becomes '_', and the result is at most <see cref="MaxNameLength"/> characters.
    /// </summary>
    public static string SafeName(string objectName)
    {
        ArgumentNullException.ThrowIfNull(objectName);
        var safe = new StringBuilder(Math.Min(objectName.Length, MaxNameLength));
        foreach (var c in objectName)
        {
            if (safe.Length == MaxNameLength)
            {
                break;
            }

            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' ? c : '_');
        }

        if (safe.Length == 0)
        {
            safe.Append('_');
        }

        if (safe[0] == '.')
        {
            safe[0] = '_';
        }

        return safe.ToString();
    }

    private sealed class Writer(string directory, OutputQuota quota) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(directory, SafeName(context.Name), quota);
    }

    /// <summary>The content type of a file the writer makes, from the extension it gave it.</summary>
    public static string ContentTypeOf(string file) => Path.GetExtension(file) switch
    {
        ".txt" => "text/plain; charset=utf-8",
        ".json" => "application/json",
        _ => MimeTypes.OctetStream,
    };

    private sealed class Processor(string directory, string stem, OutputQuota quota) : IObjectProcessor
    {
        private long _written;

        private readonly HashSet<string> _started = new(StringComparer.Ordinal);
        private readonly Dictionary<string, JsonArray> _json = new(StringComparer.Ordinal);

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            switch (payload)
            {
                case TextPayload text:
                    await AppendAsync(stem + ".txt", Encoding.UTF8.GetBytes(text.Text), cancellationToken).ConfigureAwait(false);
                    break;
                case BytesPayload bytes:
                    await AppendAsync(stem + ".bin", bytes.Bytes, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    if (!_json.TryGetValue(lane, out var items))
                    {
                        items = [];
                        _json[lane] = items;
                    }

                    items.Add(LanePayloadJson.ToJson(payload));
                    break;
            }
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            foreach (var (lane, items) in _json)
            {
                var file = $"{stem}.{SafeName(lane)}.json";
                var bytes = JsonSerializer.SerializeToUtf8Bytes(items);
                Take(bytes.Length);
                await Guarded(file, () => File.WriteAllBytesAsync(PathFor(file), bytes, cancellationToken)).ConfigureAwait(false);
                _started.Add(file);
            }

            // Reported only now, complete: a file of an object that failed half-way is never listed.
            foreach (var file in _started.Order(StringComparer.Ordinal))
            {
                output.FileWritten(file, new FileInfo(PathFor(file)).Length, ContentTypeOf(file));
            }
        }

        /// <summary>Appends to <paramref name="file"/>, replacing what an earlier run left there on this object's first write.</summary>
        private async Task AppendAsync(string file, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            Take(bytes.Length);
            var mode = _started.Add(file) ? FileMode.Create : FileMode.Append;
            await Guarded(file, async () =>
            {
                var stream = new FileStream(PathFor(file), mode, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
                await using (stream.ConfigureAwait(false))
                {
                    await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        }

        private void Take(long bytes)
        {
            quota.Take(_written, bytes);
            _written += bytes;
        }

        // File-system errors carry the server's path in their message, and an object's error reaches pk_ holders:
        // the message is rebuilt from the file's own name and what went wrong.
        private static async Task Guarded(string file, Func<Task> write)
        {
            try
            {
                await write().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException && ex is not OutputLimitException)
            {
                var why = ex.HResult == DiskFullHResult || ex.Message.Contains("No space left", StringComparison.OrdinalIgnoreCase)
                    ? "no space left on the device"
                    : ex is UnauthorizedAccessException ? "access denied" : "an I/O error";
                throw new IOException($"{Name}: could not write '{file}': {why}.");
            }
        }

        private const int DiskFullHResult = 28; // ENOSPC as .NET reports it on Unix

        private string PathFor(string file)
        {
            var path = Path.GetFullPath(Path.Combine(directory, file));
            return path.StartsWith(Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                ? path
                : throw new InvalidOperationException($"{Name}: '{file}' would be outside the output folder.");
        }
    }
}
