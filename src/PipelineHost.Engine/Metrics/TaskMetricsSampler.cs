using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// Samples one task's process tree (its worker and all descendants) on a timer, every 250 ms by default, and
/// accumulates the task's metrics and tokens. One per running task.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Start"/> takes a baseline snapshot and starts a timer from the <see cref="TimeProvider"/>, so tests
/// can drive it with a manual clock. Each tick samples the tree (and, when the GPU probe is available, the GPU
/// memory of the tree's pids), adds the interval to the <see cref="MetricsAccumulator"/> and then calls
/// <c>onSample</c>. A tick that finds the previous one still running is skipped. Once the root process is gone,
/// ticks do nothing (its pid may be reused). Probe or callback failures are logged and the sampling goes on.
/// </para>
/// <para>
/// <see cref="StopAsync"/> stops the timer, takes a final sample, then finishes the accumulator: current figures read
/// zero, peaks, averages and tokens are frozen; <c>onSample</c> is called once more so the final state can be published.
/// </para>
/// <para>
/// <see cref="Metrics"/>, <see cref="Tokens"/> and <see cref="SetReportedUsage"/> are thread-safe. A tick allocates
/// nothing itself beyond what the probes need. The probes are not owned: they may be shared between samplers.
/// </para>
/// </remarks>
public sealed class TaskMetricsSampler : IAsyncDisposable
{
    private readonly Lock _gate = new();       // the accumulator and the state
    private readonly Lock _sampleGate = new(); // one sample at a time: baseline, ticks, final sample
    private readonly IProcessTreeProbe _processProbe;
    private readonly IGpuMemoryProbe _gpuProbe;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _interval;
    private readonly Action? _onSample;
    private readonly ILogger? _logger;
    private readonly MetricsAccumulator _accumulator;
    private readonly List<int> _treePids = [];
    private ProcessSnapshot? _previous;
    private bool _rootGone;
    private bool _failureLogged;
    private ITimer? _timer;
    private State _state;

