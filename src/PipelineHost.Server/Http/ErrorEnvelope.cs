using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Http;

/// <summary>A client error of a route with a known HTTP status; the message is client-safe.</summary>
internal class HttpApiException(int statusCode, string message) : Exception(message)
{
    /// <summary>The status the client gets.</summary>
    public int StatusCode { get; } = statusCode;
}

/// <summary>
/// The HTTP API's envelope, as RocketRide's: success <c>{"status":"OK","data":…}</c> (<c>data</c> omitted when
/// there is nothing to return), failure <c>{"status":"Error","error":{"message":"…"}}</c>.
/// </summary>
internal static partial class ErrorEnvelope
{
    /// <summary>The message of every credential failure: the specific reason is not told to the client.</summary>
    public const string AccessDenied = "Access denied";

    /// <summary>When a <c>tk_</c> in <c>?token=</c> was the only credential and no task has it.</summary>
    public const string UnknownTaskToken = "Access denied: no task has this token (mistyped, or the task ended and was forgotten); with an API key a finished task is read from the history";

    /// <summary>A success envelope.</summary>
    public static IResult Ok(JsonNode? data = null)
    {
        var body = new JsonObject { ["status"] = "OK" };
        if (data is not null)
        {
            body["data"] = data;
        }

        return new EnvelopeResult(StatusCodes.Status200OK, body);
    }

    /// <summary>An error envelope with <paramref name="statusCode"/>.</summary>
    public static IResult Error(int statusCode, string message) => new EnvelopeResult(statusCode, ErrorBody(message));

    /// <summary>The error envelope's body.</summary>
    public static JsonObject ErrorBody(string message) => new()
    {
        ["status"] = "Error",
        ["error"] = new JsonObject { ["message"] = message },
    };

    /// <summary>
    /// Turns every exception a route throws into an envelope, in one place: task errors are 400, an unknown task
    /// 404, a scoped credential overstepping 403; anything unexpected is logged and answered 500 with a reference,
    /// never with its details or a stack trace.
    /// </summary>
    public static IApplicationBuilder UseErrorEnvelope(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && Handles(context, ex))
        {
            // A token of a task the history has dropped: its holder is told so, with when it ended (410), not "unknown".
            if (ex is TaskNotFoundException and not TaskExpiredException
                && await context.RequestServices.GetRequiredService<TaskManager>().FindExpiredAsync(HttpCredentials.Token(context.Request), context.RequestAborted).ConfigureAwait(false) is { } expired)
            {
                ex = expired;
            }

            var (status, message) = Classify(context, ex);
            context.Response.Clear();
            if (status == StatusCodes.Status401Unauthorized)
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
            }

            await new EnvelopeResult(status, ErrorBody(message)).ExecuteAsync(context).ConfigureAwait(false);
        }
    });

    /// <summary>False when nothing can be written: the client went away, or the response has started.</summary>
    private static bool Handles(HttpContext context, Exception ex)
    {
        var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PipelineHost.Http");
        if (context.RequestAborted.IsCancellationRequested
            && ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            Log.ClientGone(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty);
            return false;
        }

        if (context.Response.HasStarted)
        {
            Log.FailedAfterStart(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, ex);
            return false;
        }

        return true;
    }

    private static (int Status, string Message) Classify(HttpContext context, Exception ex)
    {
        switch (ex)
        {
            case HttpApiException api:
                return (api.StatusCode, api.Message);
            case IdempotencyConflictException conflict:
                return (StatusCodes.Status409Conflict, conflict.Message);
            case TaskExpiredException expired:
                return (StatusCodes.Status410Gone, expired.Message);
            case TaskNotFoundException notFound:
                return (StatusCodes.Status404NotFound, notFound.Message);
            case TaskOutputNotFoundException noOutput:
                return (StatusCodes.Status404NotFound, noOutput.Message);
            case PermissionDeniedException denied:
                return (StatusCodes.Status403Forbidden, denied.Message);
            case TaskException task:
                return (StatusCodes.Status400BadRequest, task.Message);
            case CommandException command:
                return (StatusCodes.Status400BadRequest, command.Message);
            case var full when Engine.Storage.DiskFull.Is(full):
                return (StatusCodes.Status507InsufficientStorage, Engine.Storage.DiskFull.Message);
            case BadHttpRequestException bad:
                // Kestrel's own refusals (body too large, malformed framing): their messages are client-safe.
                return (bad.StatusCode, bad.Message);
            default:
                var reference = Guid.NewGuid().ToString("N")[..8];
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("PipelineHost.Http");
                Log.Unexpected(logger, context.Request.Method, context.Request.Path.Value ?? string.Empty, reference, ex);
                return (StatusCodes.Status500InternalServerError, $"Internal error (reference {reference})");
        }
    }

    /// <summary>Writes an envelope with its status.</summary>
    private sealed class EnvelopeResult(int statusCode, JsonObject body) : IResult
    {
        // As the WebSocket's JSON: readable quotes and non-ASCII for curl users (the content type is JSON, never HTML).
        private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            var response = httpContext.Response;
            response.StatusCode = statusCode;
            response.ContentType = "application/json; charset=utf-8";
            using (var writer = new Utf8JsonWriter(response.BodyWriter, WriterOptions))
            {
                body.WriteTo(writer);
            }

            await response.BodyWriter.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.HttpRequestFailed, LogLevel.Error, "HTTP {Method} {Path} failed (reference {Reference})")]
        public static partial void Unexpected(ILogger logger, string method, string path, string reference, Exception exception);

        [LoggerMessage(LogEventIds.HttpFailedAfterStart, LogLevel.Error, "HTTP {Method} {Path} failed after the response started")]
        public static partial void FailedAfterStart(ILogger logger, string method, string path, Exception exception);

        [LoggerMessage(LogEventIds.HttpClientGone, LogLevel.Debug, "HTTP {Method} {Path}: the client went away")]
        public static partial void ClientGone(ILogger logger, string method, string path);
    }
}
