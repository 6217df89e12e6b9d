using Microsoft.Net.Http.Headers;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Dashboard;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Http;

/// <summary>
/// <c>GET /info</c>: what this server is and where to go, as JSON. <c>GET /</c>: the dashboard for a browser
/// (a request that accepts HTML), the same JSON for everyone else, so scripts that read <c>/</c> keep working.
/// </summary>
internal static class RootEndpoints
{
    public static IEndpointRouteBuilder MapRootEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (HttpContext context, ServerInfo info) => WantsHtml(context.Request) ? DashboardAssets.Index(context) : Info(context, info))
            .WithName("Root")
            .WithSummary("The dashboard for a browser; what this server is for JSON clients")
            .WithTags("Server")
            .Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        endpoints.MapGet("/info", Info)
            .WithName("Info")
            .WithSummary("What this server is (plain JSON, not an envelope)")
            .WithTags("Server")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return endpoints;
    }

    /// <summary>True when the request lists HTML in <c>Accept</c> before (or without) JSON, as a browser's navigation does.</summary>
    public static bool WantsHtml(HttpRequest request)
    {
        var accept = request.GetTypedHeaders().Accept;
        if (accept.Count == 0)
        {
            return false;
        }

        var html = accept.Where(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        var json = accept.Where(a => a.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)).Select(a => a.Quality ?? 1).DefaultIfEmpty(0).Max();
        return html > 0 && html >= json;
    }

    private static IResult Info(HttpContext context, ServerInfo info)
    {
        var host = context.Request.Host.Value ?? "127.0.0.1:5565";
        var scheme = context.Request.IsHttps ? "wss" : "ws";
        context.Response.Headers.Vary = HeaderNames.Accept;
        return Results.Json(new
        {
            name = "PipelineHost",
            version = info.Version,
            description = "A RocketRide-compatible pipeline task server.",
            websocket = $"{scheme}://{host}{TaskServiceEndpoint.Path}",
            protocol = "DAP-style JSON over WebSocket (see protocol-spec/ in the repository)",
            authentication = "send {\"type\":\"request\",\"seq\":1,\"command\":\"auth\",\"arguments\":{\"auth\":\"<api key>\"}} first",
            status = "GET /task?token=<task token>",
            http = "/openapi.json",
            dashboard = "/ (in a browser)",
        });
    }
}
