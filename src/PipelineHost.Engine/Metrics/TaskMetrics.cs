using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The resource metrics of one task: current, peak and average CPU, memory and GPU memory of its process tree.
/// CPU percentages are of the whole machine (0..100) except <see cref="AvgCpuPercent"/>, which like the reference is
/// a percentage of ONE core and can exceed 100. Memory figures are in MiB.
/// </summary>
public readonly record struct TaskMetrics(
    double CpuPercent,
    double CpuMemoryMb,
    double GpuMemoryMb,
    double PeakCpuPercent,
    double PeakCpuMemoryMb,
    double PeakGpuMemoryMb,
    double AvgCpuPercent,
    double AvgCpuMemoryMb,
    double AvgGpuMemoryMb)
{
    /// <summary>All figures zero: before the first sample and after the task ended.</summary>
    public static TaskMetrics Zero => default;

    /// <summary>The wire form, with the reference's snake_case names.</summary>
    public JsonObject ToJson() => new()
    {
        ["cpu_percent"] = CpuPercent,
        ["cpu_memory_mb"] = CpuMemoryMb,
        ["gpu_memory_mb"] = GpuMemoryMb,
        ["peak_cpu_percent"] = PeakCpuPercent,
        ["peak_cpu_memory_mb"] = PeakCpuMemoryMb,
        ["peak_gpu_memory_mb"] = PeakGpuMemoryMb,
        ["avg_cpu_percent"] = AvgCpuPercent,
        ["avg_cpu_memory_mb"] = AvgCpuMemoryMb,
        ["avg_gpu_memory_mb"] = AvgGpuMemoryMb,
    };
}
