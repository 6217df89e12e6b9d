using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Events;

/// <summary>RocketRide's event classes; a subscription is a mask of these bits.</summary>
[Flags]
public enum EventTypes
{
    /// <summary>No events.</summary>
    None = 0,
    /// <summary>Debugger events (not offered).</summary>
    Debugger = 1,
    /// <summary><c>apaevt_status_counts</c>, <c>_error</c>, <c>_warning</c>, <c>_message</c>, <c>_object</c>.</summary>
    Detail = 2,
    /// <summary><c>apaevt_status_update</c>: the full task status.</summary>
    Summary = 4,
    /// <summary><c>output</c>: lines the worker printed.</summary>
    Output = 8,
    /// <summary><c>apaevt_flow</c>: objects moving through components (tasks started with a trace level).</summary>
    Flow = 16,
    /// <summary><c>apaevt_task</c>: begin, end, restart, running.</summary>
    Task = 32,
    /// <summary><c>apaevt_sse</c>: component messages for one pipe.</summary>
    Sse = 64,
    /// <summary><c>apaevt_dashboard</c>: connection and task changes.</summary>
    Dashboard = 128,
    /// <summary>Everything.</summary>
    All = 255,
}

/// <summary>Reads the <c>types</c> argument of <c>rrext_monitor</c>.</summary>
public static class EventTypeNames
{
    /// <summary>
    /// Names (case-insensitive, unknown ones ignored, as the SDK READMEs pass event names the reference does
    /// not know), an integer mask, or a numeric string. Absent means none.
    /// </summary>
    /// <exception cref="FormatException">A mask outside 0..255 or a value of another type.</exception>
    public static EventTypes Parse(JsonNode? types)
    {
        switch (types)
        {
            case null:
                return EventTypes.None;
            case JsonArray names:
                var mask = EventTypes.None;
                foreach (var name in names)
                {
                    if (name is JsonValue v && v.GetValueKind() == JsonValueKind.String
                        && Enum.TryParse<EventTypes>(v.GetValue<string>(), ignoreCase: true, out var bit)
                        && !int.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                    {
                        mask |= bit;
                    }
                }

                return mask;
            case JsonValue number when number.GetValueKind() == JsonValueKind.Number && number.TryGetValue(out int value):
                return FromMask(value);
            case JsonValue text when text.GetValueKind() == JsonValueKind.String
                && int.TryParse(text.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed):
                return FromMask(parsed);
            default:
                throw new FormatException("Argument 'types' must be a list of event type names or a number from 0 to 255.");
        }
    }

    /// <summary>The upper-case names of the bits set in <paramref name="types"/>.</summary>
    public static IEnumerable<string> Names(EventTypes types) =>
        Enum.GetValues<EventTypes>()
            .Where(t => t is not (EventTypes.None or EventTypes.All) && types.HasFlag(t))
            .Select(t => t.ToString().ToUpperInvariant());

    /// <summary>The class an event belongs to, by its name (what a subscriber must have asked for).</summary>
    public static EventTypes ClassOf(string eventName) => eventName switch
    {
        "apaevt_status_update" => EventTypes.Summary,
        "apaevt_task" => EventTypes.Task,
        "apaevt_flow" => EventTypes.Flow,
        "apaevt_sse" => EventTypes.Sse,
        "apaevt_dashboard" => EventTypes.Dashboard,
        "output" => EventTypes.Output,
        _ when eventName.StartsWith("apaevt_status_", StringComparison.Ordinal) => EventTypes.Detail,
        "stopped" or "continued" or "thread" or "breakpoint" or "module" or "loadedSource" or "exited" or "terminated" or "initialized" => EventTypes.Debugger,
        _ => EventTypes.None,
    };

    private static EventTypes FromMask(int value) =>
        value is >= 0 and <= 255 ? (EventTypes)value : throw new FormatException("Argument 'types' must be a number from 0 to 255.");
}
