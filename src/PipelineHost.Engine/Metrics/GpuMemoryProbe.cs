namespace PipelineHost.Engine.Metrics;

/// <summary>Picks the GPU memory probe for the running machine.</summary>
public static class GpuMemoryProbe
{
    /// <summary>
    /// An <see cref="NvmlGpuMemoryProbe"/> when NVML loads and finds a GPU (this loads it now), else
    /// <see cref="NoGpuProbe.Instance"/>.
    /// </summary>
    public static IGpuMemoryProbe CreateDefault()
    {
        var nvml = new NvmlGpuMemoryProbe();
        if (nvml.IsAvailable)
            return nvml;
        nvml.Dispose();
        return NoGpuProbe.Instance;
    }
}
