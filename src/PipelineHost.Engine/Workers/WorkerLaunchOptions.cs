namespace PipelineHost.Engine.Workers;

/// <summary>Where the worker executable is and how to start it.</summary>
public sealed record WorkerLaunchOptions
{
    /// <summary>The worker's entry: its apphost, or its <c>.dll</c> (then started with the <c>dotnet</c> host).</summary>
    public string WorkerPath { get; init; } = DefaultWorkerPath();

    /// <summary>Environment variables never passed to workers (and so never to the programs they run).</summary>
    public IReadOnlyList<string> HiddenVariables { get; init; } = ["PIPELINEHOST_API_KEY", "ROCKETRIDE_APIKEY"];

    /// <summary>
    /// The environment a worker (and every program it runs) gets: the host's own at this moment, without
    /// <see cref="HiddenVariables"/>. Read at each task's start, pooled worker or not.
    /// </summary>
    public Dictionary<string, string> WorkerEnvironment()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        foreach (var hidden in HiddenVariables)
        {
            variables.Remove(hidden);
        }

        return variables;
    }

    /// <summary>The worker built next to the host's own files.</summary>
    public static string DefaultWorkerPath()
    {
        var baseDirectory = AppContext.BaseDirectory;
        var apphost = Path.Combine(baseDirectory, OperatingSystem.IsWindows() ? "PipelineHost.Worker.exe" : "PipelineHost.Worker");
        return File.Exists(apphost) ? apphost : Path.Combine(baseDirectory, "PipelineHost.Worker.dll");
    }
}
