using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// Turns an object's bytes into text (and a table for CSV) according to its MIME type. Buffers the whole object
/// and emits on close, so a CSV field or a UTF-8 character split across writes is read whole.
/// </summary>
public sealed class ParseProvider : IComponentProvider
{
    private const string Name = "parse";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "Parse",
        Description: "Reads the bytes on 'tags' by MIME type: text/*, application/json and application/xml as text; text/csv as a table plus its text; text/html as its visible text. Other types pass through on 'tags' with a warning.",
        ClassTypes: ["transform"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.Tags] = [LaneNames.Text, LaneNames.Table, LaneNames.Tags] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["delimiter"] = new JsonObject { ["type"] = "string", ["minLength"] = 1, ["maxLength"] = 1, ["default"] = ",", ["description"] = "CSV field delimiter (one character)." },
            },
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"parse_1","provider":"parse","config":{"delimiter":","},"input":[{"lane":"tags","from":"webhook_1"}]}""")!.AsObject(),
    };

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var delimiter = ConfigValues.GetString(config, Name, "delimiter", ",")!;
        if (delimiter.Length != 1 || delimiter[0] is '"' or '\r' or '\n')
        {
            throw new ComponentConfigException($"{Name}: config.delimiter must be one character other than a quote or a line break.");
        }

        return new Parse(delimiter[0]);
    }

    private enum Kind
    {
        Text,
        Csv,
        Html,
        Unknown,
    }

    private static Kind KindOf(string mimeType) => mimeType switch
    {
        "text/csv" => Kind.Csv,
        "text/html" => Kind.Html,
        "application/json" or "application/xml" => Kind.Text,
        _ when mimeType.StartsWith("text/", StringComparison.Ordinal) => Kind.Text,
        _ => Kind.Unknown,
    };

    private sealed class Parse(char delimiter) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) => new Processor(context.MimeType, KindOf(context.MimeType), delimiter);
    }

    private sealed class Processor(string mimeType, Kind kind, char delimiter) : IObjectProcessor
    {
        private readonly ObjectBuffer _buffer = new(Name);

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (payload is not BytesPayload bytes)
            {
                throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; parse reads bytes from 'tags'.");
            }

            if (kind == Kind.Unknown)
            {
                // Nothing to parse: stream the bytes on rather than holding them.
                await output.EmitAsync(LaneNames.Tags, bytes, cancellationToken).ConfigureAwait(false);
                return;
            }

            _buffer.Append(bytes.Bytes.Span);
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken)
        {
            if (kind == Kind.Unknown)
            {
                output.Warn($"parse: no parser for '{mimeType}'; passed through as tags");
                return;
            }

            if (_buffer.Length == 0)
            {
                return;
            }

            var text = _buffer.Text;
            switch (kind)
            {
                case Kind.Csv:
                    await output.EmitAsync(LaneNames.Table, ToTable(text, output), cancellationToken).ConfigureAwait(false);
                    await output.EmitAsync(LaneNames.Text, new TextPayload(text), cancellationToken).ConfigureAwait(false);
                    break;
                case Kind.Html:
                    await output.EmitAsync(LaneNames.Text, new TextPayload(HtmlText.ToText(text)), cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    await output.EmitAsync(LaneNames.Text, new TextPayload(text), cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        private TablePayload ToTable(string text, IComponentOutput output)
        {
            var records = CsvTable.Parse(text, delimiter, out var unterminated);
            if (unterminated)
            {
                output.Warn("parse: the CSV ends inside a quoted field; the field runs to the end of the object");
            }

            if (records.Count == 0)
            {
                return new TablePayload([], []);
            }

            var columns = records[0];
            var rows = new List<IReadOnlyList<string?>>(records.Count - 1);
            var tooLong = 0;
            foreach (var record in records.Skip(1))
            {
                if (record.Count > columns.Count)
                {
                    tooLong++;
                }

                var row = new string?[columns.Count];
                for (var i = 0; i < row.Length; i++)
                {
                    row[i] = i < record.Count ? record[i] : null;
                }

                rows.Add(row);
            }

            if (tooLong > 0)
            {
                output.Warn(string.Create(CultureInfo.InvariantCulture,
                    $"parse: {tooLong} CSV row(s) have more fields than the header's {columns.Count}; the extra fields were dropped"));
            }

            return new TablePayload(columns, rows);
        }
    }
}
