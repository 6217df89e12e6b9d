using System.Collections.Concurrent;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Engine.Tasks;

/// <summary>
/// <c>idempotencyKey</c> (issue 20): the same key with the same pipeline within 24 h returns the first task; the
/// keys live in the durable store (per user), so a retry after a restart still finds its task.
/// </summary>
public sealed partial class TaskManager
{
    // Claim, register and replay of keyed launches, one at a time: a replay must find the first task registered.
    private readonly SemaphoreSlim _idempotencyGate = new(1, 1);

    // For a manager without a store (tests, embedded use): the same rule, in memory only.
    private readonly ConcurrentDictionary<(string UserId, string Key), IdempotencyRecord> _memoryKeys = new();

    /// <summary>
    /// Claims <paramref name="claim"/>'s key for its token, or, when the key already names a task within the
    /// window, returns that task (same pipeline) or fails (another pipeline). Null when the claim is recorded.
    /// </summary>
    private async Task<TaskLaunch?> ClaimOrReplayAsync(IdempotencyRecord claim, CancellationToken cancellationToken)
    {
        var notBefore = claim.CreatedAt - IdempotencyKeys.Window.TotalSeconds;
        var existing = await ClaimAsync(claim, notBefore, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            return null;
        }

        if (existing.PipelineHash != claim.PipelineHash)
        {
            throw new IdempotencyConflictException(await FirstTaskIdAsync(existing, cancellationToken).ConfigureAwait(false) ?? "gone");
        }

        if (_tasks.TryGetValue(existing.Token, out var live) && string.Equals(live.Identity.UserId, claim.UserId, StringComparison.Ordinal))
        {
            return new TaskLaunch(live, live.QueuePosition) { Replayed = true };
        }

        if (_store is not null && await _store.FindTaskAsync(existing.Token, cancellationToken).ConfigureAwait(false) is { } stored
            && string.Equals(stored.Token, existing.Token, StringComparison.Ordinal) && string.Equals(stored.UserId, claim.UserId, StringComparison.Ordinal))
        {
            // The task store keeps credentials only as keyed hashes: the token and public key come from the claim.
            var identity = new TaskIdentity(existing.Token, stored.PublicKey ?? existing.PublicKey ?? string.Empty, stored.ProjectId, stored.Source, stored.Provider, stored.Name, stored.UserId) { Id = stored.Id };
            return new TaskLaunch(identity, 0) { Replayed = true };
        }

        // The claim outlived its task (the host died before recording it, or the history dropped it): start anew.
        await ReleaseClaimAsync(existing).ConfigureAwait(false);
        return await ClaimAsync(claim, notBefore, cancellationToken).ConfigureAwait(false) is null
            ? null
            : throw new TaskException("The idempotency key is being used by another request; try again");
    }

    private async Task<string?> FirstTaskIdAsync(IdempotencyRecord existing, CancellationToken cancellationToken) =>
        _tasks.TryGetValue(existing.Token, out var live) ? live.Id
        : _store is not null && await _store.FindTaskAsync(existing.Token, cancellationToken).ConfigureAwait(false) is { } stored && stored.Token == existing.Token ? stored.Id
        : null;

    private Task<IdempotencyRecord?> ClaimAsync(IdempotencyRecord claim, double notBefore, CancellationToken cancellationToken)
    {
        if (_store is not null)
        {
            return _store.ClaimIdempotencyKeyAsync(claim, notBefore, cancellationToken);
        }

        var kept = _memoryKeys.AddOrUpdate((claim.UserId, claim.Key), claim, (_, old) => old.CreatedAt < notBefore ? claim : old);
        return Task.FromResult(ReferenceEquals(kept, claim) ? null : kept);
    }

    /// <summary>Frees a claim whose task was not started (or is gone), so the key can start one.</summary>
    private async Task ReleaseClaimAsync(IdempotencyRecord claim)
    {
        _memoryKeys.TryRemove((claim.UserId, claim.Key), out _);
        if (_store is not null)
        {
            await _store.ReleaseIdempotencyKeyAsync(claim.UserId, claim.Key, CancellationToken.None).ConfigureAwait(false);
        }
    }
}
