using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>One file a task's <c>writer</c> produced, as status <c>outputs</c> lists it.</summary>
/// <param name="Name">The file's name in the task's output folder (no folders: the writer makes flat, safe names).</param>
/// <param name="Size">Its size in bytes when last reported.</param>
/// <param name="ContentType">What the writer put in it.</param>
public sealed record TaskOutputEntry(string Name, long Size, string ContentType)
{
    /// <summary><c>{name, size, contentType}</c>.</summary>
    public JsonObject ToJson() => new() { ["name"] = Name, ["size"] = Size, ["contentType"] = ContentType };

    /// <summary>The entries of a status's <c>outputs</c> array (a stored status, after the task has left memory).</summary>
    public static IReadOnlyList<TaskOutputEntry> ListFrom(JsonObject? status) => status?["outputs"] is JsonArray outputs
        ? outputs.OfType<JsonObject>()
            .Where(o => o["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String)
            .Select(o => new TaskOutputEntry(
                o["name"]!.GetValue<string>(),
                TaskStatusWriter.Int64(o["size"]) ?? 0,
                o["contentType"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : "application/octet-stream"))
            .ToList()
        : [];
}

/// <summary>A task output found for download: its listed name and type, and where the file is.</summary>
/// <param name="Name">The name <c>outputs</c> lists.</param>
/// <param name="ContentType">The type <c>outputs</c> lists.</param>
/// <param name="Path">The file's full path, inside the task's output folder.</param>
public sealed record TaskOutputFile(string Name, string ContentType, string Path);

/// <summary>
/// The files a task's writers produced, in the order first reported; a file reported again (an object written
/// twice) keeps its place with the new size. Bounded to <see cref="MaxFiles"/> entries so status stays small; files
/// beyond are still written but not listed. Not thread-safe: <see cref="PipelineTask"/> guards it with its lock.
/// </summary>
internal sealed class TaskOutputs
{
    /// <summary>The most files listed.</summary>
    public const int MaxFiles = 1000;

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<TaskOutputEntry> _files = [];

    /// <summary>Records a file; false when the list is full and it was not in it.</summary>
    public bool Report(TaskOutputEntry file)
    {
        if (_index.TryGetValue(file.Name, out var at))
        {
            _files[at] = file;
            return true;
        }

        if (_files.Count >= MaxFiles)
        {
            return false;
        }

        _index[file.Name] = _files.Count;
        _files.Add(file);
        return true;
    }

    /// <summary>Forgets every file (a restart begins a new run).</summary>
    public void Clear()
    {
        _index.Clear();
        _files.Clear();
    }

    /// <summary>A copy of the list.</summary>
    public IReadOnlyList<TaskOutputEntry> Snapshot() => [.. _files];

    /// <summary><c>[{name, size, contentType}]</c>.</summary>
    public JsonArray ToJson() => new(_files.Select(f => (JsonNode)f.ToJson()).ToArray());
}
