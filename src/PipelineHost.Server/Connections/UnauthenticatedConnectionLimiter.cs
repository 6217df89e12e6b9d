using System.Net;

namespace PipelineHost.Server.Connections;

/// <summary>
/// Caps sockets that have not authenticated yet, per IP and in total, so a flood of idle upgrades cannot
/// exhaust the server. A slot is taken at upgrade and given back on successful auth or disconnect.
/// </summary>
public sealed class UnauthenticatedConnectionLimiter(int perIp, int maxIps)
{
    private readonly Dictionary<IPAddress, int> _counts = [];
    private readonly Lock _lock = new();

    /// <summary>Takes a slot for <paramref name="address"/> unless the caps are reached.</summary>
    public bool TryAcquire(IPAddress address)
    {
        lock (_lock)
        {
            _counts.TryGetValue(address, out var count);
            if (count >= perIp || (count == 0 && _counts.Count >= maxIps))
            {
                return false;
            }

            _counts[address] = count + 1;
            return true;
        }
    }

    /// <summary>Takes a slot without checking the caps (a <c>deauth</c> returns a socket to the pool).</summary>
    public void Acquire(IPAddress address)
    {
        lock (_lock)
        {
            _counts[address] = _counts.GetValueOrDefault(address) + 1;
        }
    }

    /// <summary>Gives a slot back.</summary>
    public void Release(IPAddress address)
    {
        lock (_lock)
        {
            if (_counts.TryGetValue(address, out var count))
            {
                if (count <= 1)
                {
                    _counts.Remove(address);
                }
                else
                {
                    _counts[address] = count - 1;
                }
            }
        }
    }
}
