namespace PipelineHost.Cluster.Hosts;

/// <summary>One host of the cluster as <c>GET /status</c> and <c>rrext_cluster</c> list it.</summary>
/// <param name="Address">How other hosts reach it (the silo address; the listen URL in single-host mode).</param>
/// <param name="State">Its membership state: <c>joining</c>, <c>active</c>, <c>stopping</c> or <c>dead</c>.</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="Load">Its task slots, CPU and memory; null when it could not be asked (a dead or unreachable host).</param>
[GenerateSerializer, Immutable, Alias("PipelineHost.HostReport")]
public sealed record HostReport(
    [property: Id(0)] string Address,
    [property: Id(1)] string State,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] HostLoad? Load);

/// <summary>What a host is carrying now.</summary>
/// <param name="SlotsUsed">Tasks running (its admitted tasks).</param>
/// <param name="SlotsFree">Further tasks it would start now (<c>--max-concurrent-tasks</c> less the used).</param>
/// <param name="CpuPercent">The host process's CPU use since the previous sample, percent of all cores.</param>
/// <param name="MemoryBytes">The host process's resident memory.</param>
[GenerateSerializer, Immutable, Alias("PipelineHost.HostLoad")]
public sealed record HostLoad(
    [property: Id(0)] int SlotsUsed,
    [property: Id(1)] int SlotsFree,
    [property: Id(2)] double CpuPercent,
    [property: Id(3)] long MemoryBytes);
