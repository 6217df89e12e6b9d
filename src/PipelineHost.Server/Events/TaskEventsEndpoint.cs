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

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);

        var connection = new SseConnection(caller, options.MaxQueuedEvents, time.GetUtcNow(), context.RequestAborted, registry.Stats);
        connection.Subscriptions.Set(SubscriptionKey.For(task.Identity.ProjectId, task.Identity.Source), mask);
        connection.SendEvent(EventHub.StatusEvent(task));
        registry.Add(connection);
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
