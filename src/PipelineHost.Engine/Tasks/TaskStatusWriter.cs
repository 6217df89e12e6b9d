using System.Text.Json.Nodes;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tasks;

/// <summary>Builds TASK_STATUS exactly as RocketRide clients expect it, field for field and in the reference's order.</summary>
public static class TaskStatusWriter
{
    /// <summary>Where the worker's per-pipe component stacks are kept among a task's reported figures.</summary>
    internal const string ByPipeKey = "byPipe";

    /// <summary>Every counter at zero.</summary>
    public static JsonObject ZeroCounts() => new()
    {
        ["currentObject"] = string.Empty,
        ["currentSize"] = 0,
        ["totalSize"] = 0,
        ["totalCount"] = 0,
        ["completedSize"] = 0,
        ["completedCount"] = 0,
        ["failedSize"] = 0,
        ["failedCount"] = 0,
        ["wordsSize"] = 0,
        ["wordsCount"] = 0,
        ["rateSize"] = 0,
        ["rateCount"] = 0,
        ["serviceUp"] = false,
    };

    /// <summary>
    /// A TASK_STATUS with every field in the reference's order and nothing known yet: the base for a stored task
    /// that has no status of its own (the identity, state and exit fields are laid over it).
    /// </summary>
    public static JsonObject Empty(int totalPipes)
    {
        var status = new JsonObject
        {
            ["name"] = string.Empty,
            ["project_id"] = string.Empty,
            ["source"] = string.Empty,
            ["completed"] = false,
            ["state"] = 0,
            ["startTime"] = 0,
            ["endTime"] = 0,
            ["debuggerAttached"] = false,
            ["status"] = string.Empty,
            ["warnings"] = new JsonArray(),
            ["errors"] = new JsonArray(),
        };
        var counts = ZeroCounts();
        foreach (var key in new[] { "currentObject", "currentSize" })
        {
            status[key] = counts[key]!.DeepClone();
        }

        status["notes"] = new JsonArray();
        foreach (var key in new[] { "totalSize", "totalCount", "completedSize", "completedCount", "failedSize", "failedCount", "wordsSize", "wordsCount", "rateSize", "rateCount", "serviceUp" })
        {
            status[key] = counts[key]!.DeepClone();
        }

        status["exitCode"] = 0;
        status["exitMessage"] = string.Empty;
        status["pipeflow"] = new JsonObject { ["totalPipes"] = totalPipes, ["byPipe"] = new JsonObject() };
        status["metrics"] = TaskMetrics.Zero.ToJson();
        status["tokens"] = TaskTokens.Zero.ToJson();
        status["id"] = string.Empty;
        status["provider"] = string.Empty;
        status["taskType"] = TaskType.Pipeline.ToWire();
        return status;
    }

    /// <summary>
    /// RocketRide's stand-in status for a project/source with no task: state 0, "Not running", every field
    /// present so clients can read it like any status.
    /// </summary>
    public static JsonObject Placeholder(string projectId, string source)
    {
        var status = Empty(0);
        status["name"] = source;
        status["project_id"] = projectId;
        status["source"] = source;
        status["status"] = "Not running";
        return status;
    }

    internal static JsonObject Write(PipelineTask task, JsonObject counts, IEnumerable<string> errors, IEnumerable<string> warnings, JsonArray notes)
    {
        var state = task.State;
        return new JsonObject
        {
            ["name"] = task.Identity.Name,
            ["project_id"] = task.Identity.ProjectId,
            ["source"] = task.Identity.Source,
            ["completed"] = state.IsTerminal(),
            ["state"] = (int)state,
            ["startTime"] = task.StartTime,
            ["endTime"] = task.EndTime,
            ["debuggerAttached"] = false,
            ["status"] = task.StatusText,
            ["warnings"] = new JsonArray(warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
            ["errors"] = new JsonArray(errors.Select(e => (JsonNode)JsonValue.Create(e)!).ToArray()),
            ["currentObject"] = counts["currentObject"]?.DeepClone(),
            ["currentSize"] = counts["currentSize"]?.DeepClone(),
            ["notes"] = notes.DeepClone(),
            ["totalSize"] = counts["totalSize"]?.DeepClone(),
            ["totalCount"] = counts["totalCount"]?.DeepClone(),
            ["completedSize"] = counts["completedSize"]?.DeepClone(),
            ["completedCount"] = counts["completedCount"]?.DeepClone(),
            ["failedSize"] = counts["failedSize"]?.DeepClone(),
            ["failedCount"] = counts["failedCount"]?.DeepClone(),
            ["wordsSize"] = counts["wordsSize"]?.DeepClone(),
            ["wordsCount"] = counts["wordsCount"]?.DeepClone(),
            ["rateSize"] = counts["rateSize"]?.DeepClone(),
            ["rateCount"] = counts["rateCount"]?.DeepClone(),
            ["serviceUp"] = counts["serviceUp"]?.DeepClone(),
            ["exitCode"] = task.ExitCode,
            ["exitMessage"] = task.ExitMessage,
            ["pipeflow"] = new JsonObject { ["totalPipes"] = task.Options.Threads, ["byPipe"] = counts[ByPipeKey]?.DeepClone() ?? new JsonObject() },
            ["metrics"] = (task.Sampler?.Metrics ?? TaskMetrics.Zero).ToJson(),
            ["tokens"] = (task.Sampler?.Tokens ?? TaskTokens.Zero).ToJson(),
            ["id"] = task.Id,
            ["provider"] = task.Identity.Provider,

            // PipelineHost's additions (absent from the reference; old clients ignore them).
            ["taskType"] = task.Type.ToWire(),
        };
    }
}
