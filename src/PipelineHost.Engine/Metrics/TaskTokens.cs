using System.Collections.ObjectModel;
using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The billing tokens of one task, each rounded to one decimal; <see cref="Total"/> is the rounded sum of the
/// rounded parts, custom ones included.
/// </summary>
public sealed record TaskTokens(
    double CpuUtilization,
    double CpuMemory,
    double GpuMemory,
    double GpuInference,
    IReadOnlyDictionary<string, double> Custom,
    double Total)
{
    /// <summary>No tokens.</summary>
    public static TaskTokens Zero { get; } = new(0, 0, 0, 0, ReadOnlyDictionary<string, double>.Empty, 0);

    /// <summary>The wire form, with the reference's snake_case names and <c>custom</c> as an object.</summary>
    public JsonObject ToJson()
    {
        var custom = new JsonObject();
        foreach (var (name, value) in Custom)
            custom[name] = value;
        return new JsonObject
        {
            ["cpu_utilization"] = CpuUtilization,
            ["cpu_memory"] = CpuMemory,
            ["gpu_memory"] = GpuMemory,
            ["gpu_inference"] = GpuInference,
            ["custom"] = custom,
            ["total"] = Total,
        };
    }
}
