using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol.Events;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Http;

namespace PipelineHost.Server.Events;

/// <summary><c>GET /task/events?token=</c>: a task's events as Server-Sent Events, for clients without WebSockets.</summary>
internal static class TaskEventsEndpoint
{
    /// <summary>
    /// The seq a reconnecting stream resumes after: the <c>Last-Event-ID</c> header browsers send by themselves, or a
    /// <c>lastEventId</c> query parameter for clients that cannot set headers; null for a fresh stream.
    /// </summary>
    private static long? LastEventId(HttpRequest request)
    {
        var text = request.Headers["Last-Event-ID"].ToString();
        if (text.Length == 0)
        {
            text = request.Query["lastEventId"].ToString();
        }

        if (text.Length == 0)
        {
            return null;
        }

        return long.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var seq)
            ? seq
            : throw new HttpApiException(StatusCodes.Status400BadRequest, "Last-Event-ID must be the id (a whole number) of an event of this stream");
    }

    public static IEndpointRouteBuilder MapTaskEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/task/events", HandleAsync)
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Documented("WatchTaskEvents", "The task's events as Server-Sent Events, for clients without WebSockets.", "Tasks", RouteCredentials.ApiKey | RouteCredentials.TaskToken, ("token", "the task token (tk_…)"));
        return endpoints;
    }

    private static async Task HandleAsync(
        HttpContext context,
        CredentialAuthenticator authenticator,
        TaskManager tasks,
        ConnectionRegistry registry,
        EventHub hub,
        ServerOptions options,
        TimeProvider time)
    {
        // The same credential rules as GET /task: a tk_ token in the query is its own credential.
        var token = HttpCredentials.Token(context.Request);
        var fallback = token is not null && token.StartsWith(CredentialAuthenticator.TaskTokenPrefix, StringComparison.Ordinal) ? token : null;
        var caller = HttpCredentials.Authenticate(context, authenticator, fallback);
        var task = tasks.GetTask(token, caller, Permissions.Monitor);
        var requested = context.Request.Query["types"].ToString();
        EventTypes mask;
        try
        {
            mask = requested.Length == 0
                ? EventTypes.Summary | EventTypes.Task
                : EventTypeNames.Parse(new System.Text.Json.Nodes.JsonArray(requested.Split(',').Select(n => (System.Text.Json.Nodes.JsonNode)n.Trim()).ToArray()));
        }
        catch (FormatException ex)
        {
            throw new HttpApiException(StatusCodes.Status400BadRequest, ex.Message);
        }

        var sinceSeq = LastEventId(context.Request);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);

        var connection = new SseConnection(caller, options.MaxQueuedEvents, time.GetUtcNow(), context.RequestAborted, registry.Stats);
        // Registered with no subscription (so nothing reaches it yet), then subscribed under the task's journal: the
        // current status or, on a reconnect, every event after Last-Event-ID comes first, then the live ones.
        registry.Add(connection);
        hub.Subscribe(connection, task, SubscriptionKey.For(task.Identity.ProjectId, task.Identity.Source), null, mask, sinceSeq, statusFirst: true);
        try
        {
            // The stream ends with the task: Ended completes only after its final events were published.
            _ = task.Ended.ContinueWith(_ => connection.Complete(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            await connection.RunAsync(context.Response).ConfigureAwait(false);
        }
        finally
        {
            registry.Remove(connection);
        }
    }
}
