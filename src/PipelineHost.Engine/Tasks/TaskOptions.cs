namespace PipelineHost.Engine.Tasks;

/// <summary>How a task runs, fixed at <c>execute</c>.</summary>
/// <param name="Threads">Data pipes that may be open at once.</param>
/// <param name="Ttl">Idle time after which the task is stopped; <see cref="TimeSpan.Zero"/> means never.</param>
/// <param name="TraceLevel">RocketRide's <c>pipelineTraceLevel</c>; enables flow events when set.</param>
public sealed record TaskOptions(int Threads, TimeSpan Ttl, string? TraceLevel)
{
    /// <summary>The task's retry policy: the <c>execute</c> argument, else the pipeline's <c>retry</c>; null: none.</summary>
    public Pipelines.Runtime.RetryPolicy? Retry { get; init; }

    /// <summary>RocketRide's defaults over the WebSocket.</summary>
    public static readonly TaskOptions Default = new(64, TimeSpan.FromSeconds(900), null);

    /// <summary>How long the task may run, counted from when it left the queue (<c>startedAt</c>); zero means no limit.</summary>
    public TimeSpan Timeout { get; init; }

    /// <summary>How long the task may wait in the queue before it is removed unstarted; zero means no limit.</summary>
    public TimeSpan Expires { get; init; }

    /// <summary>The task's resource budgets (issue 20); null: none.</summary>
    public TaskBudget? Budget { get; init; }
    /// <summary>How many objects the caller will send (<c>expectedCount</c>): the total for progress when the source knows none.</summary>
    public long? ExpectedCount { get; init; }
}
