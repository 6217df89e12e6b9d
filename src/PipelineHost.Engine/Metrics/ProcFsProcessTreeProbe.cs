using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The Linux process tree probe: reads /proc directly.
/// </summary>
/// <remarks>
/// <para>
/// Every figure comes from /proc, none from <see cref="System.Diagnostics.Process"/>: <c>Process.Refresh()</c>
/// followed by <c>WorkingSet64</c> re-reads the whole process information, which on Linux includes a file per
/// THREAD (/proc/&lt;pid&gt;/task/&lt;tid&gt;/stat), around 200 µs for a many-threaded worker, and
/// <see cref="System.Diagnostics.Process"/> has no parent pid to find descendants with. Here a process costs two
/// small reads: /proc/&lt;pid&gt;/stat (utime and stime, fields 14 and 15, which already sum all threads; the parent
/// pid, field 4) and /proc/&lt;pid&gt;/statm (resident pages, field 2), into a stack buffer.
/// </para>
/// <para>
/// Both files are opened once per process and kept open: /proc regenerates them on every read from offset 0, so
/// a sample is two <c>pread</c>s, about a fifth of an open, read and close. A kept handle stays bound to its
/// process: once the process is gone, reads fail (and the handle is dropped) even if the pid is reused. Handles of
/// processes no sample has touched for a while are closed.
/// </para>
/// <para>
/// Descendants come from /proc/&lt;pid&gt;/task/&lt;tid&gt;/children when the kernel has it (CONFIG_PROC_CHILDREN,
/// one file per thread, since a child belongs to the thread that forked it), else from a scan of the parent pid of
/// every /proc/&lt;pid&gt;/stat, cached for <c>scanMaxAge</c> and shared by all roots. Finding them is what costs
/// (a directory listing and a file per thread or per process), so a root's tree is walked again only every
/// <c>treeRefreshEvery</c> samples (every 4th: once a second at the 4 Hz sampling rate) or as soon as one of its
/// processes has gone; in between the known descendants are read again. A process started since the last walk
/// is therefore counted from the next walk on; its CPU time up to then is not lost, since /proc reports it
/// cumulatively. Every descendant's parent is re-checked in its fresh stat, so a stale tree cannot pull in an
/// unrelated process that reused a pid.
/// </para>
/// <para>
/// Only live processes count: when a descendant exits, its CPU time leaves the sum, which the calculator treats
/// as an idle interval rather than negative usage.
/// </para>
/// </remarks>
public sealed partial class ProcFsProcessTreeProbe : IProcessTreeProbe, IDisposable
{
    private const int StatBufferSize = 1024;
    private const int MaxTreeSize = 4096;
    private const int ScClkTck = 2; // _SC_CLK_TCK in Linux's <unistd.h>
    private const long AssumedClockTicksPerSecond = 100; // USER_HZ on every mainstream Linux architecture

    // Samples between two looks for kept handles and trees nobody samples any more.
    private const int SweepEvery = 256;

    private static readonly EnumerationOptions s_enumerationOptions = new()
    {
        RecurseSubdirectories = false,
        IgnoreInaccessible = true,
        AttributesToSkip = 0,
        ReturnSpecialDirectories = false,
    };

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _scanMaxAge;
    private readonly int _treeRefreshEvery;
    private readonly long _pageSize = Environment.SystemPageSize;
    private readonly Dictionary<int, ProcFiles> _files = [];
    private readonly Dictionary<int, Tree> _trees = [];
    private readonly List<int> _tree = [];
    private readonly List<int> _treeParents = [];
    private readonly List<int> _threadIds = [];
    private readonly List<int> _children = [];
    private byte[] _childrenBuffer = new byte[4096];
    private int[] _scanPids = new int[256];
    private int[] _scanParents = new int[256];
    private int _scanLength;
    private TimeSpan _scanTakenAt;
    private bool _hasScan;
    private long _samples;
    private bool _disposed;

