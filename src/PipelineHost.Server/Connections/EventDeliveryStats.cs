using System.Text.Json.Nodes;

namespace PipelineHost.Server.Connections;

/// <summary>
/// What happened to the events of every connection since the server started: written, replaced in a send
/// queue by a newer status of the same task, or refused because the connection fell hopelessly behind (it is
/// closed). Shown by <c>GET /status</c>; thread-safe.
/// </summary>
public sealed class EventDeliveryStats
{
    private long _sent;
    private long _coalesced;
    private long _dropped;

    /// <summary>Events written to a connection.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Queued status updates replaced by a newer one before they were written.</summary>
    public long Coalesced => Interlocked.Read(ref _coalesced);

    /// <summary>Events refused because their connection overflowed its send queue.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>The counts as <c>GET /status</c> shows them.</summary>
    public JsonObject ToJson() => new() { ["sent"] = Sent, ["coalesced"] = Coalesced, ["dropped"] = Dropped };

    internal void CountSent() => Interlocked.Increment(ref _sent);

    internal void CountCoalesced() => Interlocked.Increment(ref _coalesced);

    internal void CountDropped() => Interlocked.Increment(ref _dropped);
}
