using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Http;

/// <summary><c>GET /status</c> (authenticated), <c>GET /version</c> and <c>GET /services</c> (public).</summary>
internal static class InfoEndpoints
{
    public static IEndpointRouteBuilder MapInfoEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/status", Status)
            .Documented("GetServerStatus", "Server version, start time, uptime, active tasks, connections, queue depth, event counts and the hosts of the service.", "Server", RouteCredentials.ApiKey | RouteCredentials.TaskToken);
        endpoints.MapGet("/version", (ServerInfo info) => ErrorEnvelope.Ok(info.VersionObject()))
            .Documented("GetVersion", "The version object (name, version, protocol, runtime, compatibility).", "Server", RouteCredentials.None);
        endpoints.MapGet("/services", Services)
            .Documented("GetServices", "The component catalogue, as rrext_services; one entry with ?service=.", "Server", RouteCredentials.None, ("service", "one provider's name; 404 when unknown"));
        return endpoints;
    }

    private static async Task<IResult> Status(
        HttpContext context,
        CredentialAuthenticator authenticator,
        ServerInfo info,
        TaskManager tasks,
        ConnectionRegistry connections,
        TimeProvider time,
        Engine.Storage.TaskHistoryRecorder history,
        Cluster.Hosts.IHostDirectory hosts)
    {
        var caller = HttpCredentials.Authenticate(context, authenticator);
        HttpCredentials.Demand(caller, Permissions.Monitor);

        // A task credential counts only its own task: it learns nothing about the others.
        var active = tasks.Tasks.Count(t => !t.State.IsTerminal() && caller.CanAccess(t.Token, Permissions.Monitor));

        // Host-wide, as every TASK_STATUS's stats (which a task credential reads anyway): no task is named.
        var queue = tasks.QueueStats;
        var hostReports = await hosts.ListAsync(context.RequestAborted).ConfigureAwait(false);
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

            // The hosts of the service: this one alone in single-host mode (protocol-spec/cluster.md).
            ["hosts"] = ClusterCommands.HostsBody(hostReports, time.GetUtcNow()),
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
}
