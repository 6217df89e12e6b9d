using System.Globalization;
using System.IO.Enumeration;
using System.Runtime.InteropServices;

namespace PipelineHost.Engine.Metrics;

/// <summary>
/// The Linux process tree probe: reads /proc directly.
/// </summary>
/// <remarks>
/// <para>
/// Why /proc rather than <see cref="System.Diagnostics.Process"/>: <c>Process.Refresh()</c> followed by
/// <c>WorkingSet64</c> re-reads the whole process information, which on Linux includes a file per THREAD
/// (/proc/&lt;pid&gt;/task/&lt;tid&gt;/stat), around 200 µs for a many-threaded worker, and every
/// <see cref="System.Diagnostics.Process"/> object holds state. Here a process costs two small reads:
/// /proc/&lt;pid&gt;/stat (utime and stime, fields 14 and 15, which already sum all threads) and /proc/&lt;pid&gt;/statm
/// (resident pages, field 2), into a stack buffer.
/// </para>
/// <para>
/// Descendants come from /proc/&lt;pid&gt;/task/&lt;tid&gt;/children when the kernel has it (CONFIG_PROC_CHILDREN),
/// else from a scan of the parent pid (field 4) of every /proc/&lt;pid&gt;/stat. The scan is cached for
/// <c>scanMaxAge</c> (default 100 ms, under the sampling interval) so a tree costs at most one scan per tick, and
/// the samplers of several tasks sharing the probe share the scan. Every descendant's parent is re-checked in its
/// fresh stat, so a stale scan cannot pull in an unrelated process that reused a pid.
/// </para>
/// <para>
/// Only live processes count: when a descendant exits, its CPU time leaves the sum, which the calculator treats
/// as an idle interval rather than negative usage.
/// </para>
/// </remarks>
public sealed partial class ProcFsProcessTreeProbe : IProcessTreeProbe
{
    private const int StatBufferSize = 1024;
    private const int MaxTreeSize = 4096;
    private const int ScClkTck = 2; // _SC_CLK_TCK in Linux's <unistd.h>
    private const long AssumedClockTicksPerSecond = 100; // USER_HZ on every mainstream Linux architecture

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
    private readonly long _pageSize = Environment.SystemPageSize;
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

    /// <summary>Creates a probe.</summary>
    /// <param name="timeProvider">The clock the snapshots are stamped with; the system clock by default.</param>
    /// <param name="useChildrenFiles">
    /// Whether to find descendants through /proc/&lt;pid&gt;/task/&lt;tid&gt;/children; by default when the kernel
    /// has them. False forces the /proc scan.
    /// </param>
    /// <param name="scanMaxAge">How long a /proc scan is reused; 100 ms by default.</param>
    public ProcFsProcessTreeProbe(TimeProvider? timeProvider = null, bool? useChildrenFiles = null, TimeSpan? scanMaxAge = null)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("The /proc process tree probe needs Linux.");
        _time = timeProvider ?? TimeProvider.System;
        _scanMaxAge = scanMaxAge ?? TimeSpan.FromMilliseconds(100);
        ArgumentOutOfRangeException.ThrowIfLessThan(_scanMaxAge, TimeSpan.Zero, nameof(scanMaxAge));
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

    /// <inheritdoc />
    public ProcessSnapshot? Sample(int rootPid) => Sample(rootPid, null);

    /// <inheritdoc />
    public ProcessSnapshot? Sample(int rootPid, ICollection<int>? treePids)
    {
        if (rootPid <= 0)
            return null;
        lock (_gate)
        {
            var timestamp = _time.GetElapsedTime(0);
            if (!TryReadProcess(rootPid, out _, out var totalTicks, out var totalRss))
                return null;
            treePids?.Add(rootPid);

            _tree.Clear();
            _treeParents.Clear();
            _tree.Add(rootPid);
            _treeParents.Add(0);
            AddChildren(rootPid);
            for (var i = 1; i < _tree.Count; i++)
            {
                var pid = _tree[i];
                if (!TryReadProcess(pid, out var ppid, out var ticks, out var rss) || ppid != _treeParents[i])
                    continue; // gone since it was listed, or a reused pid that is no longer our child
                totalTicks += ticks;
                totalRss += rss;
                treePids?.Add(pid);
                if (_tree.Count < MaxTreeSize)
                    AddChildren(pid);
            }

            var cpu = TimeSpan.FromTicks((long)totalTicks * TimeSpan.TicksPerSecond / ClockTicksPerSecond);
            return new ProcessSnapshot(timestamp, cpu, totalRss);
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

    private bool TryReadProcess(int pid, out int ppid, out ulong cpuTicks, out long rssBytes)
    {
        rssBytes = 0;
        if (!TryReadStat(pid, out ppid, out cpuTicks))
            return false;
        Span<byte> buffer = stackalloc byte[StatBufferSize];
        var length = ReadOnce(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/statm"), buffer);
        if (length <= 0 || !ProcStatParser.TryParseStatmResidentPages(buffer[..length], out var pages))
            return false;
        rssBytes = pages * _pageSize;
        return true;
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
}
