using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;

namespace PipelineHost.Client;

/// <summary>An event the server pushed to a monitor.</summary>
/// <param name="Name">The event name, e.g. <c>apaevt_status_update</c>.</param>
/// <param name="TaskId">The short id of the task it concerns (<c>__id</c>), or empty for server-wide events.</param>
/// <param name="Body">The body as received.</param>
public abstract record PipelineEvent(string Name, string TaskId, JsonObject Body)
{
    /// <summary>
    /// The event's number within its task (<c>__seq</c>): 1, 2, 3… in the order the server sent the task's events;
    /// null for server-wide events and servers that do not number them.
    /// </summary>
    public long? Seq => JsonFields.NullableInt64(Body, "__seq");

    internal static PipelineEvent FromMessage(EventMessage message)
    {
        var body = message.Body;
        var taskId = JsonFields.StringOrEmpty(body, "__id");
        return message.Event switch
        {
            "apaevt_status_update" => new StatusUpdateEvent(TaskStatus.FromJson(body), taskId, body),
            "apaevt_task" => TaskLifecycleEvent.FromJson(message.Id, taskId, body),
            "output" => new OutputEvent(OutputLine(body), taskId, body),
            "apaevt_gap" => new GapEvent(JsonFields.Int64(body, "from"), JsonFields.Int64(body, "to"), taskId, body),
            _ when EventTypeNames.ClassOf(message.Event) == EventTypes.Detail => new DetailEvent(message.Event, taskId, body),
            _ => new UnknownEvent(message.Event, taskId, body),
        };
    }

    // RocketRide's output body is DAP's: {"category":"console","output":"<line>\n"}. The trailing newline is framing.
    private static string OutputLine(JsonObject body)
    {
        var line = JsonFields.String(body, "output") ?? JsonFields.String(body, "line") ?? string.Empty;
        return line.TrimEnd('\r', '\n');
    }
}

/// <summary><c>apaevt_status_update</c>: a task's full status.</summary>
/// <param name="Status">The status.</param>
/// <param name="TaskId">The task's short id.</param>
/// <param name="Body">The body as received.</param>
public sealed record StatusUpdateEvent(TaskStatus Status, string TaskId, JsonObject Body)
    : PipelineEvent("apaevt_status_update", TaskId, Body);

/// <summary>A task named in an <c>apaevt_task</c> <c>running</c> snapshot.</summary>
/// <param name="Id">Its short id.</param>
/// <param name="Name">Its display name.</param>
/// <param name="ProjectId">Its pipeline's project id.</param>
/// <param name="Source">Its source component.</param>
public sealed record TaskReference(string Id, string Name, string ProjectId, string Source);

/// <summary>
/// <c>apaevt_task</c>: a task began, ended or restarted (<see cref="Action"/> <c>begin</c>, <c>end</c>, <c>restart</c>),
/// or, right after subscribing, the snapshot of running tasks (<c>running</c>, with <see cref="Tasks"/>).
/// </summary>
/// <param name="Action">What happened.</param>
/// <param name="Id">The task's short id (the event's top-level <c>id</c>, else <c>__id</c>).</param>
/// <param name="TaskName">The task's display name.</param>
/// <param name="ProjectId">The task's project id.</param>
/// <param name="Source">The task's source component.</param>
/// <param name="Tasks">For <c>running</c>: every running task; otherwise empty.</param>
/// <param name="Body">The body as received.</param>
public sealed record TaskLifecycleEvent(
    string Action,
    string Id,
    string TaskName,
    string ProjectId,
    string Source,
    IReadOnlyList<TaskReference> Tasks,
    JsonObject Body) : PipelineEvent("apaevt_task", Id, Body)
{
    internal static TaskLifecycleEvent FromJson(string? topLevelId, string taskId, JsonObject body)
    {
        var tasks = new List<TaskReference>();
        if (body["tasks"] is JsonArray array)
        {
            foreach (var item in array.OfType<JsonObject>())
            {
                tasks.Add(new TaskReference(
                    JsonFields.StringOrEmpty(item, "id"),
                    JsonFields.StringOrEmpty(item, "name"),
                    JsonFields.StringOrEmpty(item, "projectId"),
                    JsonFields.StringOrEmpty(item, "source")));
            }
        }

        return new TaskLifecycleEvent(
            JsonFields.StringOrEmpty(body, "action"),
            string.IsNullOrEmpty(topLevelId) ? taskId : topLevelId,
            JsonFields.StringOrEmpty(body, "name"),
            JsonFields.StringOrEmpty(body, "projectId"),
            JsonFields.StringOrEmpty(body, "source"),
            tasks,
            body);
    }
}

/// <summary><c>output</c>: one line a task's process printed.</summary>
/// <param name="Line">The line, without its line break.</param>
/// <param name="TaskId">The task's short id.</param>
/// <param name="Body">The body as received.</param>
public sealed record OutputEvent(string Line, string TaskId, JsonObject Body) : PipelineEvent("output", TaskId, Body);

/// <summary>An <c>apaevt_status_*</c> detail event (object, counts, error, warning, message, metrics…).</summary>
/// <param name="Name">The event name.</param>
/// <param name="TaskId">The task's short id.</param>
/// <param name="Body">The body as received.</param>
public sealed record DetailEvent(string Name, string TaskId, JsonObject Body) : PipelineEvent(Name, TaskId, Body)
{
    /// <summary>The <c>message</c> of error, warning and message details; null for the others.</summary>
    public string? Message => Body["message"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>
/// <c>apaevt_gap</c>: after a reconnect, the task's events <paramref name="From"/>..<paramref name="To"/> (by
/// <see cref="PipelineEvent.Seq"/>) were no longer kept by the server and cannot be replayed.
/// </summary>
/// <param name="From">The first seq missed.</param>
/// <param name="To">The last seq missed.</param>
/// <param name="TaskId">The task's short id.</param>
/// <param name="Body">The body as received.</param>
public sealed record GapEvent(long From, long To, string TaskId, JsonObject Body) : PipelineEvent("apaevt_gap", TaskId, Body);

/// <summary>Any other event (flow, SSE, dashboard, debugger, or one newer than this SDK).</summary>
/// <param name="Name">The event name.</param>
/// <param name="TaskId">The task's short id, or empty.</param>
/// <param name="Body">The body as received.</param>
public sealed record UnknownEvent(string Name, string TaskId, JsonObject Body) : PipelineEvent(Name, TaskId, Body);
