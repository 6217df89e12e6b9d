namespace PipelineHost.Engine.Metrics;

/// <summary>The pure arithmetic behind the task metrics, shared by <see cref="MetricsAccumulator"/> and tests.</summary>
public static class UsageCalculator
{
    /// <summary>Bytes in one megabyte as the metrics count them (MiB).</summary>
    public const double BytesPerMegabyte = 1024d * 1024d;

    /// <summary>Wall seconds between two snapshots; 0 when the clock did not move forward.</summary>
    public static double ElapsedSeconds(ProcessSnapshot previous, ProcessSnapshot next)
    {
        var seconds = (next.Timestamp - previous.Timestamp).TotalSeconds;
        return seconds > 0 ? seconds : 0;
    }

    /// <summary>
    /// CPU used between two snapshots as a percentage of ONE core (200 means two cores fully busy). Returns 0 when
    /// no wall time passed, and 0 when the tree's CPU time went down (a process of the tree exited or restarted,
    /// taking its CPU time with it).
    /// </summary>
    public static double CpuPercentOfOneCore(ProcessSnapshot previous, ProcessSnapshot next)
    {
        var seconds = ElapsedSeconds(previous, next);
        if (seconds <= 0)
            return 0;
        var cpuSeconds = (next.CpuTime - previous.CpuTime).TotalSeconds;
        return cpuSeconds > 0 ? cpuSeconds / seconds * 100d : 0;
    }

    /// <summary>
    /// Turns a percentage of one core into a percentage of the whole machine: divided by the logical CPU count and
    /// clamped to 0..100.
    /// </summary>
    public static double NormalizeCpuPercent(double percentOfOneCore, int logicalCpuCount)
    {
        if (double.IsNaN(percentOfOneCore) || percentOfOneCore <= 0)
            return 0;
        var normalized = percentOfOneCore / Math.Max(1, logicalCpuCount);
        return Math.Min(normalized, 100d);
    }

    /// <summary>Bytes to megabytes (MiB).</summary>
    public static double ToMegabytes(long bytes) => bytes / BytesPerMegabyte;

    /// <summary>Rounds a token figure to one decimal, half to even like the reference's Python <c>round(x, 1)</c>.</summary>
    public static double RoundTokens(double value) => Math.Round(value, 1, MidpointRounding.ToEven);
}
