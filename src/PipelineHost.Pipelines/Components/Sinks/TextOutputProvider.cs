using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sinks;

/// <summary>
/// Writes each object's text (its <c>text</c> items, and each document's text on its own line) to one file in the
/// task's output folder, named after the object (<see cref="WriterSinkProvider.SafeName"/>: no path from the
/// object name survives) plus the configured extension. The file is reported when the object completes, so the
/// task lists it in status <c>outputs</c> and serves it with <c>GET /task/output</c>. RocketRide's two names for
/// this sink, <c>text_output</c> and <c>local_text_output</c>, are the same component here.
/// </summary>
public sealed class TextOutputProvider : IComponentProvider
{
    /// <summary>The name RocketRide's pipelines use.</summary>
    public const string TextOutput = "text_output";

    /// <summary>RocketRide's local-disk variant; the task's output folder is the local disk here.</summary>
    public const string LocalTextOutput = "local_text_output";

    private readonly string _name;

    /// <summary>Creates the provider under <paramref name="name"/> (<see cref="TextOutput"/> or <see cref="LocalTextOutput"/>).</summary>
    public TextOutputProvider(string name)
    {
        _name = name;
        Definition = new(
            Name: name,
            Title: name == TextOutput ? "Text output" : "Local text output",
            Description: "Writes each object's text to <object name>.<extension> in the task's outputs (status outputs, GET /task/output).",
            ClassTypes: ["sink"],
            Lanes: new Dictionary<string, IReadOnlyList<string>>
            {
                [LaneNames.Text] = [],
                [LaneNames.Documents] = [],
            },
            ConfigSchema: new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject
                {
                    ["extension"] = new JsonObject
                    {
                        ["type"] = "string",
                        ["pattern"] = "^[A-Za-z0-9]{1,10}$",
                        ["default"] = "txt",
                        ["description"] = "The file extension, without the dot.",
                    },
                },
                ["additionalProperties"] = false,
            })
        {
            Example = JsonNode.Parse($$"""{"id":"{{name}}_1","provider":"{{name}}","config":{"extension":"txt"},"input":[{"lane":"text","from":"parse_1"}]}""")!.AsObject(),
        };
    }

    /// <inheritdoc />
    public ServiceDefinition Definition { get; }

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(environment);
        var extension = ConfigValues.GetString(config, _name, "extension", "txt")!;
        if (extension.Length is 0 or > 10 || !extension.All(char.IsAsciiLetterOrDigit))
        {
            throw new ComponentConfigException($"{_name}: config.extension must be 1 to 10 letters or digits.");
        }

        var directory = Path.GetFullPath(environment.OutputDirectory);
        Directory.CreateDirectory(directory);
        return new Sink(_name, directory, extension);
    }

    private sealed class Sink(string name, string directory, string extension) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) =>
            new Processor(name, directory, $"{WriterSinkProvider.SafeName(context.Name)}.{extension}");
    }

    private sealed class Processor(string name, string directory, string file) : IObjectProcessor
    {
        // False until the first write, which replaces what an earlier run of the object left.
        private bool _started;

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            var text = payload switch
            {
                TextPayload t => t.Text,
                DocumentsPayload d => string.Concat(d.Documents.Select(doc => doc.Text + "\n")),
                _ => throw new InvalidOperationException($"{name}: lane '{lane}' carries {payload.GetType().Name}; it reads 'text' and 'documents'."),
            };
            await AppendAsync(Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            // An object with no text still gets its (empty) file: the output says it was seen.
            await AppendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            output.FileWritten(file, new FileInfo(PathFor()).Length, "text/plain; charset=utf-8");
        }

        // Opened per write, as the writer sink does: an object that fails half-way leaves no open handle behind.
        private async Task AppendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
        {
            var mode = _started ? FileMode.Append : FileMode.Create;
            _started = true;
            var stream = new FileStream(PathFor(), mode, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            }
        }

        private string PathFor()
        {
            // SafeName leaves no separator and no leading dot; the check stays as the last word on traversal.
            var path = Path.GetFullPath(Path.Combine(directory, file));
            return path.StartsWith(Path.TrimEndingDirectorySeparator(directory) + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                ? path
                : throw new InvalidOperationException($"{name}: the object's file would be outside the output folder.");
        }
    }
}
