using System.Text.Json.Nodes;

namespace PipelineHost.Client;

// Task lifecycle, lookups and the catalogue: the commands RocketRide and PipelineHost share, with the SDKs' arguments.
public sealed partial class PipelineHostClient
{
    /// <summary>
    /// Starts the pipeline in <paramref name="pipelineFile"/> (<c>.pipe</c>, <c>.pipe.json</c> or <c>.json</c>) and
    /// waits until it accepts data. The task is named after the file, as the RocketRide SDKs name it. When the
    /// server is at its concurrency limit the task queues and this returns at once with
    /// <see cref="TaskHandle.Queued"/> set, unless <see cref="UseOptions.Wait"/>.
    /// </summary>
    /// <param name="pipelineFile">The file; a top-level <c>{"pipeline": {…}}</c> wrapper is unwrapped.</param>
    /// <param name="options">Optional <c>execute</c> arguments.</param>
    /// <param name="cancellationToken">Stops waiting (the task may still start).</param>
    /// <exception cref="PipelineHostException">The server refused the pipeline, e.g. an unknown provider.</exception>
    public async Task<TaskHandle> UseAsync(string pipelineFile, UseOptions? options = null, CancellationToken cancellationToken = default)
    {
        var pipeline = await PipelineFile.LoadAsync(pipelineFile, cancellationToken).ConfigureAwait(false);
        options ??= new UseOptions();
        return await ExecuteAsync(pipeline, options.Name ?? PipelineFile.DisplayName(pipeline, pipelineFile), options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts <paramref name="pipeline"/> and waits until it accepts data (or returns queued, as the file overload).</summary>
    /// <param name="pipeline">A flat pipeline or one wrapped in <c>{"pipeline": {…}}</c>; it is copied, not changed.</param>
    /// <param name="options">Optional <c>execute</c> arguments.</param>
    /// <param name="cancellationToken">Stops waiting (the task may still start).</param>
    /// <exception cref="PipelineHostException">The server refused the pipeline.</exception>
    public Task<TaskHandle> UseAsync(JsonObject pipeline, UseOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        options ??= new UseOptions();
        return ExecuteAsync(PipelineFile.Unwrap(pipeline), options.Name, options, cancellationToken);
    }

    private async Task<TaskHandle> ExecuteAsync(JsonObject pipeline, string? name, UseOptions options, CancellationToken cancellationToken)
    {
        if (options.Source is { } source)
        {
            pipeline["source"] = source;
        }

        var arguments = new JsonObject
        {
            ["pipeline"] = pipeline,
            ["args"] = new JsonArray((options.Args ?? []).Select(a => (JsonNode?)a).ToArray()),
        };
        AddIfSet(arguments, "token", options.Token);
        AddIfSet(arguments, "source", options.Source);
        AddIfSet(arguments, "name", name);
        AddIfSet(arguments, "pipelineTraceLevel", options.PipelineTraceLevel);
        AddIfSet(arguments, "callbackUrl", options.CallbackUrl?.AbsoluteUri);
        AddIfSet(arguments, "idempotencyKey", options.IdempotencyKey);
        foreach (var (budget, limit) in new[] { ("maxTokens", options.MaxTokens), ("maxCpuSeconds", options.MaxCpuSeconds), ("maxMemoryMb", options.MaxMemoryMb) })
        {
            if (limit is { } value)
            {
                arguments[budget] = value;
            }
        }

        if (options.UseExisting)
        {
            arguments["useExisting"] = true;
        }

        if (options.Ttl is { } ttl)
        {
            arguments["ttl"] = (long)ttl.TotalSeconds;
        }

        if (options.Threads is { } threads)
        {
            arguments["threads"] = threads;
        }

        if (options.Retry is { } retry)
        {
            arguments["retry"] = retry.ToJson();
        }

        if (options.Wait)
        {
            arguments["wait"] = true;
        }

        if (options.Timeout is { } timeout)
        {
            arguments["timeout"] = timeout.TotalSeconds;
        }

        if (options.Expires is { } expires)
        {
            arguments["expires"] = expires.TotalSeconds;
        }

        if (options.Environment is { Count: > 0 } environment)
        {
            var env = new JsonObject();
            foreach (var (key, value) in environment)
            {
                env[key] = value;
            }

            arguments["env"] = env;
        }

        var body = await CallAsync("execute", arguments, cancellationToken).ConfigureAwait(false);
        return TaskHandle.FromJson(body, "execute");
    }

    /// <summary>Stops a task (<c>terminate</c>) and returns once it has stopped.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="PipelineHostException">E.g. <c>Your pipeline is not running</c>.</exception>
    public Task TerminateAsync(string token, CancellationToken cancellationToken = default) =>
        CallAsync("terminate", TokenArguments(token), cancellationToken);

    /// <summary>
    /// Restarts the task of <paramref name="projectId"/>/<paramref name="source"/> with a new pipeline, keeping its
    /// identity and token. Sent as the SDKs send it: token <c>*</c> plus <c>projectId</c> and <c>source</c>.
    /// </summary>
    /// <param name="projectId">The task's project id.</param>
    /// <param name="source">The task's source component.</param>
    /// <param name="pipeline">The new pipeline (its project id and source are forced to the task's).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<TaskHandle> RestartAsync(string projectId, string source, JsonObject pipeline, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectId);
        ArgumentException.ThrowIfNullOrEmpty(source);
        ArgumentNullException.ThrowIfNull(pipeline);
        var body = await CallAsync("restart", new JsonObject
        {
            ["token"] = "*",
            ["projectId"] = projectId,
            ["source"] = source,
            ["pipeline"] = PipelineFile.Unwrap(pipeline),
        }, cancellationToken).ConfigureAwait(false);

        // RocketRide answers restart without a body; then the identity is all we know.
        return JsonFields.String(body, "token") is { Length: > 0 }
            ? TaskHandle.FromJson(body, "restart")
            : new TaskHandle("*", string.Empty, string.Empty, projectId, source, string.Empty) { Raw = body };
    }

    /// <summary>
    /// Starts a new task that reprocesses the failed items of the finished task <paramref name="token"/>
    /// (<c>rrext_retry_failed</c>); returns once it is running. Its status carries <c>nbItems</c>,
    /// <c>nbRemainingItems</c> and <c>retryOf</c> (<see cref="TaskStatus.Retries"/>).
    /// </summary>
    /// <param name="token">The finished task's token.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="PipelineHostException">E.g. the task is still running, or has nothing to retry.</exception>
    public async Task<RetryTaskHandle> RetryFailedAsync(string token, CancellationToken cancellationToken = default)
    {
        var body = await CallAsync("rrext_retry_failed", TokenArguments(token), cancellationToken).ConfigureAwait(false);
        return new RetryTaskHandle(TaskHandle.FromJson(body, "rrext_retry_failed"), JsonFields.Int64(body, "nbItems"), JsonFields.StringOrEmpty(body, "retryOf"));
    }

    /// <summary>The task's current status (<c>rrext_get_task_status</c>); works for finished tasks while the server keeps them.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task<TaskStatus> GetTaskStatusAsync(string token, CancellationToken cancellationToken = default) =>
        GetTaskStatusAsync(token, includeConfig: false, cancellationToken);

    /// <summary>As <see cref="GetTaskStatusAsync(string, CancellationToken)"/>; with <paramref name="includeConfig"/> also the task's runtime <see cref="TaskStatus.Config"/>.</summary>
    /// <param name="token">The task token.</param>
    /// <param name="includeConfig">Ask for <c>config</c> (threads, ttl, timeout, expires, trace level).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<TaskStatus> GetTaskStatusAsync(string token, bool includeConfig, CancellationToken cancellationToken = default)
    {
        var arguments = TokenArguments(token);
        if (includeConfig)
        {
            arguments["config"] = true;
        }

        return TaskStatus.FromJson(await CallAsync("rrext_get_task_status", arguments, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The token of the task running <paramref name="projectId"/>/<paramref name="source"/> (<c>rrext_get_token</c>).</summary>
    /// <param name="projectId">The pipeline's project id.</param>
    /// <param name="source">The source component.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="PipelineHostException">No such task: <c>Your pipeline is not running</c>.</exception>
    public async Task<string> GetTaskTokenAsync(string projectId, string source, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(projectId);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var body = await CallAsync("rrext_get_token", new JsonObject { ["projectId"] = projectId, ["source"] = source }, cancellationToken).ConfigureAwait(false);
        return JsonFields.String(body, "token") ?? throw new PipelineHostException("The server's answer has no token.", "rrext_get_token");
    }

    /// <summary>The pipeline a task runs, as submitted (<c>rrext_get_pipeline</c>).</summary>
    /// <param name="token">The task token.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<JsonObject> GetTaskPipelineAsync(string token, CancellationToken cancellationToken = default)
    {
        var body = await CallAsync("rrext_get_pipeline", TokenArguments(token), cancellationToken).ConfigureAwait(false);
        return JsonFields.Object(body, "pipeline") ?? [];
    }

    /// <summary>The running tasks the caller may see (<c>rrext_get_tasks</c>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<IReadOnlyList<TaskSummary>> GetTasksAsync(CancellationToken cancellationToken = default)
    {
        var body = await CallAsync("rrext_get_tasks", new JsonObject(), cancellationToken).ConfigureAwait(false);
        return body["tasks"] is JsonArray tasks ? tasks.OfType<JsonObject>().Select(TaskSummary.FromJson).ToList() : [];
    }

    /// <summary>
    /// Checks a pipeline without running it (<c>rrext_validate</c>). An invalid pipeline is a report with
    /// <see cref="ValidationReport.Errors"/>, not an exception.
    /// </summary>
    /// <param name="pipeline">The pipeline, flat or wrapped.</param>
    /// <param name="source">Overrides the source component.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<ValidationReport> ValidateAsync(JsonObject pipeline, string? source = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var arguments = new JsonObject { ["pipeline"] = PipelineFile.Unwrap(pipeline) };
        AddIfSet(arguments, "source", source);
        return ValidationReport.FromJson(await CallAsync("rrext_validate", arguments, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Every component provider the server offers (<c>rrext_services</c>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public async Task<ServiceCatalog> GetServicesAsync(CancellationToken cancellationToken = default) =>
        ServiceCatalog.FromJson(await CallAsync("rrext_services", new JsonObject(), cancellationToken).ConfigureAwait(false));

    /// <summary>One provider's definition (<c>rrext_services {service}</c>).</summary>
    /// <param name="name">The provider name, e.g. <c>webhook</c>.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="PipelineHostException">No such provider.</exception>
    public async Task<ServiceInfo> GetServiceAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var body = await CallAsync("rrext_services", new JsonObject { ["service"] = name }, cancellationToken).ConfigureAwait(false);
        return ServiceInfo.FromJson(name, body);
    }

    /// <summary>Checks that the server answers (<c>rrext_ping</c>).</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    public Task PingAsync(CancellationToken cancellationToken = default) => CallAsync("rrext_ping", new JsonObject(), cancellationToken);

    private static JsonObject TokenArguments(string token)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        return new JsonObject { ["token"] = token };
    }

    private static void AddIfSet(JsonObject arguments, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            arguments[name] = value;
        }
    }
}
