using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Events;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Events;

/// <summary>
/// Turns task events into protocol events and delivers them to every connection whose subscriptions and
/// rights match. Status updates go out at every state change and at most once a second per task otherwise;
/// each connection's outbox coalesces a task's queued status updates, so a slow reader never slows a task or
/// anyone else. Every event of a task is numbered (<c>__seq</c>) and journalled under the task's
/// <see cref="EventJournal.Gate"/>, so a subscriber can resume after the last event it saw (<see cref="Subscribe"/>).
/// </summary>
public sealed partial class EventHub : ITaskObserver, IDisposable
{
    private readonly ConnectionRegistry _connections;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, PipelineTask> _dirty = new(StringComparer.Ordinal);
    private readonly ITimer _timer;

    // Keyed by the task object: a task's journal goes when the task leaves the registry, with no hook to forget it.
    private readonly ConditionalWeakTable<PipelineTask, EventJournal> _journals = new();
    private readonly int _journalSize;

    /// <summary>Creates the hub; changed statuses are published every <see cref="ServerOptions.StatusInterval"/>.</summary>
    public EventHub(ConnectionRegistry connections, TimeProvider time, ServerOptions options)
    {
        _connections = connections;
        _time = time;
        _journalSize = options.EventJournalSize;
        _timer = time.CreateTimer(_ => FlushStatuses(), null, options.StatusInterval, options.StatusInterval);
    }

    /// <summary>The body field of every task event that numbers it within its task (1, 2, 3…); see protocol-spec/tasks.md §5.</summary>
    public const string SeqField = "__seq";

    /// <summary>Events whose delivery was refused because a connection fell behind (it is closed).</summary>
    public long Dropped => _connections.Stats.Dropped;

    /// <inheritdoc />
    public void OnTaskEvent(TaskEvent taskEvent)
    {
        var task = taskEvent.Task;
        switch (taskEvent)
        {
            case TaskStatusChanged { StateChanged: true }:
                // Every state must reach every subscriber: state changes are never coalesced away.
                _dirty.TryRemove(task.Token, out _);
                PublishStatus(task, coalesce: false);
                break;
            case TaskStatusChanged:
                _dirty[task.Token] = task;
                break;
            case TaskLifecycle lifecycle:
                Publish(task, EventTypes.Task, () => TaskEvent(task, lifecycle.Action));
                if (lifecycle.Action == "end" && task.ExitCode is { } code && code != 0)
                {
                    PublishDashboard("task_error", new JsonObject { ["taskId"] = task.Id, ["exitCode"] = code, ["exitMessage"] = task.ExitMessage }, task.Identity.UserId);
                }

                break;
            case TaskDetail detail:
                Publish(task, EventTypes.Detail, () => new EventMessage(detail.EventName, WithId(detail.Body, task.Id)));
                break;
            case TaskFlow flow:
                Publish(task, EventTypes.Flow, () => FlowEvent(task, flow.Record));
                break;
            case TaskSse sse:
                Publish(task, EventTypes.Sse, () => new EventMessage("apaevt_sse", WithId((JsonObject)sse.Body.DeepClone(), task.Id)), pipeId: sse.PipeId);
                break;
            case TaskOutput output:
                Publish(task, EventTypes.Output, () => new EventMessage("output", new JsonObject
                {
                    ["category"] = "console",
                    ["output"] = output.Line + "\n",
                    ["__id"] = task.Id,
                }));
                break;
        }
    }

    /// <summary>An <c>apaevt_status_update</c> for <paramref name="task"/>.</summary>
    public static EventMessage StatusEvent(PipelineTask task) => new("apaevt_status_update", WithId(task.Status(), task.Id));

    /// <summary>An <c>apaevt_flow</c>: the worker's record <c>{id, op, pipes, trace}</c> with the task's project and source.</summary>
    private static EventMessage FlowEvent(PipelineTask task, JsonObject record)
    {
        var body = (JsonObject)record.DeepClone();
        body["project_id"] = task.Identity.ProjectId;
        body["source"] = task.Identity.Source;
        return new EventMessage("apaevt_flow", WithId(body, task.Id));
    }

    /// <summary>An <c>apaevt_task</c> for one action, with the id both in the body and at the top level.</summary>
    public static EventMessage TaskEvent(PipelineTask task, string action) => new("apaevt_task", new JsonObject
    {
        ["action"] = action,
        ["name"] = task.Identity.Name,
        ["projectId"] = task.Identity.ProjectId,
        ["source"] = task.Identity.Source,
        ["__id"] = task.Id,
    })
    { Id = task.Id };

    /// <summary>Sends an <c>apaevt_dashboard</c> to DASHBOARD subscribers of <c>*</c> (of <paramref name="userId"/> when given).</summary>
    public void PublishDashboard(string action, JsonObject body, string? userId)
    {
        body["action"] = action;
        body["timestamp"] = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        body["__id"] = string.Empty;
        var message = new EventMessage("apaevt_dashboard", body);
        foreach (var connection in _connections.All)
        {
            if (connection.Caller is { IsTaskScoped: false } caller
                && (userId is null || caller.UserId == userId)
                && connection.Subscriptions.MaskFor([SubscriptionKey.All]).HasFlag(EventTypes.Dashboard))
            {
                Deliver(connection, message, null);
            }
        }
    }

