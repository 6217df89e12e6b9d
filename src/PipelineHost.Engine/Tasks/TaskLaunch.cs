namespace PipelineHost.Engine.Tasks;

/// <summary>What <see cref="TaskManager.LaunchAsync"/> returned with.</summary>
/// <param name="Identity">The task's identity (new, the existing one with <c>useExisting</c>, or the first one of an <c>idempotencyKey</c>).</param>
/// <param name="QueuePosition">Its 1-based queue position when the call returned before it could start; 0 when it returned RUNNING.</param>
public sealed record TaskLaunch(TaskIdentity Identity, int QueuePosition)
{
    /// <summary>Launched or found in memory.</summary>
    public TaskLaunch(PipelineTask task, int queuePosition)
        : this((task ?? throw new ArgumentNullException(nameof(task))).Identity, queuePosition) => Task = task;

    /// <summary>The task in memory; null only for a replayed <c>idempotencyKey</c> whose task is left only in the history.</summary>
    public PipelineTask? Task { get; }

    /// <summary>
    /// True when an <c>idempotencyKey</c> already named a task (same pipeline, within the window): nothing was
    /// started, this is the first task.
    /// </summary>
    public bool Replayed { get; init; }

    /// <summary>True when the call returned with the task still waiting for a slot.</summary>
    public bool Queued => QueuePosition > 0;
}
