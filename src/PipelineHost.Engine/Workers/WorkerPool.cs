using System.ComponentModel;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Workers;

/// <summary>
/// Keeps up to <see cref="Size"/> worker processes started and warmed up ahead of tasks, so that a task's start
/// skips process start, runtime start and the JIT of the worker's start path.
/// </summary>
/// <remarks>
/// <para>
/// A worker goes to exactly one task and never comes back: whatever a task leaves in its process (statics, files
/// it opened, environment) cannot reach the next task. <see cref="TryTake"/> hands the worker over with its
/// events and output going to the task from then on; the caller owns it (stops and disposes it) from there.
/// </para>
/// <para>
/// Pool workers are not tasks: they are in no task list, count toward no limit on running work and have no
/// metrics sampler. One loop keeps the pool full, one worker at a time, so refilling never competes with itself
/// for the machine. A worker that fails to start or warm up, or dies while idle, counts as a failure: the first is
/// replaced at once, the next ones after <see cref="InitialBackoff"/> doubling up to <see cref="MaxBackoff"/>, so a
/// broken worker binary does not spin. A worker handed to a task resets the count.
/// </para>
/// <para><see cref="DisposeAsync"/> kills every worker still in the pool, starting or idle, and waits for them.</para>
/// </remarks>
internal sealed partial class WorkerPool : IAsyncDisposable
{
    /// <summary>The wait after the second failure in a row; it doubles with each further one.</summary>
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between attempts.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(60);

    private readonly Lock _gate = new();
    private readonly List<WorkerProcess> _idle = [];          // warm, oldest first
    private readonly HashSet<WorkerProcess> _owned = [];      // idle, warming, or dead and not yet noticed
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _disposing = new();
    private readonly WorkerLaunchOptions _launch;
    private readonly TimeSpan _warmTimeout;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private Task _filling = Task.CompletedTask;
    private int _failures;
    private bool _warmedOnce;
    private int _attempts;
    private bool _disposed;

    /// <summary>Creates the pool; nothing starts before <see cref="Start"/>.</summary>
    /// <param name="size">Idle workers to keep.</param>
    /// <param name="launch">How to start a worker.</param>
    /// <param name="warmTimeout">How long a new worker may take to warm up before it is killed as failed.</param>
    /// <param name="time">The clock of the backoff and the warm-up timeout.</param>
    /// <param name="logger">Where failures go.</param>
    public WorkerPool(int size, WorkerLaunchOptions launch, TimeSpan warmTimeout, TimeProvider time, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(size);
        Size = size;
        _launch = launch;
        _warmTimeout = warmTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>How many idle workers the pool keeps.</summary>
    public int Size { get; }

    /// <summary>Warm workers waiting for a task.</summary>
    public int IdleCount
    {
        get
        {
            lock (_gate)
                return _idle.Count;
        }
    }

    /// <summary>The process ids of the warm workers waiting for a task.</summary>
    public IReadOnlyList<int> IdleProcessIds
    {
        get
        {
            lock (_gate)
                return _idle.Select(w => w.ProcessId).ToList();
        }
    }

    /// <summary>Failures in a row (failed start or warm-up, or death while idle) since a task last took a worker.</summary>
    public int Failures
    {
        get
        {
            lock (_gate)
                return _failures;
        }
    }

    /// <summary>
    /// True once a worker has come up warm and the pool is not failing since: workers can start. It stays true while
    /// tasks have taken every warm worker and the pool refills, so a busy server is not reported unready.
    /// </summary>
    public bool IsWarm
    {
        get
        {
            lock (_gate)
                return _idle.Count > 0 || (_warmedOnce && _failures == 0);
        }
    }

    /// <summary>Workers the pool has tried to start so far.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Starts filling the pool.</summary>
    public void Start() => _filling = Task.Run(FillAsync);

    /// <summary>
    /// A warm worker, now sending its events and output to <paramref name="onEvent"/> and
    /// <paramref name="onOutput"/>, or null when none is ready. A replacement starts in the background.
    /// </summary>
    public WorkerProcess? TryTake(Action<WorkerEvent> onEvent, Action<string> onOutput)
    {
        lock (_gate)
        {
            while (!_disposed && _idle.Count > 0)
            {
                var worker = _idle[0];
                _idle.RemoveAt(0);
                if (!worker.IsAlive)
                {
                    // Still owned: its watcher counts it as a failure and wakes the refill.
                    continue;
                }

                _owned.Remove(worker);
                worker.Attach(onEvent, onOutput);
                _failures = 0;
                _wake.Release();
                return worker;
            }
        }

        return null;
    }

    private async Task FillAsync()
    {
        var stopping = _disposing.Token;
        try
        {
            while (true)
            {
                int failures;
                lock (_gate)
                {
                    if (_disposed)
                    {
                        return;
                    }

                    failures = _owned.Count < Size ? _failures : -1;
                }

                if (failures < 0)
                {
                    await _wake.WaitAsync(stopping).ConfigureAwait(false);
                    continue;
                }

                var delay = Backoff(failures);
                if (delay > TimeSpan.Zero)
                {
                    Log.BackingOff(_logger, failures, delay.TotalSeconds);
                    await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
                }

                await AddOneAsync(stopping).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not expected (AddOneAsync handles its failures); said loudly, because tasks now start cold.
            Log.RefillStopped(_logger, ex);
        }
    }

    /// <summary>The wait before the next start after <paramref name="failures"/> failures in a row.</summary>
    internal static TimeSpan Backoff(int failures) => failures < 2
        ? TimeSpan.Zero
        : TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks << Math.Min(failures - 2, 30)));

