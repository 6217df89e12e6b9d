using System.Diagnostics;
using PipelineHost.Benchmarks;
using PipelineHost.Benchmarks.Driver;
using PipelineHost.Benchmarks.Scenarios;

// dotnet run -c Release --project bench/PipelineHost.Benchmarks -- [--quick] [--out <file>] [--roundtrip] [--http] [--launch]
//     [--datapath] [--fanout] [--connections] [--sampling] [--underload] [--codecs] [--burst] [--parse] [--observability] [--history]
// With no scenario named, all run; with some named, only those, and the report keeps the other scenarios'
// results from the run that measured them. `--driver …` (the load generators) and `--serve …` (a server in a process of its
// own) are the exe's own verbs: it re-launches itself with them.
if (args.Length > 0 && args[0] == "--driver")
    return await LoadDriver.MainAsync(args[1..]);
if (args.Length > 0 && args[0] == "--serve")
    return await ServeProcess.MainAsync(args[1..]);

var quick = args.Contains("--quick");
var outIndex = Array.IndexOf(args, "--out");
var output = outIndex >= 0 && outIndex + 1 < args.Length ? Path.GetFullPath(args[outIndex + 1]) : Path.Combine(RepoRoot.Find(), "docs", "benchmarks.md");
string[] all = [RoundTripScenario.Name, HttpStatusScenario.Name, TaskLaunchScenario.Name, DataPathScenario.Name, FanOutScenario.Name,
    ConnectionMemoryScenario.Name, SamplingScenario.Name, UnderLoadScenario.Name, CodecScenario.Name, MessageBurstScenario.Name,
    ParseScenario.Name, ObservabilityScenario.Name, HistoryScenario.Name];
var chosen = all.Where(s => args.Contains($"--{s}")).ToList();
if (chosen.Count == 0)
    chosen = [.. all];
var unknown = args.Where((a, i) => a != "--quick" && a != "--out" && (outIndex < 0 || i != outIndex + 1) && !all.Contains(a.TrimStart('-'))).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown arguments: {string.Join(' ', unknown)}. Scenarios: {string.Join(' ', all.Select(s => $"--{s}"))}, plus --quick and --out <file>.");
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
        case DataPathScenario.Name: await DataPathScenario.RunAsync(report, quick); break;
        case FanOutScenario.Name: await FanOutScenario.RunAsync(report, quick); break;
        case ConnectionMemoryScenario.Name: await ConnectionMemoryScenario.RunAsync(report, quick); break;
        case SamplingScenario.Name: await SamplingScenario.RunAsync(report, quick); break;
        case UnderLoadScenario.Name: await UnderLoadScenario.RunAsync(report, quick); break;
        case MessageBurstScenario.Name: await MessageBurstScenario.RunAsync(report, quick); break;
        case ParseScenario.Name: ParseScenario.Run(report, quick); break;
        case ObservabilityScenario.Name: await ObservabilityScenario.RunAsync(report, quick); break;
        case HistoryScenario.Name: await HistoryScenario.RunAsync(report, quick); break;
    }
}

foreach (var skipped in all.Except(chosen))
    report.NotMeasured(skipped, "not selected on this run's command line.");

var command = "dotnet run -c Release --project bench/PipelineHost.Benchmarks --" + (args.Length > 0 ? " " + string.Join(' ', args) : string.Empty);
report.Write(output, command, chosen, all, started.Elapsed);
Console.WriteLine($"Done in {started.Elapsed.TotalSeconds:0} s");
return 0;
