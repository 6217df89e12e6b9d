using System.Globalization;

namespace PipelineHost.Engine.Tasks;

/// <summary>How a task ended (status field <c>exitReason</c>; Beam's COMPLETE/FAILED/CANCELLED/TIMEOUT/EXPIRED).</summary>
public enum ExitReason
{
    /// <summary>The worker finished by itself (state COMPLETED).</summary>
    Completed,

    /// <summary>The worker crashed, exited non-zero, or the task could not start.</summary>
    Failed,

    /// <summary>Someone stopped it: <c>terminate</c>, the idle TTL, the host stopping.</summary>
    Cancelled,

    /// <summary>It ran longer than its <c>timeout</c> and was stopped.</summary>
    Timeout,

    /// <summary>It waited in the queue longer than its <c>expires</c> and was removed without starting.</summary>
    Expired,

    /// <summary>Cluster mode: the host running it left the cluster (killed, cut off) before it ended.</summary>
    Lost,
    /// <summary>Its worker sent nothing for the heartbeat timeout while its process lived, and was killed.</summary>
    Unresponsive,
    /// <summary>It used more than one of its budgets (<c>maxTokens</c>, <c>maxCpuSeconds</c>, <c>maxMemoryMb</c>) and was stopped.</summary>
    Budget,
}

/// <summary>The wire words for a task's outcome: <c>exitReason</c> and the derived <c>statusName</c>.</summary>
public static class TaskOutcome
{
    /// <summary>The lowercase <c>exitReason</c> word.</summary>
    public static string ToWire(this ExitReason reason) => reason switch
    {
        ExitReason.Completed => "completed",
        ExitReason.Failed => "failed",
        ExitReason.Timeout => "timeout",
        ExitReason.Expired => "expired",
        ExitReason.Lost => "lost",
        ExitReason.Unresponsive => "unresponsive",
        ExitReason.Budget => "budget",
        _ => "cancelled",
    };

    /// <summary>Reads an <c>exitReason</c> word; null for anything else (including JSON null).</summary>
    public static ExitReason? ParseExitReason(string? wire) => wire switch
    {
        "completed" => ExitReason.Completed,
        "failed" => ExitReason.Failed,
        "cancelled" => ExitReason.Cancelled,
        "timeout" => ExitReason.Timeout,
        "expired" => ExitReason.Expired,
        "lost" => ExitReason.Lost,
        "unresponsive" => ExitReason.Unresponsive,
        "budget" => ExitReason.Budget,
        _ => null,
    };

    /// <summary>
    /// The DriveQuant/Flexprice-style <c>statusName</c>: <c>PENDING</c> (NONE, queued or not), <c>IN_PROGRESS</c>
    /// (STARTING to STOPPING), then <c>COMPLETED</c>, or for CANCELLED the reason's word: <c>FAILED</c>,
    /// <c>TIMEOUT</c>, <c>EXPIRED</c>, else <c>CANCELED</c> (one L, as those APIs spell it).
    /// </summary>
    public static string StatusName(TaskState state, ExitReason? reason) => state switch
    {
        TaskState.None => "PENDING",
        TaskState.Completed => "COMPLETED",
        TaskState.Cancelled => reason switch
        {
            ExitReason.Failed or ExitReason.Unresponsive => "FAILED",
            ExitReason.Timeout => "TIMEOUT",
            ExitReason.Expired => "EXPIRED",
            ExitReason.Budget => "BUDGET_EXCEEDED",
            _ => "CANCELED",
        },
        _ => "IN_PROGRESS",
    };

    /// <summary>ISO-8601 UTC with milliseconds (<c>2026-11-23T12:00:00.000Z</c>), or null.</summary>
    public static string? IsoTime(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>An ISO time for Unix seconds (the store's columns), or null when not positive.</summary>
    public static string? IsoTime(double? unixSeconds) =>
        unixSeconds is { } s && s > 0 ? IsoTime(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(s * 1000))) : null;
}
