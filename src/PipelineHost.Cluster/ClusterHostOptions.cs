namespace PipelineHost.Cluster;

/// <summary>
/// How this host joins a cluster (<c>--cluster</c> and its companions). Null in the server's options means
/// single-host mode: one process, SQLite, no Orleans.
/// </summary>
public sealed record ClusterHostOptions
{
    /// <summary>Orleans' default silo-to-silo port.</summary>
    public const int DefaultSiloPort = 11111;

    /// <summary>Orleans' default gateway port.</summary>
    public const int DefaultGatewayPort = 30000;

    /// <summary>The cluster id every host of one cluster shares.</summary>
    public const string DefaultClusterId = "pipelinehost";

    /// <summary>The PostgreSQL database of the cluster, as an Npgsql connection string (URIs already converted).</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Hosts with the same id form one cluster; several clusters may share a database.</summary>
    public string ClusterId { get; init; } = DefaultClusterId;

    /// <summary>The address other hosts reach this one on; null: chosen from <c>--host</c> or the machine's addresses.</summary>
    public string? AdvertiseAddress { get; init; }

    /// <summary>The port other hosts reach this one's silo on.</summary>
    public int SiloPort { get; init; } = DefaultSiloPort;

    /// <summary>The Orleans gateway port (for Orleans clients; the hosts themselves do not need it).</summary>
    public int GatewayPort { get; init; } = DefaultGatewayPort;

    /// <summary>
    /// How long a probe of another host may take before it counts as missed. With <see cref="MissedProbesLimit"/>
    /// missed probes a host is declared dead: 1 s × 3 detects a killed host within about 5 s on a LAN, the timings
    /// the Orleans documentation suggests for fast detection.
    /// </summary>
    public TimeSpan ProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Missed probes after which a host is suspected (and, with enough votes, declared dead).</summary>
    public int MissedProbesLimit { get; init; } = 3;
}
