namespace PipelineHost.Engine.Tasks;

/// <summary>RocketRide's task states; the integers are on the wire and must never change.</summary>
public enum TaskState
{
    /// <summary>Created (or queued), not started.</summary>
    None = 0,
    /// <summary>Validating, resolving, spawning the worker.</summary>
    Starting = 1,
    /// <summary>The worker is up and loading the pipeline.</summary>
    Initializing = 2,
    /// <summary>The source accepts data.</summary>
    Running = 3,
    /// <summary>The worker ended or is being stopped; cleaning up.</summary>
    Stopping = 4,
    /// <summary>Final: the worker exited 0 and nobody stopped it.</summary>
    Completed = 5,
    /// <summary>Final: stopped by someone, or the worker failed.</summary>
    Cancelled = 6,
}

/// <summary>The one place that says which state changes are allowed.</summary>
public static class TaskStateMachine
{
    /// <summary>True for COMPLETED and CANCELLED.</summary>
    public static bool IsTerminal(this TaskState state) => state is TaskState.Completed or TaskState.Cancelled;

    /// <summary>
    /// True when a task may move from <paramref name="from"/> to <paramref name="to"/>: forward along
    /// NONE→STARTING→INITIALIZING→RUNNING→STOPPING→COMPLETED|CANCELLED, where a start that fails may jump to
    /// STOPPING, and a task that never started may be cancelled straight from NONE (queue expiry). A restart
    /// takes a task from STOPPING back to NONE.
    /// </summary>
    public static bool CanMove(TaskState from, TaskState to) => (from, to) switch
    {
        (TaskState.None, TaskState.Starting) => true,
        (TaskState.None, TaskState.Cancelled) => true,
        (TaskState.Starting, TaskState.Initializing or TaskState.Stopping) => true,
        (TaskState.Initializing, TaskState.Running or TaskState.Stopping) => true,
        (TaskState.Running, TaskState.Stopping) => true,
        (TaskState.Stopping, TaskState.Completed or TaskState.Cancelled or TaskState.None) => true,
        _ => false,
    };
}
