using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Http;

/// <summary><c>GET /status</c> (authenticated), <c>GET /version</c>, <c>GET /services</c> and <c>GET /openapi.json</c> (public).</summary>
internal static class InfoEndpoints
{
    /// <summary>The manifest name of the embedded <c>protocol-spec/openapi.json</c>.</summary>
    public const string OpenApiResource = "PipelineHost.Server.openapi.json";

    private static readonly Lazy<byte[]> OpenApiDocument = new(LoadOpenApi);

    public static IEndpointRouteBuilder MapInfoEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/status", Status);
        endpoints.MapGet("/version", (ServerInfo info) => ErrorEnvelope.Ok(info.VersionObject()));
        endpoints.MapGet("/services", Services);
        endpoints.MapGet("/openapi.json", () => Results.Bytes(OpenApiDocument.Value, "application/json"));
        return endpoints;
    }

    private static IResult Status(
        HttpContext context,
        CredentialAuthenticator authenticator,
        ServerInfo info,
        TaskManager tasks,
        ConnectionRegistry connections,
        TimeProvider time,
        Engine.Storage.TaskHistoryRecorder history)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        HttpCredentials.Demand(caller, Permissions.Monitor);

        // A task credential counts only its own task: it learns nothing about the others.
        var active = tasks.Tasks.Count(t => !t.State.IsTerminal() && caller.CanAccess(t.Token, Permissions.Monitor));

        // Host-wide, as every TASK_STATUS's stats (which a task credential reads anyway): no task is named.
        var queue = tasks.QueueStats;
        return ErrorEnvelope.Ok(new JsonObject
        {
            ["server"] = new JsonObject
            {
                ["version"] = info.VersionObject(),
                ["startTime"] = info.StartedAt.ToUnixTimeMilliseconds() / 1000.0,
                ["uptime"] = (long)(time.GetUtcNow() - info.StartedAt).TotalSeconds,
            },
            ["stats"] = new JsonObject
            {
                ["activeTasks"] = active,
                ["connections"] = connections.Count,
                ["queueDepth"] = queue.QueueDepth,
                ["activeWorkers"] = queue.Active,
                ["events"] = connections.Stats.ToJson(),
            },

            // Writes the store refused (a full disk) are kept and retried: how many wait, and why.
            ["history"] = new JsonObject
            {
                ["pendingWrites"] = history.PendingWrites,
                ["failure"] = history.Failure,
            },
        });
    }

    private static IResult Services(HttpContext context, TaskManager tasks)
    {
        var service = context.Request.Query["service"].ToString();
        try
        {
            return ErrorEnvelope.Ok(CatalogCommands.ServicesBody(tasks.Catalog, service));
        }
        catch (CommandException ex)
        {
            return ErrorEnvelope.Error(StatusCodes.Status404NotFound, ex.Message);
        }
    }

    private static byte[] LoadOpenApi()
    {
        using var stream = typeof(InfoEndpoints).Assembly.GetManifestResourceStream(OpenApiResource)
            ?? throw new InvalidOperationException($"The embedded resource {OpenApiResource} is missing.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