    private void FlushStatuses()
    {
        foreach (var token in _dirty.Keys)
        {
            if (_dirty.TryRemove(token, out var task))
            {
                PublishStatus(task, coalesce: true);
            }
        }
    }

    private void PublishStatus(PipelineTask task, bool coalesce) =>
        Publish(task, EventTypes.Summary, () => StatusEvent(task), coalesceKey: coalesce ? "status:" + task.Token : null);

    private void Publish(PipelineTask task, EventTypes type, Func<EventMessage> build, string? coalesceKey = null, int? pipeId = null)
    {
        var keys = SubscriptionKey.Matching(task.Identity.ProjectId, task.Identity.Source, pipeId).ToArray();
        var needed = type == EventTypes.Sse ? Permissions.Data : Permissions.Monitor;
        var journal = JournalOf(task);
        lock (journal.Gate)
        {
            var seq = journal.Next();
            var finalStatus = type == EventTypes.Summary && task.State.IsTerminal();
            EventMessage? message = null;
            foreach (var connection in _connections.All)
            {
                if (connection.Subscriptions.IsEmpty
                    || connection.Caller is not { } caller
                    || (connection.Subscriptions.MaskFor(keys) & type) == 0
                    || !caller.CanAccess(task.Token, needed))
                {
                    continue;
                }

                // Built once, for the first interested connection only; shared read-only after that, and encoded
                // once per codec rather than once per connection.
                message ??= Numbered(build(), seq).WithSharedEncoding();
                Deliver(connection, message, coalesceKey);
            }

            if (journal.KeepsEvents || finalStatus)
            {
                journal.Append(new JournalEntry(seq, type, pipeId, message ?? Numbered(build(), seq).WithSharedEncoding()), finalStatus, periodicStatus: coalesceKey is not null);
            }
        }
    }

    /// <summary>
    /// Sets <paramref name="connection"/>'s subscription <paramref name="key"/> of <paramref name="task"/> to
    /// <paramref name="mask"/> and, before any later event of the task can reach it, queues either what it missed after
    /// <paramref name="sinceSeq"/> (kept events it would have received, <c>apaevt_gap</c> for ranges no longer kept) or,
    /// without <paramref name="sinceSeq"/>, the current status when SUMMARY is newly set (or <paramref name="statusFirst"/>).
    /// Returns the previous mask.
    /// </summary>
    public EventTypes Subscribe(IClientConnection connection, PipelineTask task, string key, int? pipeId, EventTypes mask, long? sinceSeq, bool statusFirst = false)
    {
        var journal = JournalOf(task);
        lock (journal.Gate)
        {
            var previous = connection.Subscriptions.Set(key, mask);
            if (sinceSeq is { } since)
            {
                journal.Replay(
                    since,
                    entry =>
                    {
                        if ((entry.Class & mask) != 0
                            && (pipeId is null || entry.PipeId == pipeId)
                            && connection.Caller is { } caller
                            && caller.CanAccess(task.Token, entry.Class == EventTypes.Sse ? Permissions.Data : Permissions.Monitor))
                        {
                            connection.SendEvent(entry.Message);
                        }
                    },
                    (from, to) => connection.SendEvent(GapEvent(task, from, to)));
            }
            else if (statusFirst || (mask & ~previous).HasFlag(EventTypes.Summary))
            {
                // The snapshot reflects every event so far: resuming after it starts with the next one.
                connection.SendEvent(Numbered(StatusEvent(task), journal.LastSeq));
            }

            return previous;
        }
    }

    /// <summary>An <c>apaevt_gap</c>: the task's events <paramref name="from"/>..<paramref name="to"/> are no longer kept.</summary>
    private static EventMessage GapEvent(PipelineTask task, long from, long to) => Numbered(
        new EventMessage("apaevt_gap", new JsonObject { ["from"] = from, ["to"] = to, ["__id"] = task.Id }), to);

    private EventJournal JournalOf(PipelineTask task) =>
        _journals.TryGetValue(task, out var journal) ? journal : _journals.GetValue(task, _ => new EventJournal(_journalSize));

    private static EventMessage Numbered(EventMessage message, long seq)
    {
        message.Body[SeqField] = seq;
        return message;
    }

    private void Deliver(IClientConnection connection, EventMessage message, string? coalesceKey)
    {
        if (!connection.SendEvent(message, coalesceKey))
        {
            _connections.Stats.CountDropped();
        }
    }

    private static JsonObject WithId(JsonObject body, string id)
    {
        body["__id"] = id;
        return body;
    }

    /// <inheritdoc />
    public void Dispose() => _timer.Dispose();
}
