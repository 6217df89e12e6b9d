using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sinks;

/// <summary>Discards everything: for pipelines run only for their counters and side effects.</summary>
public sealed class NullSinkProvider : IComponentProvider
{
    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: "null",
        Title: "Discard",
        Description: "Accepts any lane and drops it.",
        ClassTypes: ["sink"],
        Lanes: LaneNames.All.ToDictionary(l => l, _ => (IReadOnlyList<string>)[], StringComparer.Ordinal),
        ConfigSchema: new JsonObject { ["type"] = "object" });

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment) => Discard.Instance;

    private sealed class Discard : IComponent, IObjectProcessor
    {
        public static readonly Discard Instance = new();

        public IObjectProcessor Begin(ObjectContext context) => this;

        public ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken) =>
            ValueTask.CompletedTask;

        public ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
