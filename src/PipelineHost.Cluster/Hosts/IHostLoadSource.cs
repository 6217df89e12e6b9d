namespace PipelineHost.Cluster.Hosts;

/// <summary>This host's load, sampled when asked.</summary>
public interface IHostLoadSource
{
    /// <summary>The load now.</summary>
    HostLoad Sample();
}
