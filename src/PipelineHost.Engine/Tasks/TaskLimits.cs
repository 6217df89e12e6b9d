using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// The one rule for a task's <c>timeout</c> and <c>expires</c> (seconds; 0 or absent = no limit), wherever they
/// come from: <c>execute</c> arguments, <c>POST /task</c> query parameters, or the pipeline's top-level fields.
/// </summary>
public static class TaskLimits
{
    /// <summary>
    /// The largest value accepted: 30 days. Timers cannot be armed much further out (about 49 days), and a limit
    /// that far away is no limit a caller means.
    /// </summary>
    public const double MaxSeconds = 30 * 24 * 3600;

    /// <summary>A JSON value as a limit: absent, null or 0 → null; a number from 0 to <see cref="MaxSeconds"/>; anything else fails.</summary>
    /// <param name="node">The value.</param>
    /// <param name="what">How the error names it, e.g. <c>Argument 'timeout'</c>.</param>
    /// <exception cref="TaskException">Not a number, negative or too large.</exception>
    public static TimeSpan? FromJson(JsonNode? node, string what)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return null;
        }

        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double seconds)
            ? FromSeconds(seconds, what)
            : throw Invalid(what);
    }

    /// <summary>A query-string value as a limit (same rule as <see cref="FromJson"/>); empty → null.</summary>
    /// <exception cref="TaskException">Not a number, negative or too large.</exception>
    public static TimeSpan? FromText(string? text, string what)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
            ? FromSeconds(seconds, what)
            : throw Invalid(what);
    }

    /// <summary>Checks a limit given as a <see cref="TimeSpan"/> (the SDK's way): null or zero → null.</summary>
    /// <exception cref="TaskException">Negative or too large.</exception>
    public static TimeSpan? Check(TimeSpan? value, string what) =>
        value is { } v ? FromSeconds(v.TotalSeconds, what) : null;

    private static TimeSpan? FromSeconds(double seconds, string what) =>
        double.IsFinite(seconds) && seconds >= 0 && seconds <= MaxSeconds
            ? seconds == 0 ? null : TimeSpan.FromSeconds(seconds)
            : throw Invalid(what);

    private static TaskException Invalid(string what) => new(string.Create(
        CultureInfo.InvariantCulture,
        $"{what} must be a number of seconds from 0 to {MaxSeconds} (0 = no limit)."));
}
