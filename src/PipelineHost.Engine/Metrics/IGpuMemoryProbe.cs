namespace PipelineHost.Engine.Metrics;

/// <summary>Reads the GPU memory used by a set of processes. Implementations are thread-safe and never throw.</summary>
public interface IGpuMemoryProbe
{
    /// <summary>True when GPU memory can be read at all; samplers skip collecting pids otherwise.</summary>
    bool IsAvailable { get; }

    /// <summary>GPU memory, in MiB, used by the given processes over all GPUs; 0 without a GPU or on any failure.</summary>
    double SampleMegabytes(IReadOnlyCollection<int> pids);
}
