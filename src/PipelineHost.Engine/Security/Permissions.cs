namespace PipelineHost.Engine.Security;

/// <summary>What a credential allows. Names follow RocketRide's <c>task.*</c> permissions.</summary>
[Flags]
public enum Permissions
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary><c>task.control</c>: execute, restart, terminate.</summary>
    Control = 1,
    /// <summary><c>task.data</c>: send objects, receive SSE events.</summary>
    Data = 2,
    /// <summary><c>task.monitor</c>: status, token lookup, task lists, events.</summary>
    Monitor = 4,
    /// <summary><c>task.debug</c>: debugger commands (not offered yet).</summary>
    Debug = 8,
    /// <summary><c>task.store</c>: the per-user file store.</summary>
    Store = 16,
    /// <summary>Everything an API key holder may do.</summary>
    All = Control | Data | Monitor | Debug | Store,
}
