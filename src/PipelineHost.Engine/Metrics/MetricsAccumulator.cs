namespace PipelineHost.Engine.Metrics;

/// <summary>
/// Accumulates the samples of one task into its metrics and tokens. Pure: it has no clock and does no I/O, the
/// time comes from the snapshots. Not thread-safe; <see cref="TaskMetricsSampler"/> serialises access.
/// </summary>
/// <remarks>
/// Per sample, with dt the wall seconds between the two snapshots: raw CPU = Δ CPU seconds / dt × 100 (percent
/// of one core); cpu_percent = raw / logical CPUs, clamped to 0..100; cpu_memory_mb = tree RSS in MiB. The usage
/// integrals are CPU seconds, MiB·seconds of memory and of GPU memory, and the duration. Peaks are running maxima
/// of the current values; averages are integral / duration (avg_cpu_percent un-normalised). Tokens apply the
/// <see cref="TokenRates"/> to the integrals, to the worker's "gpu" timer and to its custom counters.
/// </remarks>
public sealed class MetricsAccumulator
{
    /// <summary>The name of the worker timer, in milliseconds, that GPU inference tokens are charged on.</summary>
    public const string GpuTimerName = "gpu";

    private const double SecondsPerHour = 3600d;
    private const double MegabytesPerGigabyte = 1024d;
    private const double MillisecondsPerSecond = 1000d;

    private readonly double _cpuRate;
    private readonly double _memoryRate;
    private readonly double _gpuMemoryRate;
    private readonly double _gpuInferenceRate;
    private readonly string[] _customNames;
    private readonly double[] _customRates;
    private readonly double[] _customCounts;
    private readonly bool[] _customReported;

    private double _cpuPercent;
    private double _memoryMb;
    private double _gpuMb;
    private double _peakCpuPercent;
    private double _peakMemoryMb;
    private double _peakGpuMb;
    private double _gpuTimerMs;
    private TaskTokens? _tokens;

    /// <summary>An accumulator with the default rates and the machine's logical CPU count.</summary>
    public MetricsAccumulator()
        : this(new TokenRates())
    {
    }

    /// <summary>An accumulator with the given rates (copied now) and logical CPU count (0: the machine's).</summary>
    public MetricsAccumulator(TokenRates rates, int logicalCpuCount = 0)
    {
        ArgumentNullException.ThrowIfNull(rates);
        ArgumentOutOfRangeException.ThrowIfNegative(logicalCpuCount);
        LogicalCpuCount = logicalCpuCount == 0 ? Environment.ProcessorCount : logicalCpuCount;
        _cpuRate = CheckRate(rates.CpuUtilizationPerVcpuHour, nameof(rates.CpuUtilizationPerVcpuHour));
        _memoryRate = CheckRate(rates.CpuMemoryPerGbHour, nameof(rates.CpuMemoryPerGbHour));
        _gpuMemoryRate = CheckRate(rates.GpuMemoryPerGbHour, nameof(rates.GpuMemoryPerGbHour));
        _gpuInferenceRate = CheckRate(rates.GpuInferencePerSecond, nameof(rates.GpuInferencePerSecond));

        _customNames = new string[rates.Custom.Count];
        rates.Custom.Keys.CopyTo(_customNames, 0);
        Array.Sort(_customNames, StringComparer.Ordinal);
        _customRates = new double[_customNames.Length];
        for (var i = 0; i < _customNames.Length; i++)
            _customRates[i] = CheckRate(rates.Custom[_customNames[i]], _customNames[i]);
        _customCounts = new double[_customNames.Length];
        _customReported = new bool[_customNames.Length];
    }

    /// <summary>The CPU count that <c>cpu_percent</c> is normalised by.</summary>
    public int LogicalCpuCount { get; }

    /// <summary>CPU seconds used by the tree over the sampled time.</summary>
    public double CpuSeconds { get; private set; }

    /// <summary>Integral of the tree's resident memory, in MiB·seconds.</summary>
    public double MemoryMbSeconds { get; private set; }

    /// <summary>Integral of the tree's GPU memory, in MiB·seconds.</summary>
    public double GpuMbSeconds { get; private set; }

    /// <summary>Wall seconds covered by the samples.</summary>
    public double DurationSeconds { get; private set; }

    /// <summary>True once <see cref="Finish"/> was called.</summary>
    public bool IsFinished { get; private set; }