    /// <summary>Creates a sampler; nothing is read until <see cref="Start"/>.</summary>
    /// <param name="rootPid">The task's worker process.</param>
    /// <param name="processProbe">Reads the process tree; may be shared.</param>
    /// <param name="gpuProbe">Reads GPU memory; may be shared.</param>
    /// <param name="timeProvider">The clock whose timer drives the sampling.</param>
    /// <param name="interval">Time between samples; <see cref="DefaultInterval"/> in the reference.</param>
    /// <param name="rates">The token rates (copied now).</param>
    /// <param name="onSample">Called after each sample and once after <see cref="StopAsync"/>; on the timer's thread.</param>
    /// <param name="logicalCpuCount">The CPU count cpu_percent is normalised by; 0 for the machine's.</param>
    /// <param name="logger">Where probe and callback failures go.</param>
    public TaskMetricsSampler(
        int rootPid,
        IProcessTreeProbe processProbe,
        IGpuMemoryProbe gpuProbe,
        TimeProvider timeProvider,
        TimeSpan interval,
        TokenRates rates,
        Action? onSample = null,
        int logicalCpuCount = 0,
        ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rootPid);
        ArgumentNullException.ThrowIfNull(processProbe);
        ArgumentNullException.ThrowIfNull(gpuProbe);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        RootPid = rootPid;
        _processProbe = processProbe;
        _gpuProbe = gpuProbe;
        _timeProvider = timeProvider;
        _interval = interval;
        _onSample = onSample;
        _logger = logger;
        _accumulator = new MetricsAccumulator(rates, logicalCpuCount);
    }

    private enum State
    {
        Created,
        Running,
        Stopped,
    }

    /// <summary>The reference's sampling interval, 250 ms.</summary>
    public static TimeSpan DefaultInterval { get; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The task's worker process.</summary>
    public int RootPid { get; }

    /// <summary>True between <see cref="Start"/> and <see cref="StopAsync"/>.</summary>
    public bool IsRunning
    {
        get
        {
            lock (_gate)
                return _state == State.Running;
        }
    }

    /// <summary>The current metrics; zero before the first interval; after <see cref="StopAsync"/> the current figures are zero and peaks and averages final.</summary>
    public TaskMetrics Metrics
    {
        get
        {
            lock (_gate)
                return _accumulator.Metrics;
        }
    }

    /// <summary>CPU seconds the task's processes used so far (for <c>maxCpuSeconds</c>).</summary>
    public double CpuSeconds
    {
        get
        {
            lock (_gate)
                return _accumulator.CpuSeconds;
        }
    }

    /// <summary>The tokens so far; frozen after <see cref="StopAsync"/>.</summary>
    public TaskTokens Tokens
    {
        get
        {
            lock (_gate)
                return _accumulator.Tokens;
        }
    }

    /// <summary>Passes the worker's latest timers (ms) and counters to the accumulator; see <see cref="MetricsAccumulator.SetReportedUsage"/>.</summary>
    public void SetReportedUsage(IReadOnlyDictionary<string, double> timersMs, IReadOnlyDictionary<string, double> counters)
    {
        lock (_gate)
            _accumulator.SetReportedUsage(timersMs, counters);
    }

    /// <summary>Takes the baseline snapshot and starts the timer. Once only.</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_state != State.Created)
                throw new InvalidOperationException("The sampler was already started.");
            _state = State.Running;
        }

        lock (_sampleGate)
        {
            try
            {
                SampleOnce(); // the baseline; if it fails, the first tick takes it
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFailure(ex);
            }
        }

        ITimer? timer = _timeProvider.CreateTimer(static state => ((TaskMetricsSampler)state!).OnTick(), this, _interval, _interval);
        lock (_gate)
        {
            if (_state == State.Running)
            {
                _timer = timer;
                timer = null;
            }
        }
        timer?.Dispose(); // stopped meanwhile
    }

    /// <summary>
    /// Stops the timer, takes a final sample and finishes: current figures zero, peaks, averages and tokens frozen. Idempotent; also valid
    /// without <see cref="Start"/>.
    /// </summary>
    public async Task StopAsync()
    {
        ITimer? timer;
        bool wasRunning;
        lock (_gate)
        {
            if (_state == State.Stopped)
                return;
            wasRunning = _state == State.Running;
            _state = State.Stopped;
            timer = _timer;
            _timer = null;
        }

        if (timer is not null)
            await timer.DisposeAsync().ConfigureAwait(false); // a system timer's DisposeAsync waits for a running tick

        if (wasRunning)
        {
            lock (_sampleGate)
            {
                try
                {
                    SampleOnce();
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogFailure(ex);
                }
            }
        }

        lock (_gate)
            _accumulator.Finish();
        NotifySample();
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public ValueTask DisposeAsync() => new(StopAsync());

    private void OnTick()
    {
        if (!_sampleGate.TryEnter())
            return; // the previous tick is still sampling
        bool sampled;
        try
        {
            sampled = SampleOnce();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailure(ex);
            return;
        }
        finally
        {
            _sampleGate.Exit();
        }
        if (sampled)
            NotifySample();
    }

    /// <summary>Reads the tree and adds the interval since the previous reading. Under <see cref="_sampleGate"/>.</summary>
    private bool SampleOnce()
    {
        if (_rootGone)
            return false;

        List<int>? pids = null;
        if (_gpuProbe.IsAvailable)
        {
            _treePids.Clear();
            pids = _treePids;
        }
        var next = _processProbe.Sample(RootPid, pids);
        if (next is not { } snapshot)
        {
            _rootGone = true;
            return false;
        }
        var gpuMb = pids is null ? 0 : _gpuProbe.SampleMegabytes(pids);

        var previous = _previous;
        _previous = snapshot;
        if (previous is not { } start)
            return false;
        lock (_gate)
        {
            if (_accumulator.IsFinished)
                return false;
            _accumulator.Add(start, snapshot, gpuMb);
        }
        return true;
    }

    private void NotifySample()
    {
        if (_onSample is null)
            return;
        try
        {
            _onSample();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailure(ex);
        }
    }

    private void LogFailure(Exception exception)
    {
        if (_logger is null)
            return;
        var first = !_failureLogged;
        _failureLogged = true;
        _logger.Log(first ? LogLevel.Warning : LogLevel.Debug, new EventId(LogEventIds.MetricsSamplingFailed, nameof(LogEventIds.MetricsSamplingFailed)), exception, "Metrics sampling failed for the task process {Pid}", RootPid);
    }
}
