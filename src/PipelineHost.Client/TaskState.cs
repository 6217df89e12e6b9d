namespace PipelineHost.Client;

/// <summary>A task's state; the integers are the wire values of TASK_STATUS <c>state</c>.</summary>
public enum TaskState
{
    /// <summary>Created, not started (also a "Not running" placeholder).</summary>
    None = 0,

    /// <summary>Validating and starting its worker.</summary>
    Starting = 1,

    /// <summary>The worker is up and loading the pipeline.</summary>
    Initializing = 2,

    /// <summary>The source accepts data (or, for a batch source, is processing).</summary>
    Running = 3,

    /// <summary>The worker ended or is being stopped; cleaning up.</summary>
    Stopping = 4,

    /// <summary>Final: the pipeline finished by itself without error.</summary>
    Completed = 5,

    /// <summary>Final: stopped by someone, or failed.</summary>
    Cancelled = 6,
}

/// <summary>Helpers on <see cref="TaskState"/>.</summary>
public static class TaskStateExtensions
{
    /// <summary>True for <see cref="TaskState.Completed"/> and <see cref="TaskState.Cancelled"/>: the task will not change again.</summary>
    public static bool IsTerminal(this TaskState state) => state is TaskState.Completed or TaskState.Cancelled;

    /// <summary>
    /// The state's one written name, as the protocol spells it (<c>NONE</c>, <c>STARTING</c>, <c>INITIALIZING</c>,
    /// <c>RUNNING</c>, <c>STOPPING</c>, <c>COMPLETED</c>, <c>CANCELLED</c>); what to show a person.
    /// </summary>
    public static string ToWireName(this TaskState state) => state switch
    {
        TaskState.None => "NONE",
        TaskState.Starting => "STARTING",
        TaskState.Initializing => "INITIALIZING",
        TaskState.Running => "RUNNING",
        TaskState.Stopping => "STOPPING",
        TaskState.Completed => "COMPLETED",
        TaskState.Cancelled => "CANCELLED",
        _ => ((int)state).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
