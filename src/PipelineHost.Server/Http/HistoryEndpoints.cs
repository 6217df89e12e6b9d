using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Http;

/// <summary><c>GET /history</c>: the task history over HTTP, the same filters, paging and body as <c>rrext_get_history</c>.</summary>
internal static class HistoryEndpoints
{
    public static IEndpointRouteBuilder MapHistoryEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/history", ListAsync)
            .WithName("GetHistory")
            .WithSummary("Finished and running tasks from the task history, filtered, sorted and paged (API keys only)")
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status400BadRequest, contentType: "application/json")
            .Produces(StatusCodes.Status401Unauthorized, contentType: "application/json")
            .Produces(StatusCodes.Status403Forbidden, contentType: "application/json");
        return endpoints;
    }

    private static async Task<IResult> ListAsync(HttpContext context, TaskManager tasks, CredentialAuthenticator authenticator)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        if (caller.Kind != CredentialKind.ApiKey)
        {
            // As over the WebSocket: a task credential sees its own task, never the list of everyone's.
            throw new PermissionDeniedException("Permission 'task.monitor' denied: task history needs an API key");
        }

        HttpCredentials.Demand(caller, Permissions.Monitor);
        var queryString = context.Request.Query;
        var query = HistoryQueryReader.Read(name => queryString.TryGetValue(name, out var values) ? values.ToString() : null);
        var page = await tasks.ListHistoryPageAsync(query, caller, context.RequestAborted).ConfigureAwait(false);
        return ErrorEnvelope.Ok(HistoryCommands.Body(page, query));
    }
}
