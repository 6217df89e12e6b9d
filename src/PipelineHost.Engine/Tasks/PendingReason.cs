using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// Why a task that has not started is not running yet (issue 20): status <c>pendingReason</c> and its details
/// <c>pending</c>. Every field of both is written here and nowhere else.
/// </summary>
public static class PendingReason
{
    /// <summary>Waiting in the host's queue: every task slot is taken.</summary>
    public const string QueueFull = "queue_full";

    /// <summary>Holding a slot; its worker process is being started or is loading the pipeline.</summary>
    public const string WaitingForWorker = "waiting_for_worker";

    /// <summary>Running, but its only work is an item waiting for its retry's backoff.</summary>
    public const string RetryBackoff = "retry_backoff";

    /// <summary>
    /// The reason (null when the task is not waiting) and its details: <c>{position, slotsInUse, slots,
    /// estimatedStartAt}</c> for <see cref="QueueFull"/>, <c>{since}</c> for <see cref="WaitingForWorker"/>,
    /// <c>{nextAttemptAt}</c> for <see cref="RetryBackoff"/>.
    /// </summary>
    internal static (string? Reason, JsonObject? Details) Of(PipelineTask task, JsonObject counts, int position, QueueStats stats)
    {
        if (task.State.IsTerminal())
        {
            return (null, null);
        }

        if (position > 0)
        {
            var estimate = task.LaunchRate?.EstimateStart(position);
            return (QueueFull, new JsonObject
            {
                ["position"] = position,
                ["slotsInUse"] = stats.Active,
                ["slots"] = task.Admission?.Limit ?? 0,
                ["estimatedStartAt"] = TaskOutcome.IsoTime(estimate),
            });
        }

        if (task.State is TaskState.None or TaskState.Starting or TaskState.Initializing && !task.StopRequested)
        {
            return (WaitingForWorker, new JsonObject { ["since"] = TaskOutcome.IsoTime(task.StartedAt ?? task.CreatedAt) });
        }

        var busy = counts[TaskStatusWriter.ByPipeKey] is JsonObject byPipe && byPipe.Any(p => p.Value is JsonArray { Count: > 0 });
        return task.State == TaskState.Running && !busy && counts["nextProcessAt"] is JsonValue next && next.TryGetValue(out string? at)
            ? (RetryBackoff, new JsonObject { ["nextAttemptAt"] = at })
            : (null, null);
    }
}

/// <summary>
/// The host's recent launch rate: when the last tasks took a slot, to estimate when a queued task will
/// (<c>pending.estimatedStartAt</c>). Thread-safe; keeps the last <see cref="Kept"/> launches.
/// </summary>
public sealed class LaunchRate(TimeProvider time)
{
    private const int Kept = 32;
    private readonly Queue<DateTimeOffset> _launches = new();
    private readonly Lock _lock = new();

    /// <summary>Records a task taking a slot at <paramref name="at"/>.</summary>
    public void Record(DateTimeOffset at)
    {
        lock (_lock)
        {
            _launches.Enqueue(at);
            while (_launches.Count > Kept)
            {
                _launches.Dequeue();
            }
        }
    }

    /// <summary>
    /// When the task at queue <paramref name="position"/> should start if slots keep freeing at the recent rate
    /// (launches per second over the kept launches, up to now); null until two launches were seen.
    /// </summary>
    public DateTimeOffset? EstimateStart(int position)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_launches.Count < 2)
            {
                return null;
            }

            var span = (now - _launches.Peek()).TotalSeconds;
            if (span <= 0)
            {
                return null;
            }

            var perSecond = (_launches.Count - 1) / span;
            return now + TimeSpan.FromSeconds(position / perSecond);
        }
    }
}