    private async Task AddOneAsync(CancellationToken stopping)
    {
        Interlocked.Increment(ref _attempts);
        WorkerProcess worker;
        try
        {
            worker = WorkerProcess.Start(_launch, static _ => { }, line => Log.IdleOutput(_logger, line));
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            Log.StartFailed(_logger, ex.Message);
            lock (_gate)
                _failures++;
            return;
        }

        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
            if (!disposed)
            {
                _owned.Add(worker);
            }
        }

        if (disposed)
        {
            await worker.DisposeAsync().ConfigureAwait(false);
            return;
        }

        string? failure;
        try
        {
            using var timeout = new CancellationTokenSource(_warmTimeout, _time);
            using var either = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
            await worker.Channel.RequestAsync<Done>(seq => new WarmUp(seq), either.Token).ConfigureAwait(false);
            failure = null;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            return; // DisposeAsync kills it.
        }
        catch (OperationCanceledException)
        {
            failure = $"no warm-up answer within {_warmTimeout.TotalSeconds:F0} s";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Whatever broke (the worker gone, its pipe, a disposal racing with it), this worker is no use.
            failure = ex.Message;
        }

        bool ready;
        lock (_gate)
        {
            if (!_owned.Contains(worker))
            {
                return; // DisposeAsync took it.
            }

            ready = failure is null && worker.IsAlive;
            if (ready)
            {
                _idle.Add(worker);
                _warmedOnce = true;
            }
            else
            {
                _owned.Remove(worker);
                _failures++;
            }
        }

        if (ready)
        {
            // Watched only once idle: until then this method alone decides the worker's fate.
            _ = WatchAsync(worker);
            return;
        }

        Log.WarmUpFailed(_logger, worker.ProcessId, failure ?? "exited right after warming up");
        await worker.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WatchAsync(WorkerProcess worker)
    {
        var code = await worker.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            if (!_owned.Remove(worker))
            {
                return; // Handed to a task, or killed by DisposeAsync: someone else's now.
            }

            _idle.Remove(worker);
            _failures++;
            _wake.Release(); // under the lock: DisposeAsync disposes it only after marking the pool disposed
        }

        Log.IdleWorkerExited(_logger, worker.ProcessId, code);
        await worker.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        List<WorkerProcess> workers;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            workers = [.. _owned];
            _owned.Clear();
            _idle.Clear();
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask())).ConfigureAwait(false);
        await _filling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _disposing.Dispose();
        _wake.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.PoolWorkerStartFailed, LogLevel.Warning, "Pool worker could not start: {Reason}")]
        public static partial void StartFailed(ILogger logger, string reason);

        [LoggerMessage(LogEventIds.PoolWorkerWarmUpFailed, LogLevel.Warning, "Pool worker (pid {Pid}) failed its warm-up: {Reason}")]
        public static partial void WarmUpFailed(ILogger logger, int pid, string reason);

        [LoggerMessage(LogEventIds.IdlePoolWorkerExited, LogLevel.Warning, "Idle pool worker (pid {Pid}) exited with code {ExitCode}; replacing it")]
        public static partial void IdleWorkerExited(ILogger logger, int pid, int exitCode);

        [LoggerMessage(LogEventIds.PoolBackingOff, LogLevel.Warning, "Pool workers keep failing ({Failures} in a row): next attempt in {DelaySeconds} s")]
        public static partial void BackingOff(ILogger logger, int failures, double delaySeconds);

        [LoggerMessage(LogEventIds.PoolRefillStopped, LogLevel.Error, "The worker pool stopped refilling; tasks start their own workers from now on")]
        public static partial void RefillStopped(ILogger logger, Exception exception);

        [LoggerMessage(LogEventIds.IdlePoolWorkerOutput, LogLevel.Information, "Idle pool worker: {Line}")]
        public static partial void IdleOutput(ILogger logger, string line);
    }
}
