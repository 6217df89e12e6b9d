using System.Collections.Concurrent;

namespace PipelineHost.Server.Connections;

/// <summary>The live connections of this host, for event delivery and the dashboard.</summary>
public sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<string, IClientConnection> _connections = new(StringComparer.Ordinal);

    /// <summary>Connections open now.</summary>
    public IEnumerable<IClientConnection> All => _connections.Values;

    /// <summary>How many are open.</summary>
    public int Count => _connections.Count;

    /// <summary>Event delivery counts over every connection, past and present.</summary>
    public EventDeliveryStats Stats { get; } = new();

    internal void Add(IClientConnection connection) => _connections[connection.Id] = connection;

    internal void Remove(IClientConnection connection) => _connections.TryRemove(connection.Id, out _);
}