    /// <summary>
    /// The current, peak and average figures. Once finished the current ones read zero (the process is gone)
    /// while the peaks and averages keep their final values, for the final status and the history.
    /// </summary>
    public TaskMetrics Metrics
    {
        get
        {
            var duration = DurationSeconds;
            return new TaskMetrics(
                IsFinished ? 0 : _cpuPercent,
                IsFinished ? 0 : _memoryMb,
                IsFinished ? 0 : _gpuMb,
                _peakCpuPercent,
                _peakMemoryMb,
                _peakGpuMb,
                duration > 0 ? CpuSeconds / duration * 100d : 0,
                duration > 0 ? MemoryMbSeconds / duration : 0,
                duration > 0 ? GpuMbSeconds / duration : 0);
        }
    }

    /// <summary>The tokens so far; frozen once finished.</summary>
    public TaskTokens Tokens => _tokens ??= ComputeTokens();

    /// <summary>
    /// Adds the interval between two snapshots of the task's tree and the GPU memory (MiB) read with the later
    /// one. An interval with no forward wall time is ignored; a drop in CPU time counts as no CPU. Ignored once
    /// finished.
    /// </summary>
    public void Add(ProcessSnapshot previous, ProcessSnapshot next, double gpuMb)
    {
        if (IsFinished)
            return;
        var dt = UsageCalculator.ElapsedSeconds(previous, next);
        if (dt <= 0)
            return;

        var rawCpu = UsageCalculator.CpuPercentOfOneCore(previous, next);
        var memoryMb = next.RssBytes > 0 ? UsageCalculator.ToMegabytes(next.RssBytes) : 0;
        gpuMb = double.IsFinite(gpuMb) && gpuMb > 0 ? gpuMb : 0;

        _cpuPercent = UsageCalculator.NormalizeCpuPercent(rawCpu, LogicalCpuCount);
        _memoryMb = memoryMb;
        _gpuMb = gpuMb;
        CpuSeconds += rawCpu * dt / 100d;
        MemoryMbSeconds += memoryMb * dt;
        GpuMbSeconds += gpuMb * dt;
        DurationSeconds += dt;
        _peakCpuPercent = Math.Max(_peakCpuPercent, _cpuPercent);
        _peakMemoryMb = Math.Max(_peakMemoryMb, memoryMb);
        _peakGpuMb = Math.Max(_peakGpuMb, gpuMb);
        _tokens = null;
    }

    /// <summary>
    /// Takes the worker's latest usage report: its cumulative timers in milliseconds (the "gpu" timer is billed as
    /// GPU inference) and its cumulative custom counters (those with a rate are billed). A report replaces the
    /// previous figures; a counter missing from it keeps its previous value. Negative or non-finite values are
    /// ignored, and so is any report once finished.
    /// </summary>
    public void SetReportedUsage(IReadOnlyDictionary<string, double> timersMs, IReadOnlyDictionary<string, double> counters)
    {
        ArgumentNullException.ThrowIfNull(timersMs);
        ArgumentNullException.ThrowIfNull(counters);
        if (IsFinished)
            return;
        if (timersMs.TryGetValue(GpuTimerName, out var gpuMs) && IsUsable(gpuMs))
            _gpuTimerMs = gpuMs;
        for (var i = 0; i < _customNames.Length; i++)
        {
            if (counters.TryGetValue(_customNames[i], out var count) && IsUsable(count))
            {
                _customCounts[i] = count;
                _customReported[i] = true;
            }
        }
        _tokens = null;
    }

    /// <summary>Ends the task: current figures read zero from now on; peaks, averages and tokens are frozen.</summary>
    public void Finish()
    {
        if (IsFinished)
            return;
        _tokens = ComputeTokens();
        IsFinished = true;
    }

    private TaskTokens ComputeTokens()
    {
        var cpu = UsageCalculator.RoundTokens(CpuSeconds / SecondsPerHour * _cpuRate);
        var memory = UsageCalculator.RoundTokens(MemoryMbSeconds / MegabytesPerGigabyte / SecondsPerHour * _memoryRate);
        var gpuMemory = UsageCalculator.RoundTokens(GpuMbSeconds / MegabytesPerGigabyte / SecondsPerHour * _gpuMemoryRate);
        var gpuInference = UsageCalculator.RoundTokens(_gpuTimerMs / MillisecondsPerSecond * _gpuInferenceRate);
        var sum = cpu + memory + gpuMemory + gpuInference;

        var custom = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < _customNames.Length; i++)
        {
            if (!_customReported[i])
                continue;
            var tokens = UsageCalculator.RoundTokens(_customCounts[i] * _customRates[i]);
            custom[_customNames[i]] = tokens;
            sum += tokens;
        }
        return new TaskTokens(cpu, memory, gpuMemory, gpuInference, custom.AsReadOnly(), UsageCalculator.RoundTokens(sum));
    }

    private static bool IsUsable(double value) => double.IsFinite(value) && value >= 0;

    private static double CheckRate(double rate, string name) => TokenRates.CheckRate(rate, name);
}
