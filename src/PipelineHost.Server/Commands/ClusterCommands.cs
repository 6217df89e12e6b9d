using System.Text.Json.Nodes;
using PipelineHost.Cluster.Hosts;
using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_cluster</c>: the hosts of the service, as <c>GET /status</c>'s <c>hosts</c>.</summary>
internal sealed class ClusterCommands(IHostDirectory hosts, TimeProvider time) : ICommandModule
{
    public void Register(CommandTable table) => table.Add(new CommandDefinition("rrext_cluster", ClusterAsync, Permissions.Monitor));

    /// <summary>The <c>hosts</c> array: one entry per host, this one first.</summary>
    public static JsonArray HostsBody(IReadOnlyList<HostReport> reports, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(reports);
        return new JsonArray(reports.Select(r => (JsonNode)new JsonObject
        {
            ["address"] = r.Address,
            ["state"] = r.State,
            ["startTime"] = r.StartedAt.ToUnixTimeMilliseconds() / 1000.0,
            ["uptime"] = (long)Math.Max(0, (now - r.StartedAt).TotalSeconds),
            ["slotsUsed"] = r.Load?.SlotsUsed,
            ["slotsFree"] = r.Load?.SlotsFree,
            ["cpu"] = r.Load?.CpuPercent,
            ["memory"] = r.Load?.MemoryBytes,
        }).ToArray());
    }

    private async ValueTask<CommandResult> ClusterAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var reports = await hosts.ListAsync(cancellationToken).ConfigureAwait(false);
        return CommandResult.Ok(new JsonObject { ["hosts"] = HostsBody(reports, time.GetUtcNow()) });
    }
}
