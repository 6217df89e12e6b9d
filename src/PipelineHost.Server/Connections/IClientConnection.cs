using PipelineHost.Engine.Security;
using PipelineHost.Protocol;

namespace PipelineHost.Server.Connections;

/// <summary>What command handlers may know and do about the connection a request came on.</summary>
public interface IClientConnection
{
    /// <summary>A short unique id, used in logs and dashboard events.</summary>
    string Id { get; }

    /// <summary>The authenticated caller, or null before <c>auth</c>.</summary>
    Caller? Caller { get; }

    /// <summary>The client's self-reported name (<c>clientName</c> on auth).</summary>
    string? ClientName { get; }

    /// <summary>The client's self-reported version.</summary>
    string? ClientVersion { get; }

    /// <summary>When the connection was accepted.</summary>
    DateTimeOffset ConnectedAt { get; }

    /// <summary>Cancelled when the connection closes.</summary>
    CancellationToken Closed { get; }

    /// <summary>What this connection subscribed to with <c>rrext_monitor</c>.</summary>
    Events.ConnectionSubscriptions Subscriptions { get; }

    /// <summary>Queues an event; see <see cref="ConnectionOutbox.Send(EventMessage, string?)"/>.</summary>
    bool SendEvent(EventMessage evt, string? coalesceKey = null);

    /// <summary>Registers something to dispose when the connection closes (open file handles, pipes).</summary>
    void OnClose(Func<ValueTask> cleanup);
}
