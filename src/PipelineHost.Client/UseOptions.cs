namespace PipelineHost.Client;

/// <summary>How <see cref="PipelineHostClient.UseAsync(string, UseOptions?, CancellationToken)"/> starts a task: the optional <c>execute</c> arguments.</summary>
public sealed record UseOptions
{
    /// <summary>A task token of your choice (<c>token</c>); the server makes a random one when null.</summary>
    public string? Token { get; init; }

    /// <summary>Overrides the pipeline's source component (<c>source</c>).</summary>
    public string? Source { get; init; }

    /// <summary>The display name (<c>name</c>); defaults to the file name without its extension.</summary>
    public string? Name { get; init; }

    /// <summary>When a task with <see cref="Token"/> is already running, return it instead of failing (<c>useExisting</c>).</summary>
    public bool UseExisting { get; init; }

    /// <summary>How long the task may sit idle before the server stops it (<c>ttl</c>); <see cref="TimeSpan.Zero"/> = never.</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Data pipes the task may have open at once (<c>threads</c>).</summary>
    public int? Threads { get; init; }

    /// <summary><c>none</c>, <c>metadata</c>, <c>summary</c> or <c>full</c> (<c>pipelineTraceLevel</c>).</summary>
    public string? PipelineTraceLevel { get; init; }

    /// <summary><c>ROCKETRIDE_*</c> values for <c>${…}</c> placeholders in the pipeline (<c>env</c>).</summary>
    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>The task's retry policy (<c>retry</c>); wins over the pipeline's own <c>retry</c>.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>
    /// When the server's concurrency limit makes the task queue, wait until it runs (<c>wait</c>) instead of
    /// returning at once with <see cref="TaskHandle.Queued"/> set.
    /// </summary>
    public bool Wait { get; init; }

    /// <summary>How long the task may run, counted from leaving the queue (<c>timeout</c>); zero = no limit.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>How long the task may wait in the queue before it is dropped unstarted (<c>expires</c>); zero = no limit.</summary>
    public TimeSpan? Expires { get; init; }

    /// <summary>Extra engine arguments (<c>args</c>).</summary>
    public IReadOnlyList<string>? Args { get; init; }

    /// <summary>
    /// Where the server POSTs the final status, signed, when the task ends (<c>callbackUrl</c>): an absolute
    /// http/https URL. Verify the <c>X-PipelineHost-Signature</c> header with the server's signing key.
    /// </summary>
    public Uri? CallbackUrl { get; init; }

    /// <summary>
    /// <c>idempotencyKey</c>: the same key with the same pipeline within 24 h returns the first task (same token)
    /// instead of starting another, even after a server restart; with a different pipeline the server refuses.
    /// Safe retries of a start whose answer was lost. Keys are per user.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>Budget <c>maxTokens</c>: the task is stopped (<c>exitReason</c> <c>budget</c>) once it used more billing tokens.</summary>
    public double? MaxTokens { get; init; }

    /// <summary>Budget <c>maxCpuSeconds</c>: the task is stopped once its processes used more CPU time.</summary>
    public double? MaxCpuSeconds { get; init; }

    /// <summary>Budget <c>maxMemoryMb</c>: the task is stopped once its processes held more resident memory (MiB).</summary>
    public double? MaxMemoryMb { get; init; }
}

/// <summary>
/// A retry policy: a failed object is run again up to <paramref name="MaxRetries"/> times, waiting
/// <paramref name="DelayMs"/> (fixed) or <paramref name="DelayMs"/> × 2^(n-1) (exponential, capped at one hour).
/// </summary>
/// <param name="MaxRetries">Retries after the first attempt, 0–100.</param>
/// <param name="Backoff"><c>exponential</c> or <c>fixed</c>.</param>
/// <param name="DelayMs">The base delay in milliseconds, 0–3 600 000.</param>
public sealed record RetryPolicy(int MaxRetries, string Backoff = "exponential", long DelayMs = 1000)
{
    /// <summary>The wire form <c>{maxRetries, backoff, delayMs}</c>.</summary>
    public System.Text.Json.Nodes.JsonObject ToJson() => new()
    {
        ["maxRetries"] = MaxRetries,
        ["backoff"] = Backoff,
        ["delayMs"] = DelayMs,
    };
}
