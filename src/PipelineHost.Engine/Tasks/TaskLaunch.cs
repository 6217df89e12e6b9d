namespace PipelineHost.Engine.Tasks;

/// <summary>What <see cref="TaskManager.LaunchAsync"/> returned with.</summary>
/// <param name="Task">The task (new, or the existing one with <c>useExisting</c>).</param>
/// <param name="QueuePosition">Its 1-based queue position when the call returned before it could start; 0 when it returned RUNNING.</param>
public sealed record TaskLaunch(PipelineTask Task, int QueuePosition)
{
    /// <summary>True when the call returned with the task still waiting for a slot.</summary>
    public bool Queued => QueuePosition > 0;
}
