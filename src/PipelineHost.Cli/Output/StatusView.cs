using PipelineHost.Client;
using Spectre.Console;
using Spectre.Console.Rendering;
using TaskStatus = PipelineHost.Client.TaskStatus;

namespace PipelineHost.Cli.Output;

/// <summary>How a task's status looks on the console: one grid, the same for <c>status</c>, <c>watch</c> and <c>run</c>.</summary>
internal static class StatusView
{
    /// <summary>Why a task is not running yet, in words: <c>queue full: 4 of 4 slots in use, start expected 12:00:31</c>.</summary>
    public static string PendingText(TaskPending pending) => pending.Reason switch
    {
        "queue_full" => $"queue full: {pending.SlotsInUse} of {pending.Slots} slots in use" + (pending.EstimatedStartAt is { } at ? $", start expected {Format.Time(at)}" : string.Empty),
        "waiting_for_worker" => "waiting for its worker to start" + (pending.Since is { } since ? $" (since {Format.Time(since)})" : string.Empty),
        "retry_backoff" => "waiting to retry an item" + (pending.NextAttemptAt is { } next ? $" at {Format.Time(next)}" : string.Empty),
        var other => other,
    };

    public static IRenderable Render(TaskStatus status)
    {
        var grid = new Grid().AddColumn(new GridColumn().NoWrap().PadRight(2)).AddColumn();
        Row(grid, "task", status.Name);
        Row(grid, "state", $"{StateMarkup(status.State)} {Markup.Escape(status.Status)}", escape: false);
        // One name per outcome on screen: the state's (CANCELLED); the wire's other spellings (statusName CANCELED,
        // exitReason cancelled) stay in --json. A reason the state does not already say gets its own row.
        if (status.ExitReason is "failed" or "timeout" or "expired" or "unresponsive")
        {
            Row(grid, "reason", status.ExitReason);
        }

        if (status.Queued)
        {
            Row(grid, "queue", $"position {status.QueuePosition} of {status.Stats.QueueDepth} ({status.Stats.ActiveWorkers} running)");
        }

        if (status.Pending is { } pending)
        {
            Row(grid, "waiting", PendingText(pending));
        }

        var counts = status.Counts;
        var objects = $"{counts.CompletedCount} done";
        if (counts.TotalCount > 0)
        {
            objects += $" of {counts.TotalCount}";
        }

        if (counts.FailedCount > 0)
        {
            objects += $", {counts.FailedCount} failed";
        }

        Row(grid, "objects", objects);
        if (Progress(status.Progress) is { } progress)
        {
            Row(grid, "progress", progress);
        }

        Row(grid, "bytes", $"{Format.Bytes(counts.CompletedSize)} ({Format.Rate(status.Rates.BytesPerSecond)}, {Format.Number(status.Rates.ObjectsPerSecond)} objects/s)");
        if (counts.WordsCount > 0)
        {
            Row(grid, "words", Format.Number(counts.WordsCount, "N0"));
        }

        // The server zeroes a finished task's metrics, so only a live task has figures worth a row.
        if (!status.State.IsTerminal() || status.Metrics.PeakCpuMemoryMb > 0)
        {
            Row(grid, "cpu / memory", $"{Format.Number(status.Metrics.CpuPercent)} % / {Format.Number(status.Metrics.CpuMemoryMb)} MiB (peak {Format.Number(status.Metrics.PeakCpuPercent)} % / {Format.Number(status.Metrics.PeakCpuMemoryMb)} MiB)");
        }

        Row(grid, "started", Format.Time(status.StartTime));
        if (status.EndTime is not null)
        {
            Row(grid, "ended", $"{Format.Time(status.EndTime)} (exit {status.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}: {status.ExitMessage})");
        }

        foreach (var error in status.Errors)
        {
            Row(grid, "[red]error[/]", Markup.Escape(error), escape: false, labelMarkup: true);
        }

        foreach (var warning in status.Warnings)
        {
            Row(grid, "[yellow]warning[/]", Markup.Escape(warning), escape: false, labelMarkup: true);
        }

        return grid;
    }

    /// <summary>One line for progress displays: objects, bytes, rate, CPU and memory.</summary>
    /// <param name="status">The status to show.</param>
    /// <param name="metrics">The CPU and memory figures to show; the status's own by default.</param>
    public static string Summary(TaskStatus status, TaskMetrics? metrics = null)
    {
        metrics ??= status.Metrics;
        var counts = status.Counts;
        var total = counts.TotalCount > 0 ? $"/{counts.TotalCount}" : string.Empty;
        var progress = Progress(status.Progress) is { } p ? $" · {p}" : string.Empty;
        return $"{counts.CompletedCount + counts.FailedCount}{total} objects{progress} · {Format.Bytes(counts.CompletedSize)} · {Format.Number(status.Rates.ObjectsPerSecond)} obj/s · "
            + $"cpu {Format.Number(metrics.CpuPercent)} % · {Format.Number(metrics.CpuMemoryMb)} MiB";
    }

    /// <summary>
    /// The server's progress estimate: "42.5 % · eta 14:03:10 (confidence 0.8) · 12.5 obj/s recent" for a known total,
    /// the recent rate alone for an open-ended source; null when there is nothing to say yet.
    /// </summary>
    public static string? Progress(TaskProgress progress)
    {
        var parts = new List<string>();
        if (progress.Percent is { } percent)
        {
            parts.Add($"{Format.Number(percent)} %");
        }

        if (progress.Eta is { } eta)
        {
            parts.Add($"eta {Format.Time(eta)}" + (progress.EtaConfidence is { } confidence ? $" (confidence {Format.Number(confidence, "0.0#")})" : string.Empty));
        }

        if (progress.RecentRate is { } rate)
        {
            parts.Add($"{Format.Number(rate)} obj/s recent");
        }

        return parts.Count == 0 ? null : string.Join(" · ", parts);
    }

    /// <summary>One plain line for a status change: the state's name, then <see cref="Summary"/>.</summary>
    public static string Line(TaskStatus status) => $"{status.State.ToWireName()} · {Summary(status)}";

    public static string StateMarkup(TaskState state) => state switch
    {
        TaskState.Completed => "[green]COMPLETED[/]",
        TaskState.Cancelled => "[red]CANCELLED[/]",
        TaskState.Running => "[blue]RUNNING[/]",
        _ => $"[grey]{state.ToWireName()}[/]",
    };

    private static void Row(Grid grid, string label, string value, bool escape = true, bool labelMarkup = false) =>
        grid.AddRow(new Markup(labelMarkup ? label : $"[grey]{Markup.Escape(label)}[/]"), new Markup(escape ? Markup.Escape(value) : value));
}
