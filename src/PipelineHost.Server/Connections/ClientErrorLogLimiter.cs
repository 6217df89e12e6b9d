namespace PipelineHost.Server.Connections;

/// <summary>
/// A token bucket for log lines about client mistakes (malformed frames, refused requests): a client that sends
/// garbage as fast as it can must not be able to fill the disk with warnings. Lines over the budget are counted,
/// and the next line that is written reports how many were suppressed. One per server, shared by all connections.
/// </summary>
public sealed class ClientErrorLogLimiter
{
    private readonly TimeProvider _time;
    private readonly double _capacity;
    private readonly double _perSecond;
    private readonly Lock _lock = new();
    private double _tokens;
    private long _lastRefill;
    private long _suppressed;

    /// <summary>Creates a bucket of <paramref name="burst"/> lines refilled at <paramref name="perSecond"/> lines a second.</summary>
    public ClientErrorLogLimiter(TimeProvider time, int burst = 20, double perSecond = 5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(burst);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _time = time;
        _capacity = burst;
        _perSecond = perSecond;
        _tokens = burst;
        _lastRefill = time.GetTimestamp();
    }

    /// <summary>Lines suppressed in total since start.</summary>
    public long SuppressedTotal { get; private set; }

    /// <summary>
    /// True when a line may be written now; <paramref name="suppressed"/> is then the number of lines dropped since
    /// the last one written. False (and counted) when over budget.
    /// </summary>
    public bool TryAcquire(out long suppressed)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            _tokens = Math.Min(_capacity, _tokens + (_time.GetElapsedTime(_lastRefill, now).TotalSeconds * _perSecond));
            _lastRefill = now;
            if (_tokens < 1)
            {
                _suppressed++;
                SuppressedTotal++;
                suppressed = 0;
                return false;
            }

            _tokens--;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
