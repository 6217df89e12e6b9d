using PipelineHost.Cluster.Placement;

namespace PipelineHost.Cluster.Hosts;

/// <summary>One per host, keyed by its silo address and living on it: answers for that host's load.</summary>
[Alias("PipelineHost.IHostGrain")]
public interface IHostGrain : IGrainWithStringKey
{
    /// <summary>The host's load now.</summary>
    [Alias("Load")]
    Task<HostLoad> GetLoadAsync();
}

/// <inheritdoc cref="IHostGrain" />
[OwnerSiloPlacement]
internal sealed class HostGrain(IHostLoadSource load) : Grain, IHostGrain
{
    public Task<HostLoad> GetLoadAsync() => Task.FromResult(load.Sample());
}
