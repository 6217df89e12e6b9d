using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Benchmarks.Scenarios;

/// <summary>Scenario 5: one ProcFsProcessTreeProbe.Sample on a live process vs a direct parse of its stat and statm.</summary>
public static class SamplingScenario
{
    public const string Name = "sampling";

    public static void Run(Report report, bool quick)
    {
        var results = Bdn.Run<SamplingBenchmarks>(quick, rounds: 3);
        report.Add(new ReportRow(Name, "one sample, time", results.MedianNs(nameof(SamplingBenchmarks.Probe)),
            results.MedianNs(nameof(SamplingBenchmarks.Direct)), "ns/op", 2.0, false)
        {
            WhyMissed = "most likely (not profiled) because the probe also lists /proc/<pid>/task and reads every thread's children file to find descendants (a .NET process has "
                + "a dozen or more threads); reading /proc/<pid>/task/<pid>/children only for single-threaded roots, or caching the thread list "
                + "between ticks, would close it.",
        });
        report.Add(new ReportRow(Name, "one sample, allocated", results.MedianBytes(nameof(SamplingBenchmarks.Probe)),
            results.MedianBytes(nameof(SamplingBenchmarks.Direct)), "B/op", null, false));
        report.Note(Name, "BenchmarkDotNet in process, same short job as the codecs, 3 runs, medians. The sampled process is a live bench/MinimalReady "
            + "(a .NET program idling on stdin, no children). Subject: `ProcFsProcessTreeProbe.Sample(pid)` (children files when the kernel has them). "
            + "Baseline: one read each of /proc/<pid>/stat and /proc/<pid>/statm parsed in place (Baselines/DirectProcStat.cs). No driver process.");
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
