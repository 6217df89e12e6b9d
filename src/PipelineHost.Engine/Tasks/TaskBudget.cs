using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// A task's budgets (issue 20): <c>maxTokens</c> (billing tokens, status <c>tokens.total</c>), <c>maxCpuSeconds</c>
/// (CPU time of the worker and its children), <c>maxMemoryMb</c> (resident memory); each null when not limited.
/// A task that exceeds one is stopped with <c>exitReason</c> <c>budget</c>. Every field of status <c>budget</c> is
/// written here.
/// </summary>
public sealed record TaskBudget(double? MaxTokens, double? MaxCpuSeconds, double? MaxMemoryMb)
{
    /// <summary>The names, as arguments and pipeline fields.</summary>
    public static readonly string[] Names = ["maxTokens", "maxCpuSeconds", "maxMemoryMb"];

    /// <summary>
    /// Reads the budgets: each from the argument when given (<paramref name="arguments"/>), else the pipeline's
    /// top-level field of the same name (the pipeline-level default); null when none is set.
    /// </summary>
    /// <exception cref="TaskException">A value that is not a positive number.</exception>
    public static TaskBudget? Read(IReadOnlyDictionary<string, JsonNode?> arguments, JsonObject pipeline)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(pipeline);
        var values = Names.Select(name => arguments.TryGetValue(name, out var given) && given is not null
            ? Positive(given, $"Argument '{name}'")
            : Positive(pipeline[name], $"Pipeline field '{name}'")).ToArray();
        return values.All(v => v is null) ? null : new TaskBudget(values[0], values[1], values[2]);
    }

    /// <summary>The first budget <paramref name="usage"/> exceeds, as an exit message naming it and the value reached; null when within all.</summary>
    public string? Exceeded(TaskBudgetUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return MaxTokens is { } tokens && usage.Tokens > tokens ? Message("maxTokens", tokens, usage.Tokens, "tokens")
            : MaxCpuSeconds is { } cpu && usage.CpuSeconds > cpu ? Message("maxCpuSeconds", cpu, usage.CpuSeconds, "CPU seconds")
            : MaxMemoryMb is { } memory && usage.MemoryMb > memory ? Message("maxMemoryMb", memory, usage.MemoryMb, "MiB of memory")
            : null;
    }

    /// <summary>Status <c>budget</c>: the limits (null when not set) and what is used: <c>{maxTokens, maxCpuSeconds, maxMemoryMb, used:{tokens, cpuSeconds, memoryMb}}</c>.</summary>
    public JsonObject ToJson(TaskBudgetUsage usage)
    {
        ArgumentNullException.ThrowIfNull(usage);
        return new JsonObject
        {
            ["maxTokens"] = MaxTokens,
            ["maxCpuSeconds"] = MaxCpuSeconds,
            ["maxMemoryMb"] = MaxMemoryMb,
            ["used"] = new JsonObject
            {
                ["tokens"] = Math.Round(usage.Tokens, 3),
                ["cpuSeconds"] = Math.Round(usage.CpuSeconds, 3),
                ["memoryMb"] = Math.Round(usage.MemoryMb, 1),
            },
        };
    }

    private static string Message(string name, double limit, double reached, string unit) => string.Create(
        CultureInfo.InvariantCulture,
        $"Stopped: budget {name} exceeded ({reached:0.###} {unit} used, limit {limit:0.###})");

    private static double? Positive(JsonNode? node, string what)
    {
        if (node is null || node.GetValueKind() == JsonValueKind.Null)
        {
            return null;
        }

        return node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double value) && double.IsFinite(value) && value > 0
            ? value
            : throw new TaskException($"{what} must be a positive number.");
    }
}

/// <summary>What a task has used of its budgets: billing tokens, CPU seconds, and its peak resident memory (MiB).</summary>
public sealed record TaskBudgetUsage(double Tokens, double CpuSeconds, double MemoryMb)
{
    /// <summary>Nothing yet.</summary>
    public static readonly TaskBudgetUsage None = new(0, 0, 0);

    /// <summary>The usage the sampler has measured so far.</summary>
    internal static TaskBudgetUsage Of(TaskMetricsSampler? sampler) => sampler is null
        ? None
        : new TaskBudgetUsage(sampler.Tokens.Total, sampler.CpuSeconds, sampler.Metrics.PeakCpuMemoryMb);
}
