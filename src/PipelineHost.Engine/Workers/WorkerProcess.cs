using System.Diagnostics;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Workers;

/// <summary>
/// One worker process and its <see cref="WorkerChannel"/>; events go to the owner. <see cref="Exited"/> completes only after the process has exited <em>and</em> its last frames were
/// read, so nothing the worker reported before dying is lost.
/// </summary>
internal sealed partial class WorkerProcess : IAsyncDisposable
{
    // Pipe capacities (Linux's default is 64 KiB): the host → worker pipe carries the object bytes, so a larger
    // one lets a write return while the worker is still reading the previous chunk; the other carries answers.
    // Kept modest: an unprivileged user's pipes share a budget (fs.pipe-user-pages-soft, 64 MiB by default)
    // beyond which new pipes get a single page.
    private const int InputPipeCapacity = 512 * 1024;
    private const int OutputPipeCapacity = 256 * 1024;
    private const int FcntlSetPipeSize = 1031; // F_SETPIPE_SZ in Linux's <fcntl.h>

    private readonly Process _process;
    private readonly WorkerChannel _channel;
    private volatile Action<WorkerEvent> _onEvent;
    private volatile Action<string> _onOutput;
    private readonly Task<int> _exited;
    private int _disposed;

    private WorkerProcess(Process process, Action<WorkerEvent> onEvent, Action<string> onOutput)
    {
        _process = process;
        _onEvent = onEvent;
        _onOutput = onOutput;
        // The real clock, whatever clock the engine's schedules run on: a process lives, and falls silent, in real time.
        _channel = new WorkerChannel(process.StandardInput.BaseStream, process.StandardOutput.BaseStream, Deliver, TimeProvider.System);

        // A worker that breaks the contract is a crashed worker: nothing it says can be trusted any more.
        _channel.Violated += _ => Kill();
        var reader = Task.Run(ReadFramesAsync);
        var errors = Task.Run(ReadOutputAsync);
        _exited = WaitForExitAsync(reader, errors);
    }

    /// <summary>The worker's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>The channel to the worker: its requests, pipes and liveness.</summary>
    public WorkerChannel Channel => _channel;

    /// <summary>True once <see cref="StopAsync"/> had to kill a worker that outlived its grace.</summary>
    public bool KilledAfterGrace { get; private set; }

    /// <summary>The exit code, once the worker has exited and its output was drained.</summary>
    public Task<int> Exited => _exited;

    /// <summary>Starts a worker.</summary>
    public static WorkerProcess Start(WorkerLaunchOptions options, Action<WorkerEvent> onEvent, Action<string> onOutput)
    {
        var path = options.WorkerPath;
        var info = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo(DotnetHost(), [path])
            : new ProcessStartInfo(path);
        info.RedirectStandardInput = true;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        info.WorkingDirectory = Path.GetDirectoryName(path) ?? AppContext.BaseDirectory;
        info.Environment.Clear();
        foreach (var (name, value) in options.WorkerEnvironment())
        {
            info.Environment[name] = value;
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start the worker '{path}'.");
        TrySetPipeCapacity(process.StandardInput.BaseStream, InputPipeCapacity);
        TrySetPipeCapacity(process.StandardOutput.BaseStream, OutputPipeCapacity);
        return new WorkerProcess(process, onEvent, onOutput);
    }

    /// <summary>False once the process has exited (its last frames may still be being read).</summary>
    public bool IsAlive => !_exited.IsCompleted && !HasExited();

    /// <summary>
    /// Sends the worker's events and output to a new owner from now on: a pool worker handed to its task.
    /// </summary>
    public void Attach(Action<WorkerEvent> onEvent, Action<string> onOutput)
    {
        _onEvent = onEvent;
        _onOutput = onOutput;
    }

    /// <summary>
    /// Asks the worker to stop, waits up to <paramref name="grace"/>, then kills the whole process tree. Never
    /// waits forever: a process that survives the kill is reported and abandoned.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (!_exited.IsCompleted)
        {
            try
            {
                using var ask = new CancellationTokenSource(grace);
                await _channel.RequestAsync<Done>(seq => new StopWorker(seq), ask.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is WorkerGoneException or WorkerRequestFailedException or OperationCanceledException or IOException)
            {
                // Already gone, or not listening: the kill below takes care of it.
            }
        }

        if (await WaitAsync(grace).ConfigureAwait(false))
        {
            return;
        }

        KilledAfterGrace = true;
        Kill();
        await WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>Kills the worker and everything it started.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) when (_process.HasExited)
        {
        }
    }

    private bool HasExited()
    {
        try
        {
            return _process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private async Task<bool> WaitAsync(TimeSpan timeout)
    {
        try
        {
            await _exited.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private async Task ReadFramesAsync()
    {
        if (await _channel.ReadAllAsync().ConfigureAwait(false) is { } problem)
        {
            _onOutput(problem);
        }
    }

    private void Deliver(WorkerEvent evt)
    {
        try
        {
            _onEvent(evt);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not WorkerProtocolException)
        {
            // One event the owner cannot handle must not end the read loop: every later answer and event of the
            // worker would be lost and its task would hang until a timeout.
            _onOutput($"worker event '{evt.GetType().Name}' could not be handled: {ex.Message}");
        }
    }

    private async Task ReadOutputAsync()
    {
        while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            _onOutput(line);
        }
    }

    private async Task<int> WaitForExitAsync(Task reader, Task errors)
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(reader, errors).WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _channel.Gone();

        return _process.ExitCode;
    }

    /// <summary>Best effort: where the kernel refuses (another OS, a limit), the default capacity just stays.</summary>
    private static void TrySetPipeCapacity(Stream stream, int capacity)
    {
        if (!OperatingSystem.IsLinux() || stream is not System.IO.Pipes.PipeStream pipe)
        {
            return;
        }

        try
        {
            _ = SetPipeSize(pipe.SafePipeHandle.DangerousGetHandle(), FcntlSetPipeSize, capacity);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "fcntl")]
    private static partial int SetPipeSize(nint fd, int command, int capacity);

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)
            ? current
            : "dotnet";
    }

    // Closing the input of a worker that died flushes into a broken pipe: the handle is released all the same.
    private static void CloseQuietly(IDisposable stream)
    {
        try
        {
            stream.Dispose();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        if (!_exited.IsCompleted)
        {
            Kill();
            await WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }

        _channel.Dispose();

        // Process.Dispose leaves streams read synchronously (as these are) to the finalizer: under churn that is
        // three pipe descriptors per worker until the next full GC. The readers are done once the worker has exited.
        if (_exited.IsCompleted)
        {
            CloseQuietly(_process.StandardInput);
            CloseQuietly(_process.StandardOutput);
            CloseQuietly(_process.StandardError);
        }

        _process.Dispose();
    }
}

/// <summary>The worker exited (or its channel broke) before answering.</summary>
internal sealed class WorkerGoneException() : Exception("The task's worker has exited");
