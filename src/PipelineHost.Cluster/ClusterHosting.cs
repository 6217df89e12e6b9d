using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using PipelineHost.Cluster.Hosts;
using PipelineHost.Cluster.Placement;

namespace PipelineHost.Cluster;

/// <summary>Joins a host to its cluster: an Orleans silo with membership and reminders in PostgreSQL.</summary>
public static class ClusterHosting
{
    /// <summary>The ADO.NET invariant Orleans' providers load Npgsql by.</summary>
    public const string Invariant = "Npgsql";

    /// <summary>
    /// Adds the silo to <paramref name="builder"/> (sharing its services: grains reach the host's task engine) and
    /// the cluster's <see cref="IHostDirectory"/>. The schema must exist (<see cref="ClusterDatabase.PrepareAsync"/>).
    /// </summary>
    public static IHostApplicationBuilder AddClusterHost(this IHostApplicationBuilder builder, ClusterHostOptions options, string? listenHost)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = options.ClusterId;
                o.ServiceId = options.ClusterId;
            });
            silo.UseAdoNetClustering(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = options.ConnectionString;
            });
            silo.UseAdoNetReminderService(o =>
            {
                o.Invariant = Invariant;
                o.ConnectionString = options.ConnectionString;
            });
            silo.ConfigureEndpoints(AdvertisedAddress(options.AdvertiseAddress, listenHost), options.SiloPort, options.GatewayPort, listenOnAnyHostAddress: true);
            silo.Configure<ClusterMembershipOptions>(o => ApplyTimings(o, options));
            silo.AddPipelineHostGrains();
        });
        builder.Services.AddSingleton<IHostDirectory, OrleansHostDirectory>();
        builder.Services.AddHostedService<LostHostSweeper>();
        return builder;
    }

    /// <summary>What every silo of ours needs, whatever its membership: the placement of owner-keyed grains.</summary>
    public static ISiloBuilder AddPipelineHostGrains(this ISiloBuilder silo)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.AddPlacementDirector<OwnerSiloPlacement, OwnerSiloPlacementDirector>();
        return silo;
    }

    /// <summary>
    /// This host's identity in the cluster's tables: its advertised silo endpoint, the same across its restarts, so
    /// a restarted host recognises the tasks it ran before (and ends them as interrupted).
    /// </summary>
    public static string HostIdentity(ClusterHostOptions options, string? listenHost)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new IPEndPoint(AdvertisedAddress(options.AdvertiseAddress, listenHost), options.SiloPort).ToString();
    }

    /// <summary>LAN timings: a killed host is missed for <c>ProbeTimeout × MissedProbesLimit</c> and then declared dead.</summary>
    internal static void ApplyTimings(ClusterMembershipOptions membership, ClusterHostOptions options)
    {
        membership.ProbeTimeout = options.ProbeTimeout;
        membership.NumMissedProbesLimit = options.MissedProbesLimit;
        membership.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        membership.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        membership.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(10);

        // One vote suffices: in a cluster of two, the survivor is the only one who can vote the other dead.
        membership.NumVotesForDeathDeclaration = 1;
    }

    /// <summary>
    /// The address other hosts reach this one on: <c>--advertise</c>; else <c>--host</c> when it is one address (not
    /// 0.0.0.0 or ::); else the machine's first non-loopback IPv4 address; else loopback.
    /// </summary>
    internal static IPAddress AdvertisedAddress(string? advertise, string? listenHost)
    {
        if (advertise is not null)
        {
            return IPAddress.TryParse(advertise, out var given) ? given
                : Dns.GetHostAddresses(advertise).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                  ?? throw new ArgumentException("The --advertise address does not resolve to an IPv4 address.");
        }

        if (IPAddress.TryParse(listenHost, out var host) && !host.Equals(IPAddress.Any) && !host.Equals(IPAddress.IPv6Any))
        {
            return host;
        }

        return Dns.GetHostAddresses(Dns.GetHostName()).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a))
            ?? IPAddress.Loopback;
    }
}
