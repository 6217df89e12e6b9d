using System.Diagnostics;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// The spans host and worker write, in one <see cref="ActivitySource"/> named <see cref="SourceName"/>. Nothing is
/// recorded unless a listener (OpenTelemetry, a test) samples the source.
/// </summary>
public static class PipelineTracing
{
    /// <summary>The source's name, for <c>AddSource</c>.</summary>
    public const string SourceName = "PipelineHost";

    /// <summary>A task, from <c>execute</c> to its final state.</summary>
    public const string TaskSpan = "pipelinehost.task";

    /// <summary>A task's launch: worker start or hand-over, and loading the pipeline, until RUNNING.</summary>
    public const string LaunchSpan = "pipelinehost.task.launch";

    /// <summary>One object on the data path, from its pipe's open to its close.</summary>
    public const string ObjectSpan = "pipelinehost.object";

    /// <summary>In the worker: one component handling one object.</summary>
    public const string ComponentSpan = "pipelinehost.component";

    /// <summary>The shared source (an <see cref="ActivitySource"/> is meant to live as long as the process).</summary>
    public static readonly ActivitySource Source = new(SourceName);
}
