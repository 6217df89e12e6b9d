using System.Diagnostics;
using PipelineHost.Engine.Metrics;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Metrics;

public sealed class TaskMetricsSamplerTests
{
    private const long MiB = 1024 * 1024;
    private const double Exact = 1e-9;
    private const int RootPid = 4242;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);

    [Fact]
    public async Task Peaks_hold_after_the_load_drops_and_averages_follow_the_formulas()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = 100 * MiB, ChildPids = [4243, 4244] };
        var gpu = new FakeGpuProbe();
        var samples = 0;
        await using var sampler = new TaskMetricsSampler(RootPid, probe, gpu, time, Tick, new TokenRates(), () => samples++, logicalCpuCount: 2);

        sampler.Start();
        Assert.Equal(TaskMetrics.Zero, sampler.Metrics); // a baseline only

        // One busy tick: 0.25 CPU s in 0.25 s is 100 % of one core, 50 % of two.
        probe.CpuTime += TimeSpan.FromSeconds(0.25);
        probe.RssBytes = 300 * MiB;
        gpu.Megabytes = 64;
        time.Advance(Tick);

        Assert.Equal(1, samples);
        var busy = sampler.Metrics;
        Assert.Equal(50, busy.CpuPercent, Exact);
        Assert.Equal(300, busy.CpuMemoryMb, Exact);
        Assert.Equal(64, busy.GpuMemoryMb, Exact);
        Assert.Equal([RootPid, 4243, 4244], gpu.LastPids);

        // Three idle ticks.
        probe.RssBytes = 100 * MiB;
        gpu.Megabytes = 0;
        time.Advance(3 * Tick);

        Assert.Equal(4, samples);
        var m = sampler.Metrics;
        Assert.Equal(0, m.CpuPercent, Exact);
        Assert.Equal(100, m.CpuMemoryMb, Exact);
        Assert.Equal(0, m.GpuMemoryMb, Exact);
        Assert.Equal(50, m.PeakCpuPercent, Exact);
        Assert.Equal(300, m.PeakCpuMemoryMb, Exact);
        Assert.Equal(64, m.PeakGpuMemoryMb, Exact);
        Assert.Equal(25, m.AvgCpuPercent, Exact);     // 0.25 CPU s over 1 s, percent of one core
        Assert.Equal(150, m.AvgCpuMemoryMb, Exact);   // (300 * 0.25 + 100 * 0.75) / 1
        Assert.Equal(16, m.AvgGpuMemoryMb, Exact);    // 64 * 0.25 / 1
    }

    [Fact]
    public async Task Stop_zeroes_the_metrics_freezes_the_tokens_and_ends_the_timer()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = 2048 * MiB };
        var gpu = new FakeGpuProbe { Megabytes = 1024 };
        var samples = 0;
        var sampler = new TaskMetricsSampler(RootPid, probe, gpu, time, TimeSpan.FromMinutes(1), new TokenRates(), () => samples++, logicalCpuCount: 2);
        sampler.Start();

        probe.CpuTime = TimeSpan.FromSeconds(1800);
        time.Advance(TimeSpan.FromHours(1));
        sampler.SetReportedUsage(
            new Dictionary<string, double> { ["gpu"] = 10_000 },
            new Dictionary<string, double> { ["pagesProcessed"] = 7 });
        Assert.Equal(60, samples);
        Assert.True(sampler.Metrics.PeakCpuPercent > 0);

        await sampler.StopAsync();

        Assert.False(sampler.IsRunning);
        Assert.Equal(61, samples); // one more to publish the final state
        Assert.Equal((0d, 0d, 0d), (sampler.Metrics.CpuPercent, sampler.Metrics.CpuMemoryMb, sampler.Metrics.GpuMemoryMb));
        Assert.True(sampler.Metrics.PeakCpuPercent > 0 && sampler.Metrics.AvgCpuMemoryMb > 0); // kept for the final status
        var tokens = sampler.Tokens;
        Assert.Equal(510.0, tokens.CpuUtilization, Exact);
        Assert.Equal(200.0, tokens.CpuMemory, Exact);
        Assert.Equal(2140.0, tokens.GpuMemory, Exact);
        Assert.Equal(5.9, tokens.GpuInference, Exact);
        Assert.Equal(35.0, tokens.Custom["pagesProcessed"], Exact);
        Assert.Equal(2890.9, tokens.Total, Exact);

        Assert.Equal(0, time.ActiveTimerCount);
        probe.CpuTime += TimeSpan.FromHours(1);
        time.Advance(TimeSpan.FromHours(1));
        sampler.SetReportedUsage(new Dictionary<string, double> { ["gpu"] = 1e9 }, new Dictionary<string, double>());
        Assert.Equal(61, samples);
        Assert.Equal(2890.9, sampler.Tokens.Total, Exact);

        await sampler.DisposeAsync(); // idempotent
        Assert.Equal(61, samples);
    }

    [Fact]
    public async Task Stop_takes_a_final_sample_of_the_last_partial_interval()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = MiB };
        var sampler = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates(), logicalCpuCount: 1);
        sampler.Start();
        time.Advance(Tick);

        probe.CpuTime = TimeSpan.FromSeconds(3600 + 0.25); // an hour of CPU since the last tick
        time.Advance(TimeSpan.FromMilliseconds(100));
        await sampler.StopAsync();

        Assert.Equal(1020.1, sampler.Tokens.CpuUtilization, Exact); // 3600.25 / 3600 * 1020 = 1020.07
    }

    [Fact]
    public async Task A_gone_root_stops_the_sampling_and_keeps_the_last_figures()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = 10 * MiB };
        var samples = 0;
        await using var sampler = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates(), () => samples++, logicalCpuCount: 1);
        sampler.Start();
        time.Advance(Tick);
        Assert.Equal(1, samples);

        probe.Gone = true;
        time.Advance(Tick);
        var calls = probe.SampleCount;
        probe.Gone = false; // the pid was reused by someone else
        time.Advance(4 * Tick);

        Assert.Equal(1, samples);
        Assert.Equal(calls, probe.SampleCount);
        Assert.Equal(10, sampler.Metrics.CpuMemoryMb, Exact);
    }

    [Fact]
    public async Task Without_a_gpu_no_pids_are_collected_and_gpu_memory_is_zero()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = MiB, ChildPids = [1, 2] };
        await using var sampler = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates(), logicalCpuCount: 1);

        sampler.Start();
        time.Advance(2 * Tick);

        Assert.Equal(0, probe.CallsWithPids);
        Assert.Equal(0, sampler.Metrics.PeakGpuMemoryMb);
    }

    [Fact]
    public async Task A_failing_probe_or_callback_does_not_stop_the_sampling()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = MiB };
        var samples = 0;
        await using var sampler = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates(),
            () =>
            {
                samples++;
                throw new InvalidOperationException("subscriber failed");
            },
            logicalCpuCount: 1);
        sampler.Start();

        probe.ThrowNext = true;
        time.Advance(Tick);
        Assert.Equal(0, samples);
        time.Advance(2 * Tick);

        Assert.Equal(2, samples);
        Assert.True(sampler.IsRunning);
    }

    [Fact]
    public async Task A_failing_baseline_is_logged_and_the_first_tick_becomes_the_baseline()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time) { RssBytes = MiB, ThrowNext = true };
        var samples = 0;
        await using var sampler = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates(), () => samples++, logicalCpuCount: 1);

        sampler.Start();
        time.Advance(Tick);
        Assert.Equal(0, samples);
        time.Advance(Tick);

        Assert.Equal(1, samples);
        Assert.Equal(1, sampler.Metrics.CpuMemoryMb, Exact);
    }

    [Fact]
    public async Task Start_is_once_only_and_stop_without_start_just_finishes()
    {
        var time = new ManualTimeProvider();
        var probe = new FakeTreeProbe(time);
        var idle = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates());
        await idle.StopAsync();
        Assert.Equal(0, probe.SampleCount);
        Assert.Equal(TaskMetrics.Zero, idle.Metrics);
        Assert.Equal(0, idle.Tokens.Total);
        Assert.Throws<InvalidOperationException>(idle.Start);

        await using var running = new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, Tick, new TokenRates());
        running.Start();
        Assert.Throws<InvalidOperationException>(running.Start);
        Assert.Throws<ArgumentOutOfRangeException>(() => new TaskMetricsSampler(RootPid, probe, NoGpuProbe.Instance, time, TimeSpan.Zero, new TokenRates()));
    }

    /// <summary>End to end on the system clock with the /proc probe and two CPU-burning processes; hang guard only.</summary>
    [Fact]
    public async Task Samples_a_real_process_tree_on_the_system_clock()
    {
        if (!OperatingSystem.IsLinux())
            return;
        var shell = ProcessTreeProbeTests.Start("/bin/sh", "-c", "yes > /dev/null & yes > /dev/null & wait");
        try
        {
            var samples = 0;
            await using var sampler = new TaskMetricsSampler(shell.Id, new ProcFsProcessTreeProbe(), NoGpuProbe.Instance,
                TimeProvider.System, TimeSpan.FromMilliseconds(50), new TokenRates(), () => Interlocked.Increment(ref samples));
            sampler.Start();

            var guard = Stopwatch.StartNew();
            while (Volatile.Read(ref samples) < 6 || sampler.Metrics.AvgCpuPercent <= 0)
            {
                Assert.True(guard.Elapsed < TimeSpan.FromSeconds(60), "hang guard");
                await Task.Delay(50);
            }

            var m = sampler.Metrics;
            Assert.True(m.PeakCpuPercent > 0);
            Assert.True(m.PeakCpuPercent <= 100);
            Assert.True(m.CpuMemoryMb > 0);
            Assert.True(m.AvgCpuMemoryMb > 0);
            await sampler.StopAsync();
            Assert.Equal(0, sampler.Metrics.CpuMemoryMb);
            Assert.True(sampler.Metrics.PeakCpuMemoryMb > 0);
        }
        finally
        {
            ProcessTreeProbeTests.KillTree(shell);
        }
    }

    private sealed class FakeTreeProbe(TimeProvider time) : IProcessTreeProbe
    {
        public TimeSpan CpuTime { get; set; }

        public long RssBytes { get; set; }

        public int[] ChildPids { get; init; } = [];

        public bool Gone { get; set; }

        public bool ThrowNext { get; set; }

        public int SampleCount { get; private set; }

        public int CallsWithPids { get; private set; }

        public ProcessSnapshot? Sample(int rootPid) => Sample(rootPid, null);

        public ProcessSnapshot? Sample(int rootPid, ICollection<int>? treePids)
        {
            SampleCount++;
            if (ThrowNext)
            {
                ThrowNext = false;
                throw new IOException("probe failed");
            }
            if (Gone)
                return null;
            if (treePids is not null)
            {
                CallsWithPids++;
                treePids.Add(rootPid);
                foreach (var pid in ChildPids)
                    treePids.Add(pid);
            }
            return new ProcessSnapshot(time.GetElapsedTime(0), CpuTime, RssBytes);
        }
    }

    private sealed class FakeGpuProbe : IGpuMemoryProbe
    {
        public double Megabytes { get; set; }

        public int[] LastPids { get; private set; } = [];

        public bool IsAvailable => true;

        public double SampleMegabytes(IReadOnlyCollection<int> pids)
        {
            LastPids = [.. pids];
            return Megabytes;
        }
    }
}
