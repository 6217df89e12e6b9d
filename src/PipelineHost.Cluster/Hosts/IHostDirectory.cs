namespace PipelineHost.Cluster.Hosts;

/// <summary>The hosts of the service: one in single-host mode, every member in cluster mode.</summary>
public interface IHostDirectory
{
    /// <summary>The hosts, this one first.</summary>
    Task<IReadOnlyList<HostReport>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Single-host mode: the one host, this process (its address read when asked: the port may be chosen at start).</summary>
public sealed class SingleHostDirectory(IHostLoadSource load, Func<string> address, DateTimeOffset startedAt) : IHostDirectory
{
    /// <inheritdoc />
    public Task<IReadOnlyList<HostReport>> ListAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<HostReport>>([new HostReport(address(), "active", startedAt, load.Sample())]);
}
