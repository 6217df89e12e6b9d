using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;

namespace PipelineHost.Worker;

/// <summary>
/// What differs for a worker the host started before it had a task for it (a pool worker): it warms up while idle,
/// and takes its task's environment from <see cref="Protocol.Worker.StartTask"/> instead of from its own start.
/// </summary>
internal static class PoolWorker
{
    /// <summary>
    /// Pays, on a throwaway echo pipeline, what a fresh process pays on its first start: loading the component
    /// assemblies and JIT-compiling settings parsing, validation, graph building and one object's run. Touches no
    /// task state (no counters, no events), so nothing of it can show in the task that comes next.
    /// </summary>
    public static async Task WarmUpAsync(CancellationToken cancellationToken)
    {
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject
                {
                    ["id"] = "response_1",
                    ["provider"] = "response",
                    ["config"] = new JsonObject(),
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
                }),
            ["source"] = "webhook_1",
        };
        var settings = WorkerStartSettings.FromMessage(new WorkerStartSettings(pipeline, "webhook_1", 1, new ComponentEnvironment(), null).ToMessage());
        var catalog = ComponentCatalog.CreateDefault();
        var definition = new PipelineValidator(catalog).Validate(settings.Pipeline, settings.Source).Definition
            ?? throw new WorkerException("The warm-up pipeline is invalid");
        var graph = PipelineGraph.Build(definition, catalog, settings.Environment);
        var run = graph.Begin(new ObjectContext("warm-up.txt", "text/plain", Guid.NewGuid().ToString("D"), []), Unobserved.Instance);
        await run.WriteAsync("warm-up"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await run.CloseAsync(cancellationToken).ConfigureAwait(false);
        run.Context.Result.WriteTo([]);
    }

    /// <summary>
    /// Makes this process's environment exactly <paramref name="variables"/>, as if it had been started with them,
    /// so the programs the task runs inherit what a worker started for the task would have given them.
    /// </summary>
    public static void UseEnvironment(IReadOnlyDictionary<string, string> variables)
    {
        foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>().ToList())
        {
            if (!variables.ContainsKey(name))
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }

        foreach (var (name, value) in variables)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    private sealed class Unobserved : IRunObserver
    {
        public static readonly Unobserved Instance = new();

        public void Warn(string componentId, string message)
        {
        }

        public void Count(string counter, long amount)
        {
        }

        public void FileWritten(string name, long size, string contentType)
        {
        }
    }
}
