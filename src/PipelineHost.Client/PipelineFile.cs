using System.Text.Json.Nodes;
using PipelineHost.Protocol.Json;

namespace PipelineHost.Client;

/// <summary>Reads <c>.pipe</c> / <c>.pipe.json</c> / <c>.json</c> pipeline files as the RocketRide SDKs do.</summary>
public static class PipelineFile
{
    /// <summary>
    /// Reads a pipeline file as JSON5, as the RocketRide SDKs do (comments, trailing commas, unquoted keys,
    /// single-quoted strings; see <see cref="Json5"/>), and unwraps a top-level <c>{"pipeline": {…}}</c>.
    /// </summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a JSON5 object; the message gives line and column.</exception>
    public static async Task<JsonObject> LoadAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var text = await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false);
        JsonNode? node;
        try
        {
            node = Json5.Parse(text);
        }
        catch (Json5Exception ex)
        {
            throw new InvalidDataException($"{path} is not valid JSON5: {ex.Message}", ex);
        }

        return Unwrap(node as JsonObject ?? throw new InvalidDataException($"{path} must hold a JSON object."));
    }

    /// <summary>The flat pipeline inside an optional <c>{"pipeline": {…}}</c> wrapper, as a copy.</summary>
    public static JsonObject Unwrap(JsonObject pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var flat = pipeline["pipeline"] is JsonObject inner && pipeline["components"] is null ? inner : pipeline;
        return flat.DeepClone().AsObject();
    }

    /// <summary>
    /// The name a task started from a file is shown by: the pipeline's own <c>name</c> when it has one (what the
    /// server shows for it however it was started), else <see cref="TaskName"/> of the file.
    /// </summary>
    public static string DisplayName(JsonObject pipeline, string path) =>
        pipeline["name"] is JsonValue name && name.TryGetValue(out string? text) && !string.IsNullOrWhiteSpace(text) ? text : TaskName(path);

    /// <summary>The task name the SDKs derive from a file: its name without <c>.pipe</c>, <c>.pipe.json</c> or <c>.json</c>.</summary>
    public static string TaskName(string path)
    {
        var name = Path.GetFileName(path);
        foreach (var suffix in (string[])[".pipe.json", ".pipe", ".json"])
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase) && name.Length > suffix.Length)
            {
                return name[..^suffix.Length];
            }
        }

        return name;
    }
}
