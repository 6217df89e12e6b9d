using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using PipelineHost.Cluster;
using PipelineHost.Cluster.Hosts;

namespace PipelineHost.Server.Hosting;

/// <summary>Cluster mode's part of the composition root; in single-host mode only the one-host directory.</summary>
public static class ClusterServices
{
    /// <summary>How long the start waits for the cluster database before it gives up with a message.</summary>
    public static readonly TimeSpan DatabaseTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Reaches the cluster database and brings its schema up to date before anything listens; a database that cannot
    /// be used stops the start with one line naming it and the reason (<see cref="StartupException"/>, exit 1).
    /// </summary>
    internal static void PrepareDatabase(ClusterHostOptions cluster, IDisposable folderLock)
    {
        try
        {
            using var timeout = new CancellationTokenSource(DatabaseTimeout);

            // The composition root is synchronous; this runs once, before the host exists, on no synchronization context.
            ClusterDatabase.PrepareAsync(cluster.ConnectionString, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is ClusterUnavailableException or OperationCanceledException)
        {
            folderLock.Dispose();
            throw new StartupException(ex is ClusterUnavailableException
                ? ex.Message
                : $"Cannot use the cluster database at {ClusterConnectionString.Describe(cluster.ConnectionString)}: no answer within {DatabaseTimeout.TotalSeconds:0} s.", ex);
        }
    }

    /// <summary>
    /// The hosts list of <c>GET /status</c> and <c>rrext_cluster</c>: the Orleans silo and its members in cluster
    /// mode, this process alone otherwise.
    /// </summary>
    public static WebApplicationBuilder AddHostDirectory(this WebApplicationBuilder builder, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.Services.AddSingleton<IHostLoadSource, EngineHostLoadSource>();
        if (options.Cluster is { } cluster)
        {
            builder.AddClusterHost(cluster, options.Host);
        }
        else
        {
            builder.Services.AddSingleton<IHostDirectory>(sp => new SingleHostDirectory(
                sp.GetRequiredService<IHostLoadSource>(),
                () => sp.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault() ?? options.Url,
                sp.GetRequiredService<ServerInfo>().StartedAt));
        }

        return builder;
    }
}
