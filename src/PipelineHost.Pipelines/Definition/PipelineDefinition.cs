using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Definition;

/// <summary>A data edge: this component reads <paramref name="Lane"/> from component <paramref name="From"/>.</summary>
public sealed record LaneInput(string Lane, string From);

/// <summary>A control edge (RocketRide's invoke edges: llm, tool…); kept for round trips, not executed.</summary>
public sealed record ControlInput(string ClassType, string From);

/// <summary>One component of a pipeline.</summary>
public sealed record ComponentDefinition(string Id, string Provider, string? Name, JsonObject Config, IReadOnlyList<LaneInput> Inputs, IReadOnlyList<ControlInput> Controls)
{
    /// <summary>The component's own retry policy (<c>retry</c> beside <c>config</c>): wins over the task's for failures here.</summary>
    public Runtime.RetryPolicy? Retry { get; init; }
}

/// <summary>A parsed, validated pipeline: components joined by lanes, with one source.</summary>
public sealed record PipelineDefinition(
    IReadOnlyList<ComponentDefinition> Components,
    string Source,
    string ProjectId,
    int Version,
    string? Name,
    string? Description)
{
    /// <summary>The source component.</summary>
    public ComponentDefinition SourceComponent => Components.First(c => c.Id == Source);

    /// <summary>The pipeline's top-level <c>retry</c> policy; an <c>execute</c> argument wins over it.</summary>
    public Runtime.RetryPolicy? Retry { get; init; }
}
