using System.Diagnostics;
using PipelineHost.Benchmarks;
using PipelineHost.Benchmarks.Driver;
using PipelineHost.Benchmarks.Scenarios;

// dotnet run -c Release --project bench/PipelineHost.Benchmarks -- [--quick] [--codecs] [--roundtrip] [--http] [--launch] [--sampling] [--datapath]
// With no scenario named, all run; with some named, only those, and docs/benchmarks.md keeps the other scenarios'
// results from the run that measured them. `--driver …` is the load generator's own verb (the exe re-launches itself).
if (args.Length > 0 && args[0] == "--driver")
    return await LoadDriver.MainAsync(args[1..]);

var quick = args.Contains("--quick");
string[] all = [CodecScenario.Name, RoundTripScenario.Name, HttpStatusScenario.Name, TaskLaunchScenario.Name, SamplingScenario.Name, DataPathScenario.Name];
var chosen = all.Where(s => args.Contains($"--{s}")).ToList();
if (chosen.Count == 0)
    chosen = [.. all];
var unknown = args.Where(a => a != "--quick" && !all.Contains(a.TrimStart('-'))).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown arguments: {string.Join(' ', unknown)}. Scenarios: {string.Join(' ', all.Select(s => $"--{s}"))}, plus --quick.");
    return 2;
}

var report = new Report();
var started = Stopwatch.StartNew();
foreach (var scenario in chosen)
{
    Console.WriteLine($"== {scenario}{(quick ? " (quick)" : string.Empty)}");
    switch (scenario)
    {
        case CodecScenario.Name: CodecScenario.Run(report, quick); break;
        case RoundTripScenario.Name: await RoundTripScenario.RunAsync(report, quick); break;
        case HttpStatusScenario.Name: await HttpStatusScenario.RunAsync(report, quick); break;
        case TaskLaunchScenario.Name: await TaskLaunchScenario.RunAsync(report, quick); break;
        case SamplingScenario.Name: SamplingScenario.Run(report, quick); break;
        case DataPathScenario.Name: await DataPathScenario.RunAsync(report, quick); break;
    }
}

foreach (var skipped in all.Except(chosen))
    report.NotMeasured(skipped, "not selected on this run's command line.");

var command = "dotnet run -c Release --project bench/PipelineHost.Benchmarks --" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
report.Write(Path.Combine(RepoRoot.Find(), "docs", "benchmarks.md"), command, chosen, all);
Console.WriteLine($"Done in {started.Elapsed.TotalSeconds:0} s");
return 0;
