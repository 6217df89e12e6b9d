using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol.Json;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Http;

/// <summary>
/// <c>POST /task</c> (and the deprecated <c>PUT /task</c>), <c>GET /task</c>, <c>DELETE /task</c>: the task
/// lifecycle over HTTP; <c>GET /task/output</c>: a file the task's writers produced. Each route calls <see cref="TaskManager"/> directly, as the WebSocket commands do; none
/// goes through a WebSocket.
/// </summary>
internal static class TaskEndpoints
{
    /// <summary>Largest pipeline document <c>POST /task</c> reads.</summary>
    public const int MaxPipelineBytes = 16 * 1024 * 1024;

    /// <summary>Pipes a task started over HTTP gets unless <c>threads</c> says otherwise (RocketRide's HTTP default).</summary>
    public const int DefaultThreads = 4;

    /// <summary>The request header carrying <c>POST /task</c>'s idempotency key (issue 20).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    /// <summary>Set on a <c>POST /task</c> answer that returned the key's first task instead of starting one.</summary>
    public const string IdempotentReplayedHeader = "Idempotent-Replayed";

    /// <summary>Largest <c>threads</c> accepted over HTTP (RocketRide's HTTP bound).</summary>
    public const int MaxThreads = 64;

    public static IEndpointRouteBuilder MapTaskEndpoints(this IEndpointRouteBuilder endpoints)
    {
        (string, string)[] start =
        [
            ("name", "the task's name"), ("threads", "pipes (1-64, default 4)"), ("ttl", "seconds a finished task is kept"),
            ("trace", "pipelineTraceLevel: metadata, summary or full"), ("useExisting", "true: reuse a running task of the same pipeline"),
            ("retry", "the retry policy as JSON ({maxRetries, backoff, delayMs})"), ("callbackUrl", "POSTed the final status when the task ends"),
            ("timeout", "seconds the task may run"), ("expires", "seconds the task may wait in the queue"), ("wait", "true: wait for a slot instead of answering queued"),
            ("token", "a token to give the task (tk_…)"), ("expectedCount", "objects the caller will send: the total for percent and eta"),
            ("maxTokens", "budget: billing tokens the task may use"), ("maxCpuSeconds", "budget: CPU seconds the task may use"), ("maxMemoryMb", "budget: MiB of memory the task may hold"),
        ];
        var startDoc = new RouteDoc(RouteCredentials.ApiKey, start) { RequestExample = ExamplePipeline, ResponseExample = ExampleStarted };
        endpoints.MapPost("/task", StartAsync)
            .Documented("StartTask", "Starts a pipeline as a task (the body is the pipeline document).", "Tasks", startDoc);
        endpoints.MapPut("/task", StartAsync) // deprecated spelling, kept for old clients
            .Documented("StartTaskDeprecated", "Deprecated spelling of POST /task.", "Tasks", startDoc);
        endpoints.MapGet("/task", StatusAsync)
            .Documented("GetTaskStatus", "The task's TASK_STATUS with an ETag (304 to a matching If-None-Match), or long-polled with wait; a tk_ in ?token= is its own credential.", "Tasks", RouteCredentials.ApiKey | RouteCredentials.TaskToken, ("token", "the task token (tk_…)"), ("config", "true: include the task's pipeline"),
                ("wait", "long-poll: answer at the next status change or after this long (30s, 500ms; at most 55 s)"), ("sinceVersion", "long-poll: the version already seen (default: the current one)"));
        endpoints.MapDelete("/task", StopAsync)
            .Documented("StopTask", "Stops the task.", "Tasks", RouteCredentials.ApiKey, ("token", "the task token (tk_…)"));
        endpoints.MapPost("/task/retry-failed", RetryFailedAsync)
            .Documented("RetryFailedItems", "Reprocesses a finished task's failed items in a new task.", "Tasks", RouteCredentials.ApiKey, ("token", "the finished task's token (tk_…)"));
        endpoints.MapGet("/task/output", OutputAsync)
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream")
            .Documented("DownloadTaskOutput", "Downloads a file the task's writer components produced (listed in the status's outputs).", "Tasks", RouteCredentials.ApiKey | RouteCredentials.TaskToken, ("token", "the task token (tk_…)"), ("name", "the output's name"));
        return endpoints;
    }

