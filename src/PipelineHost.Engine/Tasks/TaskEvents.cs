using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>Something happened to a task that subscribers may want to hear about.</summary>
public abstract record TaskEvent(PipelineTask Task);

/// <summary>The task's status changed; <paramref name="StateChanged"/> when its state did.</summary>
public sealed record TaskStatusChanged(PipelineTask Task, bool StateChanged) : TaskEvent(Task)
{
    /// <summary>Only the sampled metrics and tokens moved: not a change <c>updatedAt</c> records.</summary>
    public bool MetricsOnly { get; init; }
}

/// <summary><c>begin</c>, <c>end</c> or <c>restart</c>.</summary>
public sealed record TaskLifecycle(PipelineTask Task, string Action) : TaskEvent(Task);

/// <summary>A DETAIL event (<c>apaevt_status_counts</c>, <c>_error</c>, <c>_warning</c>, <c>_message</c>, <c>_object</c>).</summary>
public sealed record TaskDetail(PipelineTask Task, string EventName, JsonObject Body) : TaskEvent(Task);

/// <summary>
/// One <c>apaevt_flow</c> record <c>{id, op, pipes, trace}</c> of a task started with a trace level (others
/// produce none).
/// </summary>
public sealed record TaskFlow(PipelineTask Task, JsonObject Record) : TaskEvent(Task);

/// <summary>A component's <c>apaevt_sse</c> message <c>{pipe_id, type, data?}</c> for one pipe of the task.</summary>
public sealed record TaskSse(PipelineTask Task, int PipeId, JsonObject Body) : TaskEvent(Task);

/// <summary>A line the worker printed (stdout of components and stderr).</summary>
public sealed record TaskOutput(PipelineTask Task, string Line) : TaskEvent(Task);

/// <summary>Hears task events. Called synchronously on the engine's threads: must not block.</summary>
public interface ITaskObserver
{
    /// <summary>Handles one event.</summary>
    void OnTaskEvent(TaskEvent taskEvent);
}
