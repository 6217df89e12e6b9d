namespace PipelineHost.Server.Events;

/// <summary>
/// The reference's subscription keys: <c>*</c> (every task the caller may see, plus server events),
/// <c>p.&lt;project&gt;.&lt;source&gt;</c> (a token subscription is normalised to this),
/// <c>p.&lt;project&gt;.*</c> and <c>p.&lt;project&gt;.&lt;source&gt;.&lt;pipe&gt;</c> (SSE of one pipe).
/// </summary>
internal static class SubscriptionKey
{
    public const string All = "*";

    public static string For(string projectId, string source, int? pipeId = null) =>
        pipeId is { } pipe
            ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p.{projectId}.{source}.{pipe}")
            : $"p.{projectId}.{source}";

    /// <summary>The keys an event of this task (and pipe) matches.</summary>
    public static IEnumerable<string> Matching(string projectId, string source, int? pipeId)
    {
        yield return All;
        yield return $"p.{projectId}.*";
        yield return For(projectId, source);
        if (pipeId is not null)
        {
            yield return For(projectId, source, pipeId);
        }
    }
}

/// <summary>One connection's subscriptions: key → mask. Thread-safe.</summary>
public sealed class ConnectionSubscriptions
{
    private readonly Dictionary<string, Protocol.Events.EventTypes> _masks = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Replaces the mask of <paramref name="key"/> (none removes it); returns the previous mask.</summary>
    public Protocol.Events.EventTypes Set(string key, Protocol.Events.EventTypes mask)
    {
        lock (_lock)
        {
            _masks.TryGetValue(key, out var previous);
            if (mask == Protocol.Events.EventTypes.None)
            {
                _masks.Remove(key);
            }
            else
            {
                _masks[key] = mask;
            }

            return previous;
        }
    }

    /// <summary>The OR of the masks of every key in <paramref name="keys"/>.</summary>
    public Protocol.Events.EventTypes MaskFor(IEnumerable<string> keys)
    {
        lock (_lock)
        {
            if (_masks.Count == 0)
            {
                return Protocol.Events.EventTypes.None;
            }

            var mask = Protocol.Events.EventTypes.None;
            foreach (var key in keys)
            {
                if (_masks.TryGetValue(key, out var bits))
                {
                    mask |= bits;
                }
            }

            return mask;
        }
    }

    /// <summary>True when nothing is subscribed.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _masks.Count == 0;
            }
        }
    }

    /// <summary>A copy of the current subscriptions.</summary>
    public IReadOnlyDictionary<string, Protocol.Events.EventTypes> Snapshot()
    {
        lock (_lock)
        {
            return new Dictionary<string, Protocol.Events.EventTypes>(_masks, StringComparer.Ordinal);
        }
    }
}
