using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>A running task as <c>rrext_get_tasks</c> lists it.</summary>
/// <param name="Name">The pipeline's name, or its source.</param>
/// <param name="Description">The pipeline's description.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Token">The task token.</param>
/// <param name="Status">The status text.</param>
public sealed record TaskSummary(string Name, string Description, string Source, string Token, string Status)
{
    /// <summary>The pipeline the task runs.</summary>
    public JsonObject? Pipeline { get; init; }

    /// <summary>The entry as received.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static TaskSummary FromJson(JsonObject entry) => new(
        JsonFields.StringOrEmpty(entry, "name"),
        JsonFields.StringOrEmpty(entry, "description"),
        JsonFields.StringOrEmpty(entry, "source"),
        JsonFields.StringOrEmpty(entry, "token"),
        JsonFields.StringOrEmpty(entry, "status"))
    {
        Pipeline = JsonFields.Object(entry, "pipeline"),
        Raw = entry,
    };
}
