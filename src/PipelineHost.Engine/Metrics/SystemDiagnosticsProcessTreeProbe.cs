using System.ComponentModel;
using System.Diagnostics;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The portable process probe for systems without /proc, built on <see cref="Process"/>
/// (<see cref="Process.TotalProcessorTime"/> and <see cref="Process.WorkingSet64"/> after
/// <see cref="Process.Refresh"/>).
/// </summary>
/// <remarks>
/// It covers the ROOT PROCESS ONLY: <see cref="Process"/> exposes no parent pid, so descendants cannot be found
/// portably. On Linux prefer <see cref="ProcFsProcessTreeProbe"/>: it sees the whole tree, and it is much cheaper,
/// since <c>Refresh()</c> + <c>WorkingSet64</c> re-reads the process information including a file per thread
/// (around 200 µs for a many-threaded process), where /proc/&lt;pid&gt;/statm is one small read.
/// <see cref="Process"/> objects are cached per pid (on Windows, <see cref="Process.GetProcessById(int)"/>
/// enumerates every process) and released when their process exits or the probe is disposed.
/// </remarks>
public sealed class SystemDiagnosticsProcessTreeProbe : IProcessTreeProbe, IDisposable
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<int, Process> _processes = [];
    private bool _disposed;

    /// <summary>Creates a probe stamping its snapshots with <paramref name="timeProvider"/> (the system clock by default).</summary>
    public SystemDiagnosticsProcessTreeProbe(TimeProvider? timeProvider = null) =>
        _time = timeProvider ?? TimeProvider.System;

    /// <inheritdoc />
    public ProcessSnapshot? Sample(int rootPid) => Sample(rootPid, null);

    /// <inheritdoc />
    public ProcessSnapshot? Sample(int rootPid, ICollection<int>? treePids)
    {
        if (rootPid <= 0)
            return null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var timestamp = _time.GetElapsedTime(0);
            Process? process = null;
            try
            {
                if (!_processes.TryGetValue(rootPid, out process))
                {
                    process = Process.GetProcessById(rootPid);
                    _processes.Add(rootPid, process);
                }
                process.Refresh();
                if (process.HasExited)
                {
                    Forget(rootPid, process);
                    return null;
                }
                var snapshot = new ProcessSnapshot(timestamp, process.TotalProcessorTime, process.WorkingSet64);
                treePids?.Add(rootPid);
                return snapshot;
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or Win32Exception or NotSupportedException)
            {
                // not running, exited while being read, or not ours to read
                if (process is not null)
                    Forget(rootPid, process);
                return null;
            }
        }
    }

    /// <summary>Releases the cached <see cref="Process"/> objects.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var process in _processes.Values)
                process.Dispose();
            _processes.Clear();
        }
    }

    private void Forget(int pid, Process process)
    {
        _processes.Remove(pid);
        process.Dispose();
    }
}
