using System.Diagnostics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Pipelines.Runtime;

namespace PipelineHost.Engine.Diagnostics;

/// <summary>
/// The host's spans (<see cref="PipelineTracing"/>): a task from <c>execute</c> to its end, its launch, and each
/// data-path object. They carry the short task id, never a token. Each span is started without becoming the
/// ambient <see cref="Activity.Current"/>, so work that merely happens on the same thread is not parented to it.
/// </summary>
internal static class TaskTracing
{
    public static Activity? StartTask(PipelineTask task)
    {
        var span = Start(PipelineTracing.TaskSpan, null);
        span?.SetTag("pipelinehost.task.id", task.Id)
            .SetTag("pipelinehost.task.provider", task.Identity.Provider)
            .SetTag("pipelinehost.task.type", task.Type.ToString());
        return span;
    }

    /// <summary>A span under <paramref name="parent"/> (the ambient activity when null); null when nobody listens.</summary>
    public static Activity? Start(string name, Activity? parent)
    {
        if (!PipelineTracing.Source.HasListeners())
        {
            return null;
        }

        var ambient = Activity.Current;
        var span = parent is null
            ? PipelineTracing.Source.StartActivity(name, ActivityKind.Internal)
            : PipelineTracing.Source.StartActivity(name, ActivityKind.Internal, parent.Context);
        Activity.Current = ambient;
        return span;
    }

    public static void Fail(Activity? span, string? message) => span?.SetStatus(ActivityStatusCode.Error, message);

    /// <summary>Ends the task's spans with how it ended.</summary>
    public static void End(PipelineTask task, TaskState state, ExitReason reason, string message)
    {
        if (task.LaunchSpan is { } launch)
        {
            Fail(launch, "The task ended before it was running");
            launch.Dispose();
            task.LaunchSpan = null;
        }

        if (task.Span is not { } span)
        {
            return;
        }

        span.SetTag("pipelinehost.task.state", state.ToString()).SetTag("pipelinehost.task.exit_reason", reason.ToString());
        if (reason == ExitReason.Failed)
        {
            Fail(span, message);
        }

        span.Dispose();
    }
}
