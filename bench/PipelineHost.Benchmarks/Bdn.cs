using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace PipelineHost.Benchmarks;

/// <summary>
/// Runs a BenchmarkDotNet class in this process (no generated project to build) with a short job, several rounds,
/// so subject and baseline alternate round by round; answers the median per benchmark method.
/// </summary>
public static class Bdn
{
    public sealed record Result(double MeanNs, double AllocatedBytes);

    public static IReadOnlyDictionary<string, List<Result>> Run<T>(bool quick, int rounds)
    {
        var job = Job.Dry
            .WithStrategy(BenchmarkDotNet.Engines.RunStrategy.Throughput)
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 2 : 4)
            .WithIterationCount(quick ? 4 : 8)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(quick ? 100 : 250))
            .WithToolchain(InProcessEmitToolchain.Instance)
            .WithId(quick ? "quick" : "short");
        var config = ManualConfig.CreateEmpty()
            .AddJob(job)
            .AddDiagnoser(MemoryDiagnoser.Default)
            .AddLogger(NullLogger.Instance)
            .AddColumnProvider(DefaultColumnProviders.Instance)
            .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "pipelinehost-bench-artifacts"))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator | ConfigOptions.DisableLogFile);

        var results = new Dictionary<string, List<Result>>(StringComparer.Ordinal);
        for (var round = 0; round < rounds; round++)
        {
            Console.WriteLine($"  {typeof(T).Name}: round {round + 1} of {rounds}");
            Summary summary = BenchmarkRunner.Run<T>(config);
            foreach (var report in summary.Reports)
            {
                var name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
                var stats = report.ResultStatistics ?? throw new InvalidOperationException($"{name} produced no result");
                var allocated = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0;
                if (!results.TryGetValue(name, out var list))
                    results[name] = list = [];
                list.Add(new Result(stats.Median, allocated));
            }
        }

        return results;
    }

    public static double MedianNs(this IReadOnlyDictionary<string, List<Result>> r, string name) => Stats.Median(r[name].Select(x => x.MeanNs));

    public static double MedianBytes(this IReadOnlyDictionary<string, List<Result>> r, string name) => Stats.Median(r[name].Select(x => x.AllocatedBytes));
}
