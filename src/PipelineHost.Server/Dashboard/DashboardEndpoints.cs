using System.Text;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Http;

namespace PipelineHost.Server.Dashboard;

/// <summary><c>GET /dashboard/events</c>: the overview snapshots of <see cref="DashboardFeed"/> as Server-Sent Events.</summary>
internal static class DashboardEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapDashboardEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/dashboard/events", StreamAsync)
            .WithName("DashboardEvents")
            .WithSummary("The dashboard's overview snapshots as Server-Sent Events (API keys only)")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status401Unauthorized, contentType: "application/json")
            .Produces(StatusCodes.Status403Forbidden, contentType: "application/json");
        return endpoints;
    }

    private static async Task StreamAsync(HttpContext context, CredentialAuthenticator authenticator, DashboardFeed feed)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        if (caller.Kind != CredentialKind.ApiKey)
        {
            // The overview is everyone's tasks of the user: a task credential sees only its own task's page.
            throw new PermissionDeniedException("Permission 'task.monitor' denied: the dashboard overview needs an API key");
        }

        HttpCredentials.Demand(caller, Permissions.Monitor);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";
        var aborted = context.RequestAborted;
        var (reader, subscription) = feed.Watch(caller);
        using (subscription)
        {
            try
            {
                while (!aborted.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(aborted);
                    wait.CancelAfter(KeepAlive);
                    string frame;
                    try
                    {
                        frame = await reader.ReadAsync(wait.Token).ConfigureAwait(false) is { } snapshot
                            ? $"event: overview\ndata: {snapshot}\n\n"
                            : string.Empty;
                    }
                    catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
                    {
                        frame = ": keep-alive\n\n";
                    }

                    await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(frame), aborted).ConfigureAwait(false);
                    await context.Response.Body.FlushAsync(aborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                // The browser closed the page.
            }
            catch (System.Threading.Channels.ChannelClosedException)
            {
                // The server is stopping.
            }
        }
    }
}
