using System.Globalization;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Commands;

/// <summary>
/// The history filters, paging and order, read the same way from <c>rrext_get_history</c>'s arguments and from
/// <c>GET /history</c>'s query string: one place for the names, bounds and spellings.
/// </summary>
internal static class HistoryQueryReader
{
    /// <summary>The default <c>limit</c>.</summary>
    public const int DefaultLimit = 100;

    /// <summary>The largest <c>limit</c>.</summary>
    public const int MaxLimit = 1000;

    /// <summary>
    /// A query from named values (<paramref name="read"/> returns null when a name is absent). Names: <c>limit</c>,
    /// <c>offset</c>, <c>state</c> (0–6 or a state name such as <c>CANCELLED</c>), <c>name</c> (contains),
    /// <c>projectId</c>/<c>project_id</c>, <c>source</c>, <c>token</c> (prefix of the token or short id),
    /// <c>from</c>/<c>to</c> (creation time, unix seconds or ISO-8601), <c>sort</c>
    /// (<c>created</c>, <c>name</c>, <c>state</c>, <c>ended</c>, <c>duration</c>), <c>order</c> (<c>desc</c>, <c>asc</c>).
    /// </summary>
    /// <exception cref="CommandException">A value is malformed or out of range; the message names it.</exception>
    public static TaskQuery Read(Func<string, string?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new TaskQuery
        {
            Limit = Integer(read, "limit", 1, MaxLimit) ?? DefaultLimit,
            Offset = Integer(read, "offset", 0, int.MaxValue) ?? 0,
            State = State(Text(read, "state")),
            NameContains = Text(read, "name"),
            ProjectId = Text(read, "projectId") ?? Text(read, "project_id"),
            Source = Text(read, "source"),
            TokenPrefix = Text(read, "token"),
            CreatedFrom = Time(read, "from"),
            CreatedTo = Time(read, "to"),
            Sort = Text(read, "sort")?.ToUpperInvariant() switch
            {
                null or "CREATED" or "STARTTIME" => TaskSort.Created,
                "NAME" => TaskSort.Name,
                "STATE" => TaskSort.State,
                "ENDED" or "ENDTIME" => TaskSort.Ended,
                "DURATION" => TaskSort.Duration,
                _ => throw new CommandException("Argument 'sort' must be one of created, name, state, ended, duration."),
            },
            Descending = Text(read, "order")?.ToUpperInvariant() switch
            {
                null or "DESC" => true,
                "ASC" => false,
                _ => throw new CommandException("Argument 'order' must be asc or desc."),
            },
        };
    }

    private static string? Text(Func<string, string?> read, string name) => read(name) is { Length: > 0 } value ? value.Trim() : null;

    private static int? Integer(Func<string, string?> read, string name, int min, int max)
    {
        if (Text(read, name) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new CommandException(string.Create(CultureInfo.InvariantCulture, $"Argument '{name}' must be an integer from {min} to {max}."));
    }

    private static TaskState? State(string? text)
    {
        if (text is null)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 6)
        {
            return (TaskState)number;
        }

        // Both spellings of the one outcome clients write (CANCELLED on the wire, CANCELED in statusName).
        var name = text.ToUpperInvariant() == "CANCELED" ? "CANCELLED" : text;
        return Enum.TryParse<TaskState>(name, ignoreCase: true, out var state) && Enum.IsDefined(state)
            ? state
            : throw new CommandException("Argument 'state' must be 0-6 or a state name (NONE, STARTING, INITIALIZING, RUNNING, STOPPING, COMPLETED, CANCELLED).");
    }

    private static double? Time(Func<string, string?> read, string name)
    {
        if (Text(read, name) is not { } text)
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds))
        {
            return seconds;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at.ToUnixTimeMilliseconds() / 1000.0
            : throw new CommandException($"Argument '{name}' must be unix seconds or an ISO-8601 time.");
    }
}
