using System.Diagnostics;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Metrics;

/// <summary>Probes against real processes. No timing assertions: waits are hang guards only.</summary>
public sealed class ProcessTreeProbeTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProcFs_tree_cpu_time_grows_and_covers_the_cpu_burning_children(bool useChildrenFiles)
    {
        if (!OperatingSystem.IsLinux() || (useChildrenFiles && !ProcFsProcessTreeProbe.ChildrenFilesSupported))
            return;
        var shell = Start("/bin/sh", "-c", "yes > /dev/null & yes > /dev/null & wait");
        try
        {
            var probe = new ProcFsProcessTreeProbe(useChildrenFiles: useChildrenFiles);
            Assert.Equal(useChildrenFiles, probe.UsesChildrenFiles);
            var pids = new List<int>();
            await WaitUntil(() =>
            {
                pids.Clear();

                // A forked child is "sh" until it has exec'd "yes": wait for both to have done so.
                return probe.Sample(shell.Id, pids) is not null && pids.Count >= 3
                    && pids.Skip(1).All(pid => File.Exists($"/proc/{pid}/comm") && File.ReadAllText($"/proc/{pid}/comm").Trim() == "yes");
            });
            Assert.Equal(shell.Id, pids[0]);
            Assert.Equal(3, pids.Count);
            var children = pids.Skip(1).ToArray();
            Assert.All(children, pid => Assert.Equal("yes", File.ReadAllText($"/proc/{pid}/comm").Trim()));

            var first = probe.Sample(shell.Id)!.Value;
            await WaitUntil(() => probe.Sample(shell.Id)!.Value.CpuTime - first.CpuTime >= TimeSpan.FromMilliseconds(300));

            // Each process read on its own BEFORE the tree: CPU time only grows, so the tree covers the sum.
            var shellOwn = OwnCpuTime(shell.Id);
            var childrenOwn = children.Aggregate(TimeSpan.Zero, (sum, pid) => sum + OwnCpuTime(pid));
            var treePids = new List<int>();
            var tree = probe.Sample(shell.Id, treePids)!.Value;

            Assert.True(tree.CpuTime > first.CpuTime);
            Assert.True(childrenOwn > TimeSpan.Zero);
            Assert.True(tree.CpuTime >= shellOwn + childrenOwn, $"tree {tree.CpuTime} < shell {shellOwn} + children {childrenOwn}");
            Assert.True(tree.CpuTime > shellOwn);
            Assert.True(tree.RssBytes > 0);
            Assert.Equal(pids, treePids);
        }
        finally
        {
            KillTree(shell);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ProcFs_tree_rss_shows_a_200_MB_allocation_in_a_child(bool useChildrenFiles)
    {
        if (!OperatingSystem.IsLinux() || (useChildrenFiles && !ProcFsProcessTreeProbe.ChildrenFilesSupported))
            return;
        // The allocation happens in a child of the root shell, so only a tree probe sees it.
        var shell = Start("/bin/sh", "-c", "python3 -c 'b = bytearray(200 * 1024 * 1024); import time; time.sleep(60)'; :");
        try
        {
            var probe = new ProcFsProcessTreeProbe(useChildrenFiles: useChildrenFiles);
            var pids = new List<int>();
            ProcessSnapshot? snapshot = null;
            await WaitUntil(() =>
            {
                pids.Clear();
                return (snapshot = probe.Sample(shell.Id, pids)) is { RssBytes: >= 150L * 1024 * 1024 };
            });

            Assert.True(snapshot!.Value.RssBytes >= 150L * 1024 * 1024);
            Assert.True(pids.Count >= 2);
            Assert.True(OwnRssBytes(shell.Id) < 150L * 1024 * 1024); // the shell itself is small
        }
        finally
        {
            KillTree(shell);
        }
    }

    [Fact]
    public void ProcFs_returns_null_when_the_root_is_gone()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var probe = new ProcFsProcessTreeProbe();
        int pid;
        using (var gone = Start("/bin/true"))
        {
            pid = gone.Id;
            Assert.True(gone.WaitForExit(HangGuard)); // exited and reaped
        }

        Assert.Null(probe.Sample(pid));
        Assert.Null(probe.Sample(int.MaxValue));
        Assert.Null(probe.Sample(0));
        Assert.Null(probe.Sample(-1));
    }

    [Fact]
    public void ProcFs_samples_its_own_process()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var probe = new ProcFsProcessTreeProbe();
        var pids = new List<int>();

        var snapshot = probe.Sample(Environment.ProcessId, pids);

        Assert.NotNull(snapshot);
        Assert.True(snapshot.Value.CpuTime > TimeSpan.Zero);
        Assert.True(snapshot.Value.RssBytes > 0);
        Assert.Equal(Environment.ProcessId, pids[0]);
    }

    [Fact]
    public void ProcFs_scans_proc_at_most_once_per_scan_age()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var time = new ManualTimeProvider();
        var probe = new ProcFsProcessTreeProbe(time, useChildrenFiles: false, scanMaxAge: TimeSpan.FromMilliseconds(100), treeRefreshEvery: 1);

        probe.Sample(Environment.ProcessId);
        probe.Sample(Environment.ProcessId);
        Assert.Equal(1, probe.ScanCount);

        time.Advance(TimeSpan.FromMilliseconds(250));
        probe.Sample(Environment.ProcessId);
        probe.Sample(Environment.ProcessId);
        Assert.Equal(2, probe.ScanCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ProcFs_looks_for_descendants_again_only_every_nth_sample_of_a_root(bool useChildrenFiles)
    {
        if (!OperatingSystem.IsLinux() || (useChildrenFiles && !ProcFsProcessTreeProbe.ChildrenFilesSupported))
            return;
        using var probe = new ProcFsProcessTreeProbe(new ManualTimeProvider(), useChildrenFiles, treeRefreshEvery: 4);

        for (var i = 0; i < 8; i++)
            Assert.NotNull(probe.Sample(Environment.ProcessId));

        Assert.Equal(2, probe.TreeWalkCount);
    }

    [Fact]
    public void ProcFs_keeps_a_process_files_open_between_samples_and_drops_them_once_it_is_gone()
    {
        if (!OperatingSystem.IsLinux())
            return;
        using var probe = new ProcFsProcessTreeProbe();
        var sleeper = Start("/bin/sleep", "60");
        var pid = sleeper.Id;
        try
        {
            Assert.NotNull(probe.Sample(pid));
            Assert.NotNull(probe.Sample(pid));
            Assert.Equal(1, probe.OpenProcessCount);
        }
        finally
        {
            KillTree(sleeper); // waits for the exit: the pid is reaped
        }

        Assert.Null(probe.Sample(pid));
        Assert.Equal(0, probe.OpenProcessCount);
    }

    [Fact]
    public void ProcFs_stamps_snapshots_with_its_clock()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var time = new ManualTimeProvider();
        var probe = new ProcFsProcessTreeProbe(time);

        var a = probe.Sample(Environment.ProcessId)!.Value;
        time.Advance(TimeSpan.FromMilliseconds(250));
        var b = probe.Sample(Environment.ProcessId)!.Value;

        Assert.Equal(TimeSpan.FromMilliseconds(250), b.Timestamp - a.Timestamp);
    }

    [Fact]
    public void Clock_tick_rate_comes_from_sysconf()
    {
        if (!OperatingSystem.IsLinux())
            return;

        Assert.True(ProcFsProcessTreeProbe.ClockTicksFromSysconf);
        Assert.True(ProcFsProcessTreeProbe.ClockTicksPerSecond > 0);
    }

    [Fact]
    public void Default_probe_on_linux_is_the_proc_probe()
    {
        var probe = ProcessTreeProbe.CreateDefault();

        if (OperatingSystem.IsLinux())
            Assert.IsType<ProcFsProcessTreeProbe>(probe);
        else
            Assert.IsType<SystemDiagnosticsProcessTreeProbe>(probe);
        (probe as IDisposable)?.Dispose();
    }

    [Fact]
    public async Task SystemDiagnostics_probe_reads_the_root_process()
    {
        using var probe = new SystemDiagnosticsProcessTreeProbe();
        var burner = Start("/bin/sh", "-c", "while :; do :; done");
        var pid = burner.Id;
        try
        {
            var pids = new List<int>();
            var first = probe.Sample(pid, pids);
            Assert.NotNull(first);
            Assert.Equal([pid], pids);
            Assert.True(first.Value.RssBytes > 0);

            await WaitUntil(() => probe.Sample(pid)!.Value.CpuTime - first.Value.CpuTime >= TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            KillTree(burner); // waits for the exit
        }
        Assert.Null(probe.Sample(pid));
        Assert.Null(probe.Sample(int.MaxValue));
    }

    internal static Process Start(string fileName, params string[] arguments)
    {
        var info = new ProcessStartInfo(fileName) { UseShellExecute = false };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {fileName}.");
    }

    internal static void KillTree(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(HangGuard);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
        finally
        {
            process.Dispose();
        }
    }

    private static TimeSpan OwnCpuTime(int pid)
    {
        Assert.True(ProcStatParser.TryParseStat(File.ReadAllBytes($"/proc/{pid}/stat"), out _, out var ticks));
        return TimeSpan.FromTicks((long)ticks * TimeSpan.TicksPerSecond / ProcFsProcessTreeProbe.ClockTicksPerSecond);
    }

    private static long OwnRssBytes(int pid)
    {
        Assert.True(ProcStatParser.TryParseStatmResidentPages(File.ReadAllBytes($"/proc/{pid}/statm"), out var pages));
        return pages * Environment.SystemPageSize;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var guard = Stopwatch.StartNew();
        while (!condition())
        {
            if (guard.Elapsed > HangGuard)
                Assert.Fail("Hang guard: condition not met.");
            await Task.Delay(50);
        }
    }
}
