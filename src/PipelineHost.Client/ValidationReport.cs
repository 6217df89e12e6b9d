using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>One finding of <c>rrext_validate</c>.</summary>
/// <param name="Message">What is wrong.</param>
/// <param name="Id">The component it concerns, when there is one.</param>
public sealed record ValidationIssue(string Message, string? Id)
{
    internal static IReadOnlyList<ValidationIssue> ListFrom(JsonObject body, string name)
    {
        if (body[name] is not JsonArray array)
        {
            return [];
        }

        var issues = new List<ValidationIssue>(array.Count);
        foreach (var item in array)
        {
            issues.Add(item is JsonObject obj
                ? new ValidationIssue(JsonFields.String(obj, "message") ?? obj.ToJsonString(), JsonFields.String(obj, "id"))
                : new ValidationIssue(item is JsonValue v && v.TryGetValue(out string? s) ? s : item?.ToJsonString() ?? string.Empty, null));
        }

        return issues;
    }
}

/// <summary>The result of <c>rrext_validate</c>: an invalid pipeline is a report with errors, not a failed call.</summary>
/// <param name="Errors">Problems that would stop the pipeline from running.</param>
/// <param name="Warnings">Problems that would not.</param>
/// <param name="Pipeline">The pipeline as the server understood it (source filled in, defaults applied).</param>
public sealed record ValidationReport(IReadOnlyList<ValidationIssue> Errors, IReadOnlyList<ValidationIssue> Warnings, JsonObject? Pipeline)
{
    /// <summary>True when there are no errors.</summary>
    public bool IsValid => Errors.Count == 0;

    /// <summary>
    /// What the server accepted but does not use (RocketRide fields such as <c>ui</c> or <c>config.actions</c>):
    /// information, never a reason the pipeline fails.
    /// </summary>
    public IReadOnlyList<ValidationIssue> Notes { get; init; } = [];

    /// <summary>The body as received.</summary>
    public JsonObject Raw { get; init; } = [];

    internal static ValidationReport FromJson(JsonObject body) =>
        new(ValidationIssue.ListFrom(body, "errors"), ValidationIssue.ListFrom(body, "warnings"), JsonFields.Object(body, "pipeline"))
        {
            Notes = ValidationIssue.ListFrom(body, "notes"),
            Raw = body,
        };
}
