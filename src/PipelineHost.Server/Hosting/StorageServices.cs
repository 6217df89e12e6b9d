using PipelineHost.Engine.Scheduling;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Hosting;

/// <summary>Durable state: the task store, the history recorder, the file store and deployments.</summary>
public static class StorageServices
{
    /// <summary>
    /// Registers the task store (SQLite, <c>&lt;data-dir&gt;/pipelinehost.db</c>; PostgreSQL in cluster mode), the history recorder as a task
    /// observer, the history service (recovery before the server listens, retention sweeps), the file store
    /// (<c>&lt;data-dir&gt;/store</c>), the deployment scheduler and their commands. Hosted services start in
    /// registration order, and all before the server accepts connections.
    /// </summary>
    public static IServiceCollection AddTaskHistoryAndStore(this IServiceCollection services, ServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Cluster mode: history, callbacks and deployments are the cluster's, in its PostgreSQL database.
        services.AddSingleton<ITaskStore>(_ => options.Cluster is { } cluster
            ? new Cluster.Storage.PostgresTaskStore(cluster.ConnectionString, Cluster.ClusterHosting.HostIdentity(cluster, options.Host))
            : new SqliteTaskStore(Path.Combine(options.DataDirectory, SqliteTaskStore.FileName)));
        services.AddSingleton<TaskHistoryRecorder>();
        services.AddSingleton<ITaskObserver>(sp => sp.GetRequiredService<TaskHistoryRecorder>());
        services.AddSingleton<TaskHistoryService>();
        services.AddHostedService(sp => sp.GetRequiredService<TaskHistoryService>());
        services.AddSingleton(_ => new FileStore(Path.Combine(options.DataDirectory, "store")));
        services.AddSingleton<DeploymentScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<DeploymentScheduler>());
        services.AddSingleton<ICommandModule, HistoryCommands>();
        services.AddSingleton<ICommandModule, StoreCommands>();
        services.AddSingleton<ICommandModule, DeployCommands>();
        return services;
    }
}
