namespace PipelineHost.Benchmarks.Scenarios;

public static class TaskLaunchScenario { public const string Name = "launch"; public static Task RunAsync(Report r, bool q) => Task.CompletedTask; }
public static class SamplingScenario { public const string Name = "sampling"; public static void Run(Report r, bool q) { } }
