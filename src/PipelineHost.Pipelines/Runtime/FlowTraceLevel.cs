namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// RocketRide's <c>pipelineTraceLevel</c>: how much an <c>apaevt_flow</c> record says. Off unless a task was
/// started with one of the non-<see cref="None"/> levels, and then only the worker of that task builds records.
/// </summary>
public enum FlowTraceLevel
{
    /// <summary>No flow records (the default; <c>"none"</c>).</summary>
    None = 0,

    /// <summary><c>begin</c>/<c>enter</c>/<c>leave</c>/<c>end</c> with the object's name, type and lanes.</summary>
    Metadata = 1,

    /// <summary>As metadata, and <c>end</c> carries the object's result (bounded).</summary>
    Summary = 2,

    /// <summary>As summary, and <c>enter</c> carries a bounded preview of the item entering the component.</summary>
    Full = 3,
}

/// <summary>The wire names of <see cref="FlowTraceLevel"/>.</summary>
public static class FlowTraceLevels
{
    /// <summary>
    /// Reads <c>pipelineTraceLevel</c>: <c>none</c>, <c>metadata</c>, <c>summary</c> or <c>full</c>, in any case;
    /// absent or empty is <see cref="FlowTraceLevel.None"/>.
    /// </summary>
    /// <exception cref="FormatException">Any other value.</exception>
    public static FlowTraceLevel Parse(string? value) => value?.Trim().ToUpperInvariant() switch
    {
        null or "" or "NONE" => FlowTraceLevel.None,
        "METADATA" => FlowTraceLevel.Metadata,
        "SUMMARY" => FlowTraceLevel.Summary,
        "FULL" => FlowTraceLevel.Full,
        _ => throw new FormatException("Argument 'pipelineTraceLevel' must be none, metadata, summary or full."),
    };

    /// <summary>The wire name; null for <see cref="FlowTraceLevel.None"/>.</summary>
    public static string? ToWire(this FlowTraceLevel level) => level switch
    {
        FlowTraceLevel.Metadata => "metadata",
        FlowTraceLevel.Summary => "summary",
        FlowTraceLevel.Full => "full",
        _ => null,
    };
}
