using Orleans.Runtime;

namespace PipelineHost.Cluster.Hosts;

/// <summary>
/// Cluster mode: the members Orleans' membership table knows (a host that died recently is listed as <c>dead</c>,
/// without load), each live one asked for its load through its <see cref="IHostGrain"/>.
/// </summary>
public sealed class OrleansHostDirectory(IGrainFactory grains, ILocalSiloDetails local, TimeProvider time) : IHostDirectory
{
    /// <summary>How long a dead host stays in the list, so an operator sees which one went away.</summary>
    public static readonly TimeSpan DeadListedFor = TimeSpan.FromMinutes(10);

    /// <summary>How long one host may take to report its load before it is listed without.</summary>
    public static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(2);

    /// <inheritdoc />
    public async Task<IReadOnlyList<HostReport>> ListAsync(CancellationToken cancellationToken)
    {
        var members = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false, cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var listed = members
            .Where(m => m.Status != SiloStatus.Dead || now - m.IAmAliveTime < DeadListedFor)
            .GroupBy(m => m.SiloAddress.Endpoint) // a restarted host: its newest generation only
            .Select(g => g.MaxBy(m => m.SiloAddress.Generation)!)
            .OrderBy(m => m.SiloAddress.Equals(local.SiloAddress) ? 0 : 1)
            .ThenBy(m => m.SiloAddress.ToString(), StringComparer.Ordinal)
            .ToList();
        var reports = await Task.WhenAll(listed.Select(m => ReportAsync(m, cancellationToken))).ConfigureAwait(false);
        return reports;
    }

    /// <summary>Orleans' state names in the protocol's words.</summary>
    internal static string StateName(SiloStatus status) => status switch
    {
        SiloStatus.Active => "active",
        SiloStatus.Created or SiloStatus.Joining => "joining",
        SiloStatus.ShuttingDown or SiloStatus.Stopping => "stopping",
        _ => "dead",
    };

    private async Task<HostReport> ReportAsync(MembershipEntry member, CancellationToken cancellationToken)
    {
        HostLoad? load = null;
        if (member.Status == SiloStatus.Active)
        {
            try
            {
                load = await grains.GetGrain<IHostGrain>(member.SiloAddress.ToParsableString()).GetLoadAsync().WaitAsync(LoadTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OrleansException or SiloUnavailableException)
            {
                // Listed without its load: the membership state says the rest.
            }
        }

        return new HostReport(member.SiloAddress.Endpoint.ToString(), StateName(member.Status), member.StartTime, load);
    }
}
