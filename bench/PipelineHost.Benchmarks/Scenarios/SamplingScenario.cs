using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Benchmarks.Driver;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>
/// Scenario 7: one ProcFsProcessTreeProbe.Sample on a live process vs a direct parse of its stat and statm; and the
/// request throughput of a server sampling 20 tasks at 4 Hz vs the same server not sampling them.
/// </summary>
public static class SamplingScenario
{
    public const string Name = "sampling";
    private const int Tasks = 20;

    public static async Task RunAsync(Report report, bool quick)
    {
        var results = Bdn.Run<SamplingBenchmarks>(quick, rounds: 3);
        var sampleNs = results.MedianNs(nameof(SamplingBenchmarks.Probe));
        report.Add(new ReportRow(Name, "one sample, time", sampleNs, results.MedianNs(nameof(SamplingBenchmarks.Direct)), "ns/op", 2.0, false)
        {
            WhyMissed = "the probe also looks for the tree's descendants (a listing of /proc/<pid>/task and a children file per thread) on every "
                + "4th sample; keeping the children files open like stat and statm would close it.",
        });
        report.Add(new ReportRow(Name, "one sample, allocated", results.MedianBytes(nameof(SamplingBenchmarks.Probe)),
            results.MedianBytes(nameof(SamplingBenchmarks.Direct)), "B/op", null, false));

        // The same server and load, sampling on (4 Hz, the default) or off (an interval of an hour: one sample at the
        // start); a fresh server per run, since the samplers of a server are not switched off while it runs.
        var seconds = quick ? 2.0 : 5.0;
        var rounds = quick ? 2 : 3;
        var on = new List<Measured>();
        var off = new List<Measured>();
        for (var round = 0; round < rounds; round++)
        {
            off.Add(await MeasureAsync(TimeSpan.FromHours(1), seconds));
            on.Add(await MeasureAsync(Engine.Metrics.TaskMetricsSampler.DefaultInterval, seconds));
        }

        RoundTripScenario.AddRows(report, Name, $"rrext_get_task_status with {Tasks} tasks sampled at 4 Hz (vs not sampled), 1 conn × 16 in flight", on, off, 0.98, null,
            "below the noise of these machines (±10 % from run to run): the sampling's own cost is the next row.");
        var share = Tasks * 4 * sampleNs / 1e9;
        report.Add(new ReportRow(Name, $"CPU the sampling of {Tasks} tasks at 4 Hz takes (samples/s × time per sample)", share * 100, double.NaN, "% of a core", null, false));
        report.Note(Name, "One sample: BenchmarkDotNet in process, same short job as the codecs, 3 runs, medians. The sampled process is a live "
            + "bench/MinimalReady (a .NET program idling on stdin, no children). Subject: `ProcFsProcessTreeProbe.Sample(pid)` as the engine calls it: "
            + "stat and statm kept open and re-read, the tree looked for on every 4th sample (once a second at 4 Hz), so the figure is the average "
            + "over samples with and without that walk. Baseline: one open and read each of /proc/<pid>/stat and /proc/<pid>/statm parsed in place "
            + $"(Baselines/DirectProcStat.cs). Throughput: a fresh server with {Tasks} running echo tasks per run, sampling on (250 ms) or off, then "
            + $"the round-trip driver (`--driver ws`) for {seconds} s; {rounds} rounds, off then on, medians.");
    }

    private static async Task<Measured> MeasureAsync(TimeSpan interval, double seconds)
    {
        await using var subject = await SubjectServer.StartAsync(engine: e => e with { MetricsInterval = interval });
        await using var client = await subject.ConnectAsync();
        var tokens = await subject.StartEchoTasksAsync(client, Tasks);
        await Task.Delay(TimeSpan.FromSeconds(1)); // the launches' after-effects (JIT, GC, the workers' own start-up) settle first
        var measured = await DriverProcess.RunAsync("ws", "--url", subject.WebSocketUri.ToString(), "--key", SubjectServer.ApiKey, "--command", "rrext_get_task_status",
            "--token", tokens[0], "--connections", "1", "--inflight", "16", "--seconds", $"{seconds}");
        Console.WriteLine($"  sampling every {interval.TotalMilliseconds:0} ms: {measured.Driver.PerSecond:0} req/s");
        return measured;
    }
}

[MemoryDiagnoser]
public class SamplingBenchmarks
{
    private readonly ProcFsProcessTreeProbe _probe = new();
    private Process _process = null!;

    [GlobalSetup]
    public void Setup() => _process = MinimalReadyProcess.Start();

    [GlobalCleanup]
    public void Cleanup() => MinimalReadyProcess.Stop(_process);

    [Benchmark]
    public object? Probe() => _probe.Sample(_process.Id);

    [Benchmark]
    public (ulong, long) Direct() => DirectProcStat.Read(_process.Id);
}
