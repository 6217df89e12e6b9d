namespace PipelineHost.Engine.Tasks;

/// <summary>A task operation failed in a way the caller should be told about; the message is client-safe.</summary>
public class TaskException(string message) : Exception(message);

/// <summary>No task matches the token (or the caller may not see it).</summary>
public class TaskNotFoundException(string message = TaskNotFoundException.Unknown) : TaskException(message)
{
    /// <summary>RocketRide's message for an unknown task (kept as the start of <see cref="Unknown"/>: clients match on it).</summary>
    public const string NotRunning = "Your pipeline is not running";

    /// <summary>
    /// The answer for a token no task has, everywhere (WebSocket <c>success:false</c>, HTTP 404): never a status that
    /// looks like a task waiting to start.
    /// </summary>
    public const string Unknown = NotRunning + ": unknown task";
}

/// <summary>
/// The token named a task that has left the task history (issue 20): said with when it ended, not as unknown
/// (HTTP 410 Gone).
/// </summary>
public sealed class TaskExpiredException(DateTimeOffset endedAt) : TaskNotFoundException(
    $"Task expired: it ended at {TaskOutcome.IsoTime(endedAt)} and has left the task history")
{
    /// <summary>When the task ended.</summary>
    public DateTimeOffset EndedAt { get; } = endedAt;
}

/// <summary>The caller's credential does not allow the operation (RocketRide's <c>Permission '…' denied</c>).</summary>
public sealed class PermissionDeniedException(string message) : TaskException(message);

/// <summary>A task lists no output with the name asked for (or its file is gone).</summary>
public sealed class TaskOutputNotFoundException(string name) : TaskException($"Output '{name}' not found");
