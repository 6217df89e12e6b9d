using System.Threading.Channels;

namespace PipelineHost.Client;

/// <summary>One <see cref="PipelineHostClient.MonitorAsync"/> enumeration: what it wants and the queue it reads.</summary>
internal sealed class EventSubscription
{
    /// <summary>
    /// Events waiting for a slow reader. Beyond this the oldest are dropped: blocking would stall the receive loop
    /// and with it every response on the connection, and status updates supersede each other anyway.
    /// </summary>
    public const int Capacity = 4096;

    private readonly Channel<PipelineEvent> _queue = Channel.CreateBounded<PipelineEvent>(new BoundedChannelOptions(Capacity)
    {
        FullMode = BoundedChannelFullMode.DropOldest,
        SingleReader = true,
    });

    private readonly string? _taskIdPrefix;

    public EventSubscription(string key, EventTypes types)
    {
        Key = key;
        Types = types;
        _taskIdPrefix = key == MonitorRegistry.AllTasks ? null : ShortToken(key) + ".";
    }

    /// <summary>The task token, or <c>*</c> for every task.</summary>
    public string Key { get; }

    public EventTypes Types { get; }

    public ChannelReader<PipelineEvent> Reader => _queue.Reader;

    /// <summary>
    /// True when the event is of a wanted class and about the subscribed task. Events name their task by short id
    /// (<c>__id</c>: the token's first 8 characters after <c>tk_</c>, a dot, the source); server-wide events
    /// (empty id) went out because of some subscription of ours, so every subscription of their class gets them.
    /// </summary>
    public bool Wants(PipelineEvent evt, EventTypes eventClass) =>
        (eventClass == EventTypes.None || (Types & eventClass) != 0)
        && (_taskIdPrefix is null || evt.TaskId.Length == 0 || evt.TaskId.StartsWith(_taskIdPrefix, StringComparison.Ordinal));

    public void Offer(PipelineEvent evt) => _queue.Writer.TryWrite(evt);

    public void Complete(Exception? error = null) => _queue.Writer.TryComplete(error);

    private static string ShortToken(string token)
    {
        var bare = token.StartsWith("tk_", StringComparison.Ordinal) || token.StartsWith("pk_", StringComparison.Ordinal) ? token[3..] : token;
        return bare.Length > 8 ? bare[..8] : bare;
    }
}
