namespace PipelineHost.Client;

/// <summary>The event classes a monitor subscribes to; the values are RocketRide's EVENT_TYPE bits.</summary>
[Flags]
public enum EventTypes
{
    /// <summary>Nothing: unsubscribes.</summary>
    None = 0,

    /// <summary>Debugger events, for an attached debugger.</summary>
    Debugger = 1,

    /// <summary><c>apaevt_status_*</c>: per-object, counter, error and message details.</summary>
    Detail = 2,

    /// <summary><c>apaevt_status_update</c>: the full TASK_STATUS, about once a second while it changes.</summary>
    Summary = 4,

    /// <summary><c>output</c>: lines the task's processes print.</summary>
    Output = 8,

    /// <summary><c>apaevt_flow</c>: objects moving through components (needs a trace level on execute).</summary>
    Flow = 16,

    /// <summary><c>apaevt_task</c>: tasks beginning, ending and restarting.</summary>
    Task = 32,

    /// <summary><c>apaevt_sse</c>: server-sent events components publish.</summary>
    Sse = 64,

    /// <summary><c>apaevt_dashboard</c>: server-wide connection and task changes.</summary>
    Dashboard = 128,

    /// <summary>Everything.</summary>
    All = 255,
}

/// <summary>The wire names of <see cref="EventTypes"/> and which class an event belongs to.</summary>
internal static class EventTypeNames
{
    private static readonly (EventTypes Type, string Name)[] Names =
    [
        (EventTypes.Debugger, "DEBUGGER"),
        (EventTypes.Detail, "DETAIL"),
        (EventTypes.Summary, "SUMMARY"),
        (EventTypes.Output, "OUTPUT"),
        (EventTypes.Flow, "FLOW"),
        (EventTypes.Task, "TASK"),
        (EventTypes.Sse, "SSE"),
        (EventTypes.Dashboard, "DASHBOARD"),
    ];

    /// <summary>The names of the bits set, as <c>rrext_monitor</c> takes them.</summary>
    public static IEnumerable<string> ToNames(EventTypes types) => Names.Where(n => types.HasFlag(n.Type)).Select(n => n.Name);

    /// <summary>The class of an event by its name; <see cref="EventTypes.None"/> for names this SDK does not know.</summary>
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
}
