using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Http;

/// <summary><c>GET /</c>: tells a person who opened the port in a browser what this is and where to go.</summary>
internal static class RootEndpoints
{
    public static IEndpointRouteBuilder MapRootEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/", (HttpContext context, ServerInfo info) =>
        {
            var host = context.Request.Host.Value ?? "127.0.0.1:5565";
            var scheme = context.Request.IsHttps ? "wss" : "ws";
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
            });
        })
        .WithName("Root")
        .WithSummary("What this server is and where to go (plain JSON, not an envelope).")
        .WithTags("Server")
        .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return endpoints;
    }
}
