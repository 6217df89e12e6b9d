using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Definition;

namespace PipelineHost.Pipelines.Validation;

/// <summary>One finding, optionally tied to a component.</summary>
public sealed record ValidationIssue(string Message, string? ComponentId = null)
{
    /// <summary>The wire form <c>{message, id?}</c>.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject { ["message"] = Message };
        if (ComponentId is not null)
        {
            obj["id"] = ComponentId;
        }

        return obj;
    }
}

/// <summary>The outcome of validating a pipeline: findings, the normalised pipeline and, when valid, its definition.</summary>
public sealed record ValidationResult(IReadOnlyList<ValidationIssue> Errors, IReadOnlyList<ValidationIssue> Warnings, JsonObject Normalized)
{
    /// <summary>The parsed definition; null when there are errors.</summary>
    public PipelineDefinition? Definition { get; init; }

    /// <summary>Fields accepted but not used (RocketRide editor and engine settings): never errors.</summary>
    public IReadOnlyList<ValidationIssue> Notes { get; init; } = [];

    /// <summary>True when there are no errors.</summary>
    public bool IsValid => Errors.Count == 0;
}
