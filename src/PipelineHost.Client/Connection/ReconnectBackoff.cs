namespace PipelineHost.Client;

/// <summary>
/// The RocketRide SDKs' reconnect schedule: wait 250 ms, then 250 ms longer after every failed attempt, never more
/// than 15 s. Linear rather than exponential so a briefly restarted server is found again quickly.
/// </summary>
internal sealed class ReconnectBackoff
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(250);
    public static readonly TimeSpan Maximum = TimeSpan.FromSeconds(15);

    private int _failures;

    /// <summary>The delay before the next attempt; each call counts one more failure.</summary>
    public TimeSpan Next()
    {
        var delay = Step * (_failures + 1);
        if (delay < Maximum)
        {
            _failures++;
            return delay;
        }

        return Maximum;
    }

    /// <summary>Starts over after a successful connection.</summary>
    public void Reset() => _failures = 0;
}
