using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using PipelineHost.Cluster.Storage;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Cluster.Hosts;

/// <summary>
/// Ends the open tasks of a host the cluster declared dead: CANCELLED, <c>exitReason</c> <c>lost</c>, the host named
/// in <c>exitMessage</c>, in the shared store, so every host answers for them. Every survivor does it (the update
/// only touches tasks still open, so the second is a no-op); a host that came back on the same address is alive
/// and its tasks are left alone.
/// </summary>
public sealed partial class LostHostSweeper(IClusterMembershipService membership, ITaskStore store, TimeProvider time, ILogger<LostHostSweeper> logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (store is not PostgresTaskStore shared)
        {
            return;
        }

        var swept = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken).ConfigureAwait(false))
            {
                var alive = snapshot.Members.Values.Where(m => m.Status != SiloStatus.Dead).Select(m => m.SiloAddress.Endpoint).ToHashSet();
                foreach (var dead in snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && !alive.Contains(m.SiloAddress.Endpoint)))
                {
                    if (swept.Add(dead.SiloAddress))
                    {
                        await SweepAsync(shared, dead.SiloAddress.Endpoint.ToString(), stoppingToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The <c>exitMessage</c> of a task whose host was lost.</summary>
    public static string LostMessage(string host) => $"The host {host} running this task left the cluster without ending it.";

    private async Task SweepAsync(PostgresTaskStore shared, string host, CancellationToken cancellationToken)
    {
        try
        {
            var count = await shared.MarkHostLostAsync(host, LostMessage(host), time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0, cancellationToken).ConfigureAwait(false);
            if (count > 0)
            {
                Log.HostLost(logger, host, count);
            }
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            Log.SweepFailed(logger, ex, host);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.ClusterHostLost, LogLevel.Warning, "Host {Host} left the cluster: {Count} of its tasks ended as lost")]
        public static partial void HostLost(ILogger logger, string host, int count);

        [LoggerMessage(LogEventIds.ClusterLostSweepFailed, LogLevel.Error, "The tasks of lost host {Host} could not be ended")]
        public static partial void SweepFailed(ILogger logger, Exception exception, string host);
    }
}
