using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// Counts every error of a run by message (status <c>errorSummary</c>), where <c>errors</c> keeps only the last
/// 50. Bounded: at most <see cref="MaxMessages"/> distinct messages of at most <see cref="MaxMessageLength"/>
/// characters are counted exactly; once the table is full, errors with a message not in it are counted together
/// under <see cref="OtherMessages"/>. Not thread-safe: <see cref="PipelineTask"/> guards it with its lock.
/// </summary>
internal sealed class TaskErrorSummary
{
    /// <summary>Distinct messages counted exactly.</summary>
    public const int MaxMessages = 1000;

    /// <summary>Longer messages are cut to this many characters (and counted as the cut text).</summary>
    public const int MaxMessageLength = 500;

    /// <summary>How many entries the status shows.</summary>
    public const int Top = 10;

    /// <summary>The entry of errors whose message arrived after the table was full.</summary>
    public const string OtherMessages = "(other messages)";

    private readonly Dictionary<string, Entry> _counts = new(StringComparer.Ordinal);
    private long _other;
    private long _sequence;

    /// <summary>Counts one error.</summary>
    public void Add(string message)
    {
        if (message.Length > MaxMessageLength)
        {
            message = message[..MaxMessageLength];
        }

        if (_counts.TryGetValue(message, out var entry))
        {
            entry.Count++;
        }
        else if (_counts.Count < MaxMessages)
        {
            _counts[message] = new Entry(_sequence++);
        }
        else
        {
            _other++;
        }
    }

    /// <summary>Forgets everything (a restart begins a new run).</summary>
    public void Clear()
    {
        _counts.Clear();
        _other = 0;
        _sequence = 0;
    }

    /// <summary><c>[{message, count}]</c>: the <see cref="Top"/> largest counts, ties in the order first seen.</summary>
    public JsonArray ToJson()
    {
        var entries = _counts.Select(e => (Message: e.Key, e.Value.Count, e.Value.FirstSeen));
        if (_other > 0)
        {
            entries = entries.Append((OtherMessages, _other, long.MaxValue));
        }

        return new JsonArray(entries
            .OrderByDescending(e => e.Count)
            .ThenBy(e => e.FirstSeen)
            .Take(Top)
            .Select(e => (JsonNode)new JsonObject { ["message"] = e.Message, ["count"] = e.Count })
            .ToArray());
    }

    private sealed class Entry(long firstSeen)
    {
        public long FirstSeen { get; } = firstSeen;

        public long Count { get; set; } = 1;
    }
}
