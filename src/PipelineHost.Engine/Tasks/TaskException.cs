namespace PipelineHost.Engine.Tasks;

/// <summary>A task operation failed in a way the caller should be told about; the message is client-safe.</summary>
public class TaskException(string message) : Exception(message);

/// <summary>No task matches the token (or the caller may not see it).</summary>
public sealed class TaskNotFoundException(string message = TaskNotFoundException.NotRunning) : TaskException(message)
{
    /// <summary>RocketRide's message for an unknown task.</summary>
    public const string NotRunning = "Your pipeline is not running";
}

/// <summary>The caller's credential does not allow the operation (RocketRide's <c>Permission '…' denied</c>).</summary>
public sealed class PermissionDeniedException(string message) : TaskException(message);

/// <summary>A task lists no output with the name asked for (or its file is gone).</summary>
public sealed class TaskOutputNotFoundException(string name) : TaskException($"Output '{name}' not found");
