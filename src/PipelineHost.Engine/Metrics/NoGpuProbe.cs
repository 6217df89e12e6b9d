namespace PipelineHost.Engine.Metrics;

/// <summary>The GPU probe for machines without one: always 0.</summary>
public sealed class NoGpuProbe : IGpuMemoryProbe
{
    /// <summary>The shared instance.</summary>
    public static NoGpuProbe Instance { get; } = new();

    /// <inheritdoc />
    public bool IsAvailable => false;

    /// <inheritdoc />
    public double SampleMegabytes(IReadOnlyCollection<int> pids) => 0;
}
