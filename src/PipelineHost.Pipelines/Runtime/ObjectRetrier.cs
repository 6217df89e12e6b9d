namespace PipelineHost.Pipelines.Runtime;

/// <summary>How an object's processing ended after its retries.</summary>
/// <param name="Succeeded">True when an attempt succeeded.</param>
/// <param name="Attempts">Attempts made, the first one included.</param>
/// <param name="Error">The last failure's message when it did not succeed.</param>
public sealed record RetryOutcome(bool Succeeded, int Attempts, string? Error);

/// <summary>
/// Runs an object again after it failed, per the retry policy that applies to the failure: the failing
/// component's own, else the task's. Waits on the injected <see cref="TimeProvider"/>, so tests drive the
/// schedule with a manual clock; reports every failure, wait and retry to the <see cref="RetryTracker"/>.
/// </summary>
public sealed class ObjectRetrier(RetryPolicy? taskPolicy, Func<string, RetryPolicy?> componentPolicy, RetryTracker tracker, TimeProvider time)
{
    /// <summary>The policy for <paramref name="failure"/>: the failing component's, else the task's, else none.</summary>
    public RetryPolicy PolicyFor(Exception failure) =>
        (failure is ComponentFailureException component ? componentPolicy(component.ComponentId) : null)
        ?? taskPolicy
        ?? RetryPolicy.None;

    /// <summary>True when a first failure like <paramref name="failure"/> would be retried.</summary>
    public bool WillRetry(Exception failure) => PolicyFor(failure).MaxRetries > 0;

    /// <summary>Runs <paramref name="attempt"/> (given the attempt number, from 1) and retries it while the policy allows.</summary>
    public async Task<RetryOutcome> RunAsync(Func<int, CancellationToken, ValueTask> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        try
        {
            await attempt(1, cancellationToken).ConfigureAwait(false);
            return new RetryOutcome(true, 1, null);
        }
        catch (Exception ex) when (IsObjectFailure(ex))
        {
            return await RetryAsync(ex, true, attempt, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The first attempt already failed with <paramref name="firstFailure"/>: records it and, when
    /// <paramref name="canReplay"/> and the policy allow, runs <paramref name="attempt"/> again from attempt 2.
    /// </summary>
    public async Task<RetryOutcome> RetryAsync(Exception firstFailure, bool canReplay, Func<int, CancellationToken, ValueTask> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(firstFailure);
        ArgumentNullException.ThrowIfNull(attempt);
        var failure = firstFailure;
        var attempts = 1;
        tracker.Failure(failure.Message);
        while (canReplay)
        {
            var policy = PolicyFor(failure);
            if (attempts - 1 >= policy.MaxRetries)
            {
                break;
            }

            var delay = policy.DelayBefore(attempts);

            // The timer exists before the retry is reported as pending: whoever sees nextProcessAt can move the clock.
            var wait = Task.Delay(delay, time, cancellationToken);
            using (tracker.Pending(time.GetUtcNow() + delay))
            {
                await wait.ConfigureAwait(false);
            }

            tracker.RetryStarted();
            attempts++;
            try
            {
                await attempt(attempts, cancellationToken).ConfigureAwait(false);
                return new RetryOutcome(true, attempts, null);
            }
            catch (Exception ex) when (IsObjectFailure(ex))
            {
                failure = ex;
                tracker.Failure(failure.Message);
            }
        }

        return new RetryOutcome(false, attempts, failure.Message);
    }

    private static bool IsObjectFailure(Exception ex) => ex is not OperationCanceledException and not OutOfMemoryException;
}