    /// <summary>Creates a probe.</summary>
    /// <param name="timeProvider">The clock the snapshots are stamped with; the system clock by default.</param>
    /// <param name="useChildrenFiles">
    /// Whether to find descendants through /proc/&lt;pid&gt;/task/&lt;tid&gt;/children; by default when the kernel
    /// has them. False forces the /proc scan.
    /// </param>
    /// <param name="scanMaxAge">How long a /proc scan is reused; 100 ms by default.</param>
    /// <param name="treeRefreshEvery">A root's descendants are looked for again every this many samples of it; 4 by default, 1 for every sample.</param>
    public ProcFsProcessTreeProbe(TimeProvider? timeProvider = null, bool? useChildrenFiles = null, TimeSpan? scanMaxAge = null, int treeRefreshEvery = 4)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The /proc process tree probe needs Linux.");
        _time = timeProvider ?? TimeProvider.System;
        _scanMaxAge = scanMaxAge ?? TimeSpan.FromMilliseconds(100);
        ArgumentOutOfRangeException.ThrowIfLessThan(_scanMaxAge, TimeSpan.Zero, nameof(scanMaxAge));
        ArgumentOutOfRangeException.ThrowIfLessThan(treeRefreshEvery, 1);
        _treeRefreshEvery = treeRefreshEvery;
        UsesChildrenFiles = useChildrenFiles ?? ChildrenFilesSupported;
    }

    /// <summary>True on Linux with /proc mounted.</summary>
    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && File.Exists("/proc/self/stat");

    /// <summary>True when the kernel exposes /proc/&lt;pid&gt;/task/&lt;tid&gt;/children.</summary>
    public static bool ChildrenFilesSupported { get; } = IsSupported && File.Exists(
        string.Create(CultureInfo.InvariantCulture, $"/proc/{Environment.ProcessId}/task/{Environment.ProcessId}/children"));

    /// <summary>The kernel's clock tick rate (USER_HZ) that /proc CPU times are counted in.</summary>
    public static long ClockTicksPerSecond => s_clockTicks.Value;

    /// <summary>True when <see cref="ClockTicksPerSecond"/> came from sysconf rather than the assumed 100.</summary>
    internal static bool ClockTicksFromSysconf => s_clockTicks.FromSysconf;

    private static readonly (long Value, bool FromSysconf) s_clockTicks = ReadClockTicksPerSecond();

    /// <summary>Whether this probe finds descendants through the children files rather than a /proc scan.</summary>
    public bool UsesChildrenFiles { get; }

    /// <summary>How many full /proc scans this probe has made.</summary>
    public long ScanCount { get; private set; }

    /// <summary>How many times this probe has looked for a root's descendants.</summary>
    public long TreeWalkCount { get; private set; }

    /// <summary>How many processes' stat and statm files are held open.</summary>
    public int OpenProcessCount
    {
        get
        {
            lock (_gate)
                return _files.Count;
        }
    }

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
            _samples++;
            if (_samples % SweepEvery == 0)
                Sweep();
            if (!TryReadProcess(rootPid, out _, out var totalTicks, out var totalRss))
            {
                _trees.Remove(rootPid);
                return null;
            }
            treePids?.Add(rootPid);

            if (!_trees.TryGetValue(rootPid, out var tree))
                _trees[rootPid] = tree = new Tree();
            tree.LastSample = _samples;
            if (tree.SamplesUntilWalk <= 0)
            {
                Walk(rootPid, tree);
                tree.SamplesUntilWalk = _treeRefreshEvery;
            }
            tree.SamplesUntilWalk--;

            foreach (var (pid, parent) in tree.Descendants)
            {
                if (!TryReadProcess(pid, out var ppid, out var ticks, out var rss) || ppid != parent)
                {
                    tree.SamplesUntilWalk = 0; // gone, or a reused pid that is no longer our child: walk again next time
                    continue;
                }
                totalTicks += ticks;
                totalRss += rss;
                treePids?.Add(pid);
            }

            var cpu = TimeSpan.FromTicks((long)totalTicks * TimeSpan.TicksPerSecond / ClockTicksPerSecond);
            return new ProcessSnapshot(timestamp, cpu, totalRss);
        }
    }

    /// <summary>Closes every kept handle.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var files in _files.Values)
                files.Dispose();
            _files.Clear();
            _trees.Clear();
        }
    }

    /// <summary>Lists the root's descendants (pid and the parent it was found under), breadth first.</summary>
    private void Walk(int rootPid, Tree tree)
    {
        TreeWalkCount++;
        _tree.Clear();
        _treeParents.Clear();
        _tree.Add(rootPid);
        _treeParents.Add(0);
        for (var i = 0; i < _tree.Count && _tree.Count < MaxTreeSize; i++)
            AddChildren(_tree[i]);
        tree.Descendants.Clear();
        for (var i = 1; i < _tree.Count; i++)
            tree.Descendants.Add((_tree[i], _treeParents[i]));
    }

    /// <summary>Drops kept handles and trees that no sample has used since the previous sweep.</summary>
    private void Sweep()
    {
        var since = _samples - SweepEvery;
        foreach (var (pid, files) in _files)
        {
            if (files.LastUsed < since)
            {
                files.Dispose();
                _files.Remove(pid);
            }
        }

        foreach (var (pid, tree) in _trees)
        {
            if (tree.LastSample < since)
                _trees.Remove(pid);
        }
    }

    private void AddChildren(int pid)
    {
        _children.Clear();
        if (UsesChildrenFiles)
            ReadChildrenFiles(pid, _children);
        else
            FindChildrenInScan(pid, _children);
        foreach (var child in _children)
        {
            _tree.Add(child);
            _treeParents.Add(pid);
        }
    }

    private void ReadChildrenFiles(int pid, List<int> children)
    {
        // A child belongs to the thread that forked it, so every thread's file is read.
        _threadIds.Clear();
        try
        {
            var taskDirectory = string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/task");
            foreach (var tid in EnumeratePidEntries(taskDirectory))
                _threadIds.Add(tid);
        }
        catch (IOException)
        {
            return;
        }
        catch (UnauthorizedAccessException)
        {
            return;
        }

        foreach (var tid in _threadIds)
        {
            var length = ReadAll(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/task/{tid}/children"));
            if (length > 0)
                ProcStatParser.ParsePidList(_childrenBuffer.AsSpan(0, length), children);
        }
    }

    private void FindChildrenInScan(int pid, List<int> children)
    {
        EnsureFreshScan();
        var parents = _scanParents.AsSpan(0, _scanLength);
        for (var i = 0; i < parents.Length; i++)
        {
            if (parents[i] == pid)
                children.Add(_scanPids[i]);
        }
    }

    private void EnsureFreshScan()
    {
        var now = _time.GetElapsedTime(0);
        if (_hasScan && now - _scanTakenAt < _scanMaxAge)
            return;

        _scanLength = 0;
        try
        {
            foreach (var pid in EnumeratePidEntries("/proc"))
            {
                if (!TryReadStat(pid, out var ppid, out _))
                    continue;
                if (_scanLength == _scanPids.Length)
                {
                    Array.Resize(ref _scanPids, _scanLength * 2);
                    Array.Resize(ref _scanParents, _scanLength * 2);
                }
                _scanPids[_scanLength] = pid;
                _scanParents[_scanLength] = ppid;
                _scanLength++;
            }
        }
        catch (IOException)
        {
            // keep what was read
        }
        catch (UnauthorizedAccessException)
        {
            // keep what was read
        }
        _scanTakenAt = now;
        _hasScan = true;
        ScanCount++;
    }

    /// <summary>Reads a process through its kept handles, opening them on first use; false when it is gone.</summary>
    private bool TryReadProcess(int pid, out int ppid, out ulong cpuTicks, out long rssBytes)
    {
        ppid = 0;
        cpuTicks = 0;
        rssBytes = 0;
        if (!_files.TryGetValue(pid, out var files))
        {
            if (ProcFiles.TryOpen(pid) is not { } opened)
                return false;
            _files[pid] = files = opened;
        }

        files.LastUsed = _samples;
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        var length = ReadAt(files.Stat, buffer);
        if (length > 0 && ProcStatParser.TryParseStat(buffer[..length], out ppid, out cpuTicks))
        {
            length = ReadAt(files.Statm, buffer);
            if (length > 0 && ProcStatParser.TryParseStatmResidentPages(buffer[..length], out var pages))
            {
                rssBytes = pages * _pageSize;
                return true;
            }
        }

        files.Dispose(); // the process is gone (ESRCH): its handles are of no more use
        _files.Remove(pid);
        return false;
    }

    /// <summary>One read from offset 0: /proc's stat files are produced whole, afresh, by a read at 0.</summary>
    private static int ReadAt(SafeFileHandle handle, Span<byte> buffer)
    {
        try
        {
            return RandomAccess.Read(handle, buffer, 0);
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static bool TryReadStat(int pid, out int ppid, out ulong cpuTicks)
    {
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        var length = ReadOnce(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"), buffer);
        if (length > 0)
            return ProcStatParser.TryParseStat(buffer[..length], out ppid, out cpuTicks);
        ppid = 0;
        cpuTicks = 0;
        return false;
    }

    /// <summary>One read: /proc's stat files are produced whole on the first read.</summary>
    private static int ReadOnce(string path, Span<byte> buffer)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return RandomAccess.Read(handle, buffer, 0);
        }
        catch (IOException)
        {
            return -1; // gone (ENOENT, ESRCH)
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>Reads a whole file of any length into the reusable children buffer.</summary>
    private int ReadAll(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var total = 0;
            while (true)
            {
                if (total == _childrenBuffer.Length)
                    Array.Resize(ref _childrenBuffer, _childrenBuffer.Length * 2);
                var read = RandomAccess.Read(handle, _childrenBuffer.AsSpan(total), total);
                if (read <= 0)
                    return total;
                total += read;
            }
        }
        catch (IOException)
        {
            return -1;
        }
        catch (UnauthorizedAccessException)
        {
            return -1;
        }
    }

    private static FileSystemEnumerable<int> EnumeratePidEntries(string directory) =>
        new(directory, static (ref FileSystemEntry entry) => ProcStatParser.ParsePidName(entry.FileName), s_enumerationOptions)
        {
            ShouldIncludePredicate = static (ref FileSystemEntry entry) => ProcStatParser.IsPidName(entry.FileName),
        };

    private static (long, bool) ReadClockTicksPerSecond()
    {
        if (!OperatingSystem.IsLinux())
            return (AssumedClockTicksPerSecond, false);
        try
        {
            var ticks = (long)Sysconf(ScClkTck);
            if (ticks > 0)
                return (ticks, true);
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
        return (AssumedClockTicksPerSecond, false);
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial nint Sysconf(int name);

    /// <summary>A root's descendants as found by the last walk.</summary>
    private sealed class Tree
    {
        public List<(int Pid, int Parent)> Descendants { get; } = [];

        public int SamplesUntilWalk { get; set; }

        public long LastSample { get; set; }
    }

    /// <summary>The kept stat and statm handles of one process.</summary>
    private sealed class ProcFiles(SafeFileHandle stat, SafeFileHandle statm) : IDisposable
    {
        public SafeFileHandle Stat { get; } = stat;

        public SafeFileHandle Statm { get; } = statm;

        public long LastUsed { get; set; }

        public static ProcFiles? TryOpen(int pid)
        {
            SafeFileHandle? stat = null;
            try
            {
                stat = File.OpenHandle(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var statm = File.OpenHandle(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/statm"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                return new ProcFiles(stat, statm);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                stat?.Dispose(); // gone (ENOENT, ESRCH) or not ours to read
                return null;
            }
        }

        public void Dispose()
        {
            Stat.Dispose();
            Statm.Dispose();
        }
    }
}
