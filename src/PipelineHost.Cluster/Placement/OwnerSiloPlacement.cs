using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace PipelineHost.Cluster.Placement;

/// <summary>
/// Places a grain on the silo its key names (the key starts with the silo's parsable address, <see cref="OwnerKey"/>),
/// the host whose process holds what the grain answers for. When that silo is gone the grain is placed here instead,
/// where it can only say so.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("PipelineHost.OwnerSiloPlacement")]
public sealed class OwnerSiloPlacement : PlacementStrategy
{
    /// <summary>The one instance.</summary>
    public static OwnerSiloPlacement Instance { get; } = new();
}

/// <summary>Marks a grain class as placed by <see cref="OwnerSiloPlacement"/>.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class OwnerSiloPlacementAttribute : PlacementAttribute
{
    /// <summary>Creates the attribute.</summary>
    public OwnerSiloPlacementAttribute()
        : base(OwnerSiloPlacement.Instance)
    {
    }
}

/// <summary>The placement director of <see cref="OwnerSiloPlacement"/>.</summary>
internal sealed class OwnerSiloPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        if (OwnerKey.SiloOf(target.GrainIdentity.Key.ToString()) is { } owner && silos.Contains(owner))
        {
            return Task.FromResult(owner);
        }

        return Task.FromResult(silos.Contains(context.LocalSilo) ? context.LocalSilo : silos[0]);
    }
}

/// <summary>Grain keys that name their owner silo: <c>silo</c> alone, or <c>silo/name</c>.</summary>
public static class OwnerKey
{
    /// <summary>The key of <paramref name="name"/> owned by <paramref name="silo"/>.</summary>
    public static string Of(SiloAddress silo, string name)
    {
        ArgumentNullException.ThrowIfNull(silo);
        return silo.ToParsableString() + "/" + name;
    }

    /// <summary>The silo a key names; null when it names none.</summary>
    public static SiloAddress? SiloOf(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        try
        {
            return SiloAddress.FromParsableString(slash < 0 ? key : key[..slash]);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
