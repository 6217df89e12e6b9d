using System.Diagnostics;
using PipelineHost.Engine;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Cluster.Hosts;

/// <summary>The load of this process's task engine: admitted tasks against its slots, and the process's CPU and memory.</summary>
public sealed class EngineHostLoadSource(TaskManager tasks, EngineOptions options, TimeProvider time) : IHostLoadSource
{
    private readonly Lock _gate = new();
    private TimeSpan _lastCpu = CurrentCpu();
    private long _lastAt = time.GetTimestamp();

    /// <inheritdoc />
    public HostLoad Sample()
    {
        var used = tasks.QueueStats.Active;
        double cpu;
        lock (_gate)
        {
            var now = time.GetTimestamp();
            var total = CurrentCpu();
            var wall = time.GetElapsedTime(_lastAt, now);
            cpu = wall > TimeSpan.Zero ? Math.Round(100 * (total - _lastCpu) / wall / Environment.ProcessorCount, 1) : 0;
            (_lastCpu, _lastAt) = (total, now);
        }

        return new HostLoad(used, Math.Max(0, options.MaxConcurrentTasks - used), cpu, Environment.WorkingSet);
    }

    private static TimeSpan CurrentCpu()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }
}
