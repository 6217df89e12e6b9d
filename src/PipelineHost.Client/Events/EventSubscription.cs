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

    private readonly string? _taskId;

    /// <param name="key">The task token, or <c>*</c>.</param>
    /// <param name="types">The event classes wanted.</param>
    /// <param name="taskId">The subscribed task's short id, when the caller could read it; null takes every event of the key.</param>
    public EventSubscription(string key, EventTypes types, string? taskId)
    {
        Key = key;
        Types = types;
        _taskId = key == MonitorRegistry.AllTasks || string.IsNullOrEmpty(taskId) ? null : taskId;
    }

    /// <summary>The task token, or <c>*</c> for every task.</summary>
    public string Key { get; }

    public EventTypes Types { get; }

    public ChannelReader<PipelineEvent> Reader => _queue.Reader;

    /// <summary>
    /// True when the event is of a wanted class and about the subscribed task. Events name their task by short id
    /// (<c>__id</c>, random and unrelated to the token, so it is read from the task's status when subscribing);
    /// server-wide events (empty id) went out because of some subscription of ours, so every subscription of their
    /// class gets them.
    /// </summary>
    public bool Wants(PipelineEvent evt, EventTypes eventClass) =>
        (eventClass == EventTypes.None || (Types & eventClass) != 0)
        && (_taskId is null || evt.TaskId.Length == 0 || string.Equals(evt.TaskId, _taskId, StringComparison.Ordinal));

    /// <summary>True when <paramref name="evt"/> is an event of the subscribed task (whatever its class).</summary>
    public bool IsAbout(PipelineEvent evt) =>
        evt.TaskId.Length > 0 && (_taskId is null || string.Equals(evt.TaskId, _taskId, StringComparison.Ordinal));

    public void Offer(PipelineEvent evt) => _queue.Writer.TryWrite(evt);

    public void Complete(Exception? error = null) => _queue.Writer.TryComplete(error);
}
