using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// Durable task history and deployments. The engine talks to storage only through this interface, so a
/// second implementation (PostgreSQL) plugs in without touching it; <c>TaskStoreSpecification</c> in the tests
/// is the contract every implementation must pass. Times are unix seconds. All methods are safe to call
/// concurrently.
/// </summary>
public interface ITaskStore : IAsyncDisposable
{
    /// <summary>
    /// Creates the schema or migrates it to the current version. Idempotent; the other methods call it
    /// themselves when it has not run yet, so calling it first only moves the cost (and any failure) to startup.
    /// </summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Inserts or replaces the record with <see cref="TaskRecord.Token"/>. A record of an earlier run of the same
    /// token (another <see cref="TaskRecord.CreatedAt"/>) is replaced whole, its transitions and the callback of
    /// an earlier run dropped.
    /// </summary>
    Task UpsertTaskAsync(TaskRecord record, CancellationToken cancellationToken);

    /// <summary>Appends to the task's state log. The task's record must exist.</summary>
    Task AppendTransitionAsync(string token, TaskState state, double at, CancellationToken cancellationToken);

    /// <summary>
    /// The task whose token or public key is <paramref name="tokenOrPublicKey"/> (matched by keyed hash), else the
    /// newest whose short id it is; null when unknown. The record carries back <see cref="TaskRecord.Token"/> or
    /// <see cref="TaskRecord.PublicKey"/> only when it was matched by that credential.
    /// </summary>
    Task<TaskRecord?> FindTaskAsync(string tokenOrPublicKey, CancellationToken cancellationToken);

    /// <summary>The task stored under <paramref name="tokenHash"/> (a <see cref="TaskRecord.TokenHash"/> read back earlier); null when unknown.</summary>
    Task<TaskRecord?> FindTaskByHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>The task's state log, oldest first.</summary>
    Task<IReadOnlyList<TaskTransition>> ListTransitionsAsync(string token, CancellationToken cancellationToken);

    /// <summary>
    /// Tasks matching <paramref name="query"/>, in its order (newest <see cref="TaskRecord.CreatedAt"/> first by
    /// default; ties newest first, then by short id), skipping <see cref="TaskQuery.Offset"/>. Records carry their
    /// <see cref="TaskRecord.Token"/> only when <see cref="TaskQuery.Tokens"/> named it; <see cref="TaskQuery.TokenPrefix"/>
    /// matches short ids only (the store does not know the tokens).
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>How many tasks match <paramref name="query"/>'s filters (its paging and order ignored).</summary>
    Task<int> CountTasksAsync(TaskQuery query, CancellationToken cancellationToken);

    /// <summary>
    /// Ends every task not in a final state: CANCELLED at <paramref name="at"/> with exit message
    /// <paramref name="reason"/> (<see cref="TaskRecord.InterruptedQueuedMessage"/> for a task that was still queued),
    /// no exit code, and status text <see cref="TaskRecord.InterruptedStatusText"/>, a CANCELLED transition appended;
    /// the figures last stored (counts, tokens, metrics) are kept. Used at startup, when such tasks can only have been
    /// running or queued when the host died. Returns the records as changed.
    /// </summary>
    Task<IReadOnlyList<TaskRecord>> MarkInterruptedAsync(string reason, double at, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes tasks that ended before <paramref name="before"/>, with their transitions and callbacks, leaving an
    /// <see cref="ExpiredTask"/> for each (found with <see cref="FindExpiredAsync"/>). Returns how many.
    /// </summary>
    Task<int> DeleteExpiredAsync(double before, CancellationToken cancellationToken);

    // Issue 20 (peers-http). Default bodies keep other implementations building; the SQLite store overrides them.

    /// <summary>
    /// The task <paramref name="token"/> named before the history dropped it; null when the store never had it
    /// (or forgot that too: an <see cref="ExpiredTask"/> is kept 90 days past the history's retention).
    /// </summary>
    Task<ExpiredTask?> FindExpiredAsync(string token, CancellationToken cancellationToken) => Task.FromResult<ExpiredTask?>(null);

    /// <summary>
    /// Records <paramref name="claim"/> unless the same user's key already names a task created at or after
    /// <paramref name="notBefore"/>: then nothing changes and that record is returned. Null when the claim was
    /// recorded. Atomic: of two concurrent claims of one key, one wins.
    /// </summary>
    Task<IdempotencyRecord?> ClaimIdempotencyKeyAsync(IdempotencyRecord claim, double notBefore, CancellationToken cancellationToken) => Task.FromResult<IdempotencyRecord?>(null);

    /// <summary>Removes the claim of <paramref name="userId"/>'s <paramref name="key"/> (its task could not be started).</summary>
    Task ReleaseIdempotencyKeyAsync(string userId, string key, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Inserts or replaces the callback delivery record of <see cref="CallbackRecord.Token"/>: one per token, the
    /// latest run's. A record of an earlier run (smaller <see cref="CallbackRecord.CreatedAt"/>) never replaces a
    /// later run's. Needs no task record (it is written when the task is created, possibly before the task's).
    /// </summary>
    Task UpsertCallbackAsync(CallbackRecord record, CancellationToken cancellationToken);

    /// <summary>The callback record of the task <paramref name="token"/> (matched by keyed hash); null when it has none.</summary>
    Task<CallbackRecord?> GetCallbackAsync(string token, CancellationToken cancellationToken);

    /// <summary>The callback record of the task stored under <paramref name="tokenHash"/> (its <see cref="TaskRecord.TokenHash"/>); null when it has none.</summary>
    Task<CallbackRecord?> GetCallbackByHashAsync(string tokenHash, CancellationToken cancellationToken);

    /// <summary>Every callback still <see cref="CallbackState.Pending"/>, oldest run first.</summary>
    Task<IReadOnlyList<CallbackRecord>> ListPendingCallbacksAsync(CancellationToken cancellationToken);

    /// <summary>Adds a deployment; false (and nothing changed) when one with its project id exists.</summary>
    Task<bool> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken);

    /// <summary>Replaces the deployment with the same project id; false when there is none.</summary>
    Task<bool> UpdateDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken);

    /// <summary>Removes a deployment; false when there is none.</summary>
    Task<bool> RemoveDeploymentAsync(string projectId, CancellationToken cancellationToken);

    /// <summary>The deployment of <paramref name="projectId"/>; null when there is none.</summary>
    Task<DeploymentRecord?> GetDeploymentAsync(string projectId, CancellationToken cancellationToken);

    /// <summary>Every deployment, oldest first.</summary>
    Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken);
}
