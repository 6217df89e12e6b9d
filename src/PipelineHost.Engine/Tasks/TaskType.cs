namespace PipelineHost.Engine.Tasks;

/// <summary>What kind of run a task is (status field <c>taskType</c>; Beam's task kinds, DriveQuant's push-failed task).</summary>
public enum TaskType
{
    /// <summary>A service-style pipeline that runs until it is stopped (a webhook source).</summary>
    Pipeline,

    /// <summary>A pipeline whose source reads a known set of objects and completes by itself.</summary>
    Batch,

    /// <summary>A task that reprocesses the failed items of an earlier task.</summary>
    Retry,
}

/// <summary>Wire names of <see cref="TaskType"/>.</summary>
public static class TaskTypeNames
{
    /// <summary>The lowercase name written in <c>taskType</c>.</summary>
    public static string ToWire(this TaskType type) => type switch
    {
        TaskType.Batch => "batch",
        TaskType.Retry => "retry",
        _ => "pipeline",
    };
}
