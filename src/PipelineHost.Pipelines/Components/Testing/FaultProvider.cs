using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Testing;

/// <summary>
/// A test-only component that misbehaves on purpose: fails the object, exits the worker with a code, crashes
/// it, holds the object mid-pipeline, or keeps the worker alive after it was told to stop. Registered only when the host runs with test components enabled, so the lifecycle's failure
/// paths can be proved with a real worker process.
/// </summary>
public sealed class FaultProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "fault",
        Title: "Fault (tests only)",
        Description: "On the first write, by 'action': 'throw' fails the object, 'exit' ends the worker with exitCode, 'crash' aborts the worker process, 'block' holds the object here until the task stops, 'hang' passes the object on but keeps the worker process alive after a stop request (until it is killed).",
        ClassTypes: ["transform"],
        Lanes: LaneNames.All.ToDictionary(l => l, l => (IReadOnlyList<string>)[l], StringComparer.Ordinal),
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["action"] = new JsonObject { ["type"] = "string", ["enum"] = new JsonArray("throw", "exit", "crash", "block", "hang", "none") },
                ["exitCode"] = new JsonObject { ["type"] = "integer", ["minimum"] = 0, ["maximum"] = 255 },
                ["match"] = new JsonObject { ["type"] = "string" },
            },
        });

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => new Fault(
        config["action"]?.GetValue<string>() ?? "throw",
        config["exitCode"]?.GetValue<int>() ?? 3,
        config["match"] is JsonValue m && m.GetValueKind() == JsonValueKind.String ? m.GetValue<string>() : null);

    private sealed class Fault(string mode, int exitCode, string? match) : IComponent
    {
        public IObjectProcessor Begin(ObjectContext context) =>
            match is null || context.Name.Contains(match, StringComparison.Ordinal) ? new Processor(mode, exitCode) : new PassThrough();
    }

    private sealed class Processor(string mode, int exitCode) : IObjectProcessor
    {
        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            switch (mode)
            {
                case "block":
                    // Only a stop ends the wait: the object stays visibly inside this component until then.
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                    break;
                case "hang":
                    // A foreground thread keeps the process alive after its Main returns: a worker that does not
                    // stop when asked, which only the host's kill after the grace ends.
                    new Thread(() => Thread.Sleep(Timeout.Infinite)) { IsBackground = false, Name = "fault-hang" }.Start();
                    Console.Error.WriteLine("fault: this worker will not stop by itself");
                    break;
                case "exit":
                    Console.Error.WriteLine($"fault: exiting with code {exitCode}");
                    Environment.Exit(exitCode);
                    break;
                case "crash":
                    Environment.FailFast("fault: crashing on purpose");
                    break;
                case "throw":
                    throw new InvalidOperationException("fault: failing this object on purpose");
            }

            await output.EmitAsync(lane, payload, cancellationToken).ConfigureAwait(false);
        }

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class PassThrough : IObjectProcessor
    {
        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken) =>
            output.EmitAsync(lane, payload, cancellationToken);

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
