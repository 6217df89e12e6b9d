using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Tests.Support;

/// <summary>
/// A store that fails every write with "No space left on device" while <see cref="Full"/> is set, as a full disk
/// does; reads pass through. Wraps the real SQLite store.
/// </summary>
public sealed class FullDiskTaskStore(ITaskStore inner) : ITaskStore
{
    private volatile bool _full;

    /// <summary>True: writes fail as on a full disk.</summary>
    public bool Full { get => _full; set => _full = value; }

    public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

    public Task UpsertTaskAsync(TaskRecord record, CancellationToken cancellationToken) => Write(() => inner.UpsertTaskAsync(record, cancellationToken));

    public Task AppendTransitionAsync(string token, TaskState state, double at, CancellationToken cancellationToken) =>
        Write(() => inner.AppendTransitionAsync(token, state, at, cancellationToken));

    public Task<TaskRecord?> FindTaskAsync(string tokenOrPublicKey, CancellationToken cancellationToken) => inner.FindTaskAsync(tokenOrPublicKey, cancellationToken);

    public Task<TaskRecord?> FindTaskByHashAsync(string tokenHash, CancellationToken cancellationToken) => inner.FindTaskByHashAsync(tokenHash, cancellationToken);

    public Task<IReadOnlyList<TaskTransition>> ListTransitionsAsync(string token, CancellationToken cancellationToken) => inner.ListTransitionsAsync(token, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) => inner.ListTasksAsync(query, cancellationToken);

    public Task<int> CountTasksAsync(TaskQuery query, CancellationToken cancellationToken) => inner.CountTasksAsync(query, cancellationToken);

    public Task<IReadOnlyList<TaskRecord>> MarkInterruptedAsync(string reason, double at, CancellationToken cancellationToken) =>
        Write(() => inner.MarkInterruptedAsync(reason, at, cancellationToken));

    public Task<int> DeleteExpiredAsync(double before, CancellationToken cancellationToken) => Write(() => inner.DeleteExpiredAsync(before, cancellationToken));

    public Task UpsertCallbackAsync(CallbackRecord record, CancellationToken cancellationToken) => Write(() => inner.UpsertCallbackAsync(record, cancellationToken));

    public Task<CallbackRecord?> GetCallbackAsync(string token, CancellationToken cancellationToken) => inner.GetCallbackAsync(token, cancellationToken);

    public Task<CallbackRecord?> GetCallbackByHashAsync(string tokenHash, CancellationToken cancellationToken) => inner.GetCallbackByHashAsync(tokenHash, cancellationToken);

    public Task<IReadOnlyList<CallbackRecord>> ListPendingCallbacksAsync(CancellationToken cancellationToken) => inner.ListPendingCallbacksAsync(cancellationToken);

    public Task<bool> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken) => Write(() => inner.AddDeploymentAsync(deployment, cancellationToken));

    public Task<bool> UpdateDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken) => Write(() => inner.UpdateDeploymentAsync(deployment, cancellationToken));

    public Task<bool> RemoveDeploymentAsync(string projectId, CancellationToken cancellationToken) => Write(() => inner.RemoveDeploymentAsync(projectId, cancellationToken));

    public Task<DeploymentRecord?> GetDeploymentAsync(string projectId, CancellationToken cancellationToken) => inner.GetDeploymentAsync(projectId, cancellationToken);

    public Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken) => inner.ListDeploymentsAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private Task Write(Func<Task> write) => _full ? Task.FromException(NoSpace()) : write();

    private Task<T> Write<T>(Func<Task<T>> write) => _full ? Task.FromException<T>(NoSpace()) : write();

    private static IOException NoSpace() => new("No space left on device : '/somewhere/pipelinehost.db'", 28);
}