    private static readonly JsonObject ExamplePipeline = new()
    {
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject { ["id"] = "response_1", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
        ["source"] = "webhook_1",
    };

    private static readonly JsonObject ExampleStarted = new()
    {
        ["status"] = "OK",
        ["data"] = new JsonObject { ["token"] = "tk_…", ["publicToken"] = "pk_…" },
    };

    private static async Task<IResult> StartAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        var query = context.Request.Query;
        var threads = ReadInteger(query, "threads", 1, MaxThreads) ?? DefaultThreads;
        var ttl = ReadInteger(query, "ttl", 0, int.MaxValue);
        var request = new ExecuteRequest(await ReadPipelineAsync(context.Request, context.RequestAborted).ConfigureAwait(false))
        {
            Token = HttpCredentials.Token(context.Request),
            Threads = threads,
            Ttl = ttl is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Name = NonEmpty(query["name"]),
            TraceLevel = NonEmpty(query["trace"]),
            UseExisting = ReadBool(query, "useExisting"),
            Retry = ReadJson(query, "retry"),
            CallbackUrl = NonEmpty(query["callbackUrl"]),
            Timeout = ReadLimit(query, "timeout"),
            Expires = ReadLimit(query, "expires"),
            Wait = ReadBool(query, "wait"),
            ExpectedCount = ReadInteger(query, "expectedCount", 0, int.MaxValue),
            IdempotencyKey = NonEmpty(context.Request.Headers[IdempotencyKeyHeader]),
            Budget = TaskBudget.Names.Where(n => NonEmpty(query[n]) is not null).ToDictionary(n => n, n => BudgetValue(query[n]!)),
        };

        var launch = await tasks.LaunchAsync(request, caller, context.RequestAborted).ConfigureAwait(false);
        if (launch.Replayed)
        {
            context.Response.Headers[IdempotentReplayedHeader] = "true";
        }

        return ErrorEnvelope.Ok(TaskCommands.StartedBody(launch));
    }

    private static async Task<IResult> StatusAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        // A tk_ token is its own credential for its task: GET /task?token=tk_… works with no header at all.
        var token = HttpCredentials.Token(context.Request);
        var fallback = token is not null && token.StartsWith(CredentialAuthenticator.TaskTokenPrefix, StringComparison.Ordinal) ? token : null;
        var query = context.Request.Query;
        var config = ReadBool(query, "config");
        var wait = StatusValidators.ReadWait(NonEmpty(query["wait"]));
        var sinceVersion = StatusValidators.ReadSinceVersion(NonEmpty(query["sinceVersion"]));
        if (fallback is not null && HttpCredentials.Read(context.Request) is null
            && await tasks.FindOwnStoredStatusAsync(fallback, config, context.RequestAborted).ConfigureAwait(false) is { } stored)
        {
            // The task has left memory (a restart, the retention): its tk_ still reads its own history. It changes no more: no wait.
            return Conditional(context, stored);
        }

        if (fallback is not null && HttpCredentials.Read(context.Request) is null
            && await tasks.FindExpiredAsync(fallback, context.RequestAborted).ConfigureAwait(false) is { } expired)
        {
            // ... and once the history has dropped it too, it hears when its task ended rather than "unknown".
            throw expired;
        }

        var caller = HttpCredentials.Authenticate(context, authenticator, fallback);
        if (wait is { } timeout && tasks.FindLiveTask(token, caller) is { } live)
        {
            await WaitForChangeAsync(live, sinceVersion ?? live.Version, timeout, context.RequestAborted).ConfigureAwait(false);
        }

