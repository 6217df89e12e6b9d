using PipelineHost.Protocol;
using PipelineHost.Protocol.Events;

namespace PipelineHost.Server.Events;

/// <summary>
/// One journalled event: its per-task <paramref name="Seq"/>, and its class and pipe, so that a replay sends only
/// what the subscription would have received live.
/// </summary>
internal sealed record JournalEntry(long Seq, EventTypes Class, int? PipeId, EventMessage Message);

/// <summary>
/// One task's numbered events: the per-task sequence (<c>__seq</c>) and the last <c>capacity</c> events, plus the
/// task's final status even when newer events pushed it out, so a client that lost its connection can ask for what
/// came after the last event it saw. A periodic status update replaces the previous periodic one, as it does in a
/// connection's send queue (a status is a full snapshot): a long task's journal holds its other events, not hours of
/// statuses. Every member is used under <see cref="Gate"/>, which the hub also holds while it delivers the task's
/// events: a subscription made under it sees each event either in the replay or live, never both.
/// </summary>
internal sealed class EventJournal(int capacity)
{
    private readonly LinkedList<JournalEntry> _kept = new();
    private LinkedListNode<JournalEntry>? _periodicStatus;
    private JournalEntry? _final;
    private long _evictedThrough; // every seq up to here is gone (or superseded); after it, kept or superseded

    /// <summary>Held while numbering, keeping and delivering one of the task's events, and while subscribing to them.</summary>
    public Lock Gate { get; } = new();

    /// <summary>The seq of the task's latest event; 0 before the first.</summary>
    public long LastSeq { get; private set; }

    /// <summary>False when the journal keeps nothing but the final status (<c>--event-journal-size 0</c>).</summary>
    public bool KeepsEvents => capacity > 0;

    /// <summary>Numbers the next event.</summary>
    public long Next() => ++LastSeq;

    /// <summary>
    /// Keeps <paramref name="entry"/>, dropping the oldest beyond the capacity; a final status is kept anyway, and a
    /// <paramref name="periodicStatus"/> replaces the previous periodic one.
    /// </summary>
    public void Append(JournalEntry entry, bool finalStatus, bool periodicStatus)
    {
        if (finalStatus)
        {
            _final = entry;
        }

        if (capacity == 0)
        {
            return;
        }

        if (periodicStatus && _periodicStatus is { List: not null } superseded)
        {
            _kept.Remove(superseded);
        }

        var node = _kept.AddLast(entry);
        if (periodicStatus)
        {
            _periodicStatus = node;
        }

        if (_kept.Count > capacity)
        {
            _evictedThrough = _kept.First!.Value.Seq;
            _kept.RemoveFirst();
        }
    }

    /// <summary>
    /// Walks what came after <paramref name="sinceSeq"/> in order: each kept entry, and each range that is no longer
    /// kept as one <paramref name="gap"/> (first and last seq). A <paramref name="sinceSeq"/> beyond the last seq (a
    /// journal that started over) is read as 0.
    /// </summary>
    public void Replay(long sinceSeq, Action<JournalEntry> entry, Action<long, long> gap)
    {
        var next = sinceSeq > LastSeq ? 1 : sinceSeq + 1;
        var evictedThrough = capacity == 0 ? LastSeq : _evictedThrough;
        if (_final is { } final && final.Seq >= next && final.Seq <= evictedThrough)
        {
            if (final.Seq > next)
            {
                gap(next, final.Seq - 1);
            }

            entry(final);
            next = final.Seq + 1;
        }

        if (evictedThrough >= next)
        {
            gap(next, evictedThrough);
            next = evictedThrough + 1;
        }

        foreach (var kept in _kept)
        {
            if (kept.Seq >= next)
            {
                entry(kept);
            }
        }
    }
}
