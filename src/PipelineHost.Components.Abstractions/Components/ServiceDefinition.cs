using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components;

/// <summary>Whether a source runs until stopped (objects arrive from clients) or finishes by itself.</summary>
public enum SourceKind
{
    /// <summary>Not a source.</summary>
    None,
    /// <summary>Objects arrive through <c>rrext_process</c> / HTTP; the task runs until terminated or idle.</summary>
    Service,
    /// <summary>The source produces its own objects and the task completes when they are done.</summary>
    Batch,
}

/// <summary>
/// What a provider publishes about itself: the catalogue entry of <c>rrext_services</c> and the facts the
/// validator checks a pipeline against.
/// </summary>
/// <param name="Name">Provider name as used in <c>component.provider</c>.</param>
/// <param name="Title">Short human title.</param>
/// <param name="Description">One or two sentences.</param>
/// <param name="ClassTypes">RocketRide class types, e.g. <c>source</c>, <c>transform</c>, <c>sink</c>.</param>
/// <param name="Lanes">Input lane → output lanes. A source uses <see cref="Lanes.LaneNames.SourceInput"/> as its input.</param>
/// <param name="ConfigSchema">JSON Schema for <c>config</c>, checked by the host before <see cref="IComponentProvider.Create"/>.</param>
public sealed record ServiceDefinition(
    string Name,
    string Title,
    string Description,
    IReadOnlyList<string> ClassTypes,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Lanes,
    JsonObject ConfigSchema)
{
    /// <summary>Source behaviour; <see cref="SourceKind.None"/> for transforms and sinks.</summary>
    public SourceKind Source { get; init; }

    /// <summary>Free-form capability names, e.g. <c>streaming</c>.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>An example component entry for the docs and the catalogue.</summary>
    public JsonObject? Example { get; init; }

    /// <summary>Every lane this component can emit.</summary>
    public IEnumerable<string> OutputLanes => Lanes.Values.SelectMany(v => v).Distinct(StringComparer.Ordinal);
}