        // Live, or from the task history once the task has left memory (API keys only), as rrext_get_task_status.
        return Conditional(context, await tasks.GetStatusAsync(token, caller, config, context.RequestAborted).ConfigureAwait(false));
    }

    // Long-poll: back at the first change after sinceVersion, or when the wait is over (then with the same status).
    private static async Task WaitForChangeAsync(PipelineTask task, long sinceVersion, TimeSpan timeout, CancellationToken requestAborted)
    {
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(requestAborted);
        waiting.CancelAfter(timeout);
        try
        {
            await task.WaitForVersionAsync(sinceVersion, waiting.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!requestAborted.IsCancellationRequested)
        {
        }
    }

    // The status with its ETag, or 304 Not Modified when If-None-Match already names it.
    private static IResult Conditional(HttpContext context, JsonObject status)
    {
        var etag = StatusValidators.ETag(status);
        context.Response.Headers.ETag = etag;
        context.Response.Headers.CacheControl = "no-cache";
        return StatusValidators.Matches(context.Request.Headers.IfNoneMatch, etag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : ErrorEnvelope.Ok(status);
    }

    private static async Task<IResult> RetryFailedAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        var task = await tasks.RetryFailedAsync(HttpCredentials.Token(context.Request), caller, context.RequestAborted).ConfigureAwait(false);
        return ErrorEnvelope.Ok(TaskCommands.RetryStartedBody(task));
    }

    private static async Task<IResult> OutputAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        // Credentials as GET /task, the tk_ in ?token= included; a pk_ gets 403 (outputs need task.monitor).
        var token = HttpCredentials.Token(context.Request);
        var fallback = token is not null && token.StartsWith(CredentialAuthenticator.TaskTokenPrefix, StringComparison.Ordinal) ? token : null;
        var caller = HttpCredentials.Authenticate(context, authenticator, fallback);
        var name = NonEmpty(context.Request.Query["name"]) ?? throw new HttpApiException(StatusCodes.Status400BadRequest, "Argument 'name' is required.");
        var output = await tasks.FindOutputAsync(token, name, caller, context.RequestAborted).ConfigureAwait(false);
        FileStream stream;
        try
        {
            stream = new FileStream(output.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024, FileOptions.Asynchronous | FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new TaskOutputNotFoundException(name); // removed since it was found
        }

        return Results.File(stream, output.ContentType, output.Name);
    }

    private static async Task<IResult> StopAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        var task = tasks.GetTask(HttpCredentials.Token(context.Request), caller, Permissions.Control);
        await tasks.TerminateAsync(task, "Stopped", context.RequestAborted).ConfigureAwait(false);
        return ErrorEnvelope.Ok();
    }

    /// <summary>The body as JSON, refusing more than <see cref="MaxPipelineBytes"/> (413) and bad JSON (400).</summary>
    private static async Task<JsonNode> ReadPipelineAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxPipelineBytes)
        {
            throw TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxPipelineBytes)
            {
                throw TooLarge();
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new HttpApiException(StatusCodes.Status400BadRequest, "The request body must be the pipeline (JSON).");
        }

        var body = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        JsonNode? pipeline;
        try
        {
            pipeline = StrictJson.Parse(body);
        }
        catch (JsonException) when (System.Text.Unicode.Utf8.IsValid(body))
        {
            // A .pipe file posted as it is may be JSON5, as the SDKs read it (comments, unquoted keys…).
            try
            {
                pipeline = Json5.Parse(Encoding.UTF8.GetString(body));
            }
            catch (Json5Exception ex)
            {
                throw new HttpApiException(StatusCodes.Status400BadRequest, $"Malformed JSON: {ex.Message}");
            }
        }
        catch (JsonException ex)
        {
            throw new HttpApiException(StatusCodes.Status400BadRequest, $"Malformed JSON: {ex.Message}");
        }

        if (pipeline is null)
        {
            throw new HttpApiException(StatusCodes.Status400BadRequest, "The request body must be the pipeline (JSON).");
        }

        InputStrings.EnsureNoNul(pipeline, "pipeline");
        return pipeline;

        static HttpApiException TooLarge() => new(
            StatusCodes.Status413PayloadTooLarge,
            string.Create(CultureInfo.InvariantCulture, $"The pipeline must be at most {MaxPipelineBytes} bytes."));
    }

    private static int? ReadInteger(IQueryCollection query, string name, int min, int max)
    {
        if (NonEmpty(query[name]) is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new HttpApiException(StatusCodes.Status400BadRequest, CommandContext.IntegerExpected(name, min, max));
    }

    private static JsonNode? ReadJson(IQueryCollection query, string name)
    {
        if (NonEmpty(query[name]) is not { } text)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException ex)
        {
            throw new HttpApiException(StatusCodes.Status400BadRequest, $"Argument '{name}' must be JSON: {ex.Message}");
        }
    }

    // As the WebSocket's arguments: given (even 0) it wins over the pipeline's field; the engine's one rule checks it.
    private static TimeSpan? ReadLimit(IQueryCollection query, string name) =>
        NonEmpty(query[name]) is { } text ? TaskLimits.FromText(text, $"Argument '{name}'") ?? TimeSpan.Zero : null;

    // A number stays a number (checked by the engine's one rule); anything else reaches it as text and is refused there.
    private static JsonNode? BudgetValue(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text);

    private static bool ReadBool(IQueryCollection query, string name) => NonEmpty(query[name]) switch
    {
        null => false,
        var text when text.Equals("true", StringComparison.OrdinalIgnoreCase) || text == "1" => true,
        var text when text.Equals("false", StringComparison.OrdinalIgnoreCase) || text == "0" => false,
        _ => throw new HttpApiException(StatusCodes.Status400BadRequest, $"Argument '{name}' must be true or false."),
    };

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
