using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Tasks;

/// <summary>The arguments of <c>execute</c> (and <c>POST /task</c>).</summary>
public sealed record ExecuteRequest(JsonNode? Pipeline)
{
    /// <summary>Overrides the pipeline's source component.</summary>
    public string? Source { get; init; }

    /// <summary>A caller-chosen token; a random <c>tk_</c> token otherwise.</summary>
    public string? Token { get; init; }

    /// <summary>Return the running task with this token instead of failing.</summary>
    public bool UseExisting { get; init; }

    /// <summary>Idle time-to-live; zero means never.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Concurrent data pipes.</summary>
    public int? Threads { get; init; }

    /// <summary>RocketRide's <c>pipelineTraceLevel</c>.</summary>
    public string? TraceLevel { get; init; }

    /// <summary>Display name (clients send the pipeline file's name).</summary>
    public string? Name { get; init; }

    /// <summary>The <c>retry</c> argument <c>{maxRetries, backoff, delayMs}</c>; wins over the pipeline's <c>retry</c>.</summary>
    public JsonNode? Retry { get; init; }

    /// <summary><c>ROCKETRIDE_*</c>/<c>PIPELINEHOST_*</c> overrides for placeholders.</summary>
    public JsonObject? Environment { get; init; }

    /// <summary>Where to POST the final status when the task ends (absolute http/https URL); null for none.</summary>
    public string? CallbackUrl { get; init; }
    /// <summary>Seconds the task may run (from leaving the queue); wins over the pipeline's <c>timeout</c>. Zero: no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Seconds the task may wait in the queue; wins over the pipeline's <c>expires</c>. Zero: no limit.</summary>
    public TimeSpan? Expires { get; init; }

    /// <summary>
    /// When the task has to queue, wait until it is RUNNING anyway (as for a task that starts at once) instead of
    /// returning at once with its queue position.
    /// </summary>
    public bool Wait { get; init; }

    /// <summary>
    /// <c>idempotencyKey</c> (HTTP <c>Idempotency-Key</c>): the same key with the same pipeline within
    /// <see cref="IdempotencyKeys.Window"/> returns the first task instead of starting another; per user.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>
    /// The budget arguments as given (<c>maxTokens</c>, <c>maxCpuSeconds</c>, <c>maxMemoryMb</c>; issue 20), each
    /// winning over the pipeline's top-level field of the same name; checked by <see cref="TaskBudget.Read"/>.
    /// </summary>
    public IReadOnlyDictionary<string, JsonNode?> Budget { get; init; } = new Dictionary<string, JsonNode?>();
    /// <summary>How many objects the caller means to send: the total for <c>percent</c> and <c>eta</c> of an open-ended source.</summary>
    public long? ExpectedCount { get; init; }
}
