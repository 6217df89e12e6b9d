using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace PipelineHost.Client;

// Events: monitors (rrext_monitor) and waiting for a task to finish.
public sealed partial class PipelineHostClient
{
    /// <summary>How often <see cref="WaitForCompletionAsync"/> polls the status besides listening for events.</summary>
    public static readonly TimeSpan StatusPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Subscribes to a task's events (<c>rrext_monitor {token, types}</c>) and yields them until the enumeration is
    /// ended, which unsubscribes (the SDK sends the remaining types for that token, <c>[]</c> when none are left).
    /// Several enumerations may watch one token; each gets the types it asked for. After an automatic reconnect the
    /// subscriptions are sent again.
    /// </summary>
    /// <param name="token">The task token, or <c>*</c> for every task the caller may see (and server-wide events).</param>
    /// <param name="types">The event classes wanted.</param>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <exception cref="PipelineHostException">The server refused the subscription (e.g. it has no <c>rrext_monitor</c>).</exception>
    /// <remarks>A reader that falls more than 4096 events behind loses the oldest ones rather than stalling the connection.</remarks>
    public async IAsyncEnumerable<PipelineEvent> MonitorAsync(string token, EventTypes types, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        if (types == EventTypes.None)
        {
            throw new ArgumentException("Subscribe to at least one event type.", nameof(types));
        }

        var subscription = new EventSubscription(token, types, await TaskIdOfAsync(token, cancellationToken).ConfigureAwait(false));

        // Registered before the request goes out: the server sends its catch-up events before the response.
        await UpdateMonitorAsync(subscription, add: true, cancellationToken).ConfigureAwait(false);
        try
        {
            await foreach (var evt in subscription.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return evt;
            }
        }
        finally
        {
            await UnsubscribeQuietlyAsync(subscription).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits until the task reaches COMPLETED or CANCELLED and returns that final status. Listens for
    /// <c>apaevt_status_update</c> (SUMMARY) and also polls the status every second, so it works with servers that
    /// send no events and never misses the end between two events.
    /// </summary>
    /// <param name="token">The task token.</param>
    /// <param name="progress">Told every status seen on the way.</param>
    /// <param name="cancellationToken">Stops waiting (the task goes on).</param>
    /// <exception cref="PipelineHostException">The status cannot be read, e.g. the task is unknown.</exception>
    public async Task<TaskStatus> WaitForCompletionAsync(string token, IProgress<TaskStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        var statuses = Channel.CreateUnbounded<TaskStatus>(new UnboundedChannelOptions { SingleReader = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var listening = ListenForStatusAsync(token, statuses.Writer, stop.Token);
        var polling = PollStatusAsync(token, statuses.Writer, stop.Token);
        try
        {
            await foreach (var status in statuses.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                progress?.Report(status);
                if (status.State.IsTerminal())
                {
                    return status;
                }
            }

            // Only the poller completes the channel with an error, so reaching here means it failed.
            await polling.ConfigureAwait(false);
            throw new PipelineHostException("The status could not be read.", "rrext_get_task_status");
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(listening, polling).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
    }

    private async Task ListenForStatusAsync(string token, ChannelWriter<TaskStatus> statuses, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var evt in MonitorAsync(token, EventTypes.Summary, cancellationToken).ConfigureAwait(false))
            {
                if (evt is StatusUpdateEvent update)
                {
                    statuses.TryWrite(update.Status);
                }
            }
        }
        catch (PipelineHostException)
        {
            // The server has no events (or refused them): polling alone does the job.
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task PollStatusAsync(string token, ChannelWriter<TaskStatus> statuses, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                statuses.TryWrite(await GetTaskStatusAsync(token, cancellationToken).ConfigureAwait(false));
                await Task.Delay(StatusPollInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            statuses.TryComplete(ex);
            throw;
        }
    }

    // The short id events carry for this token's task; null (no filter) for "*" and for task credentials, which see
    // only their own task anyway and may not read its status.
    private async Task<string?> TaskIdOfAsync(string token, CancellationToken cancellationToken)
    {
        if (token == MonitorRegistry.AllTasks)
        {
            return null;
        }

        try
        {
            return (await CallAsync("rrext_get_task_status", TokenArguments(token), cancellationToken).ConfigureAwait(false))["id"] is JsonValue id
                && id.TryGetValue(out string? value) ? value : null;
        }
        catch (PipelineHostException ex) when (ex is not PipelineHostConnectionException)
        {
            return null;
        }
    }

    private async Task UpdateMonitorAsync(EventSubscription subscription, bool add, CancellationToken cancellationToken)
    {
        await _monitorUpdates.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (add)
            {
                _monitors.Add(subscription);
            }
            else
            {
                _monitors.Remove(subscription);
            }

            try
            {
                await CallAsync("rrext_monitor", MonitorArguments(subscription.Key, _monitors.TypesFor(subscription.Key)), cancellationToken).ConfigureAwait(false);
            }
            catch when (add)
            {
                // The server kept its previous subscription; forget ours.
                _monitors.Remove(subscription);
                throw;
            }
        }
        finally
        {
            _monitorUpdates.Release();
        }
    }

    private async Task UnsubscribeQuietlyAsync(EventSubscription subscription)
    {
        subscription.Complete();
        if (_lifetime.IsCancellationRequested)
        {
            _monitors.Remove(subscription);
            return;
        }

        try
        {
            await UpdateMonitorAsync(subscription, add: false, _lifetime.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is PipelineHostException or OperationCanceledException or ObjectDisposedException or TimeoutException)
        {
            // Nothing to undo: a dropped connection took the server's subscription with it.
        }
    }

    /// <summary>Sends every subscription again on a fresh connection; the server forgets them with the socket.</summary>
    private async Task RestoreMonitorsAsync(ClientConnection connection, CancellationToken cancellationToken)
    {
        foreach (var (key, types, sinceSeq) in _monitors.Active())
        {
            var arguments = MonitorArguments(key, types);
            if (sinceSeq is { } seq)
            {
                // What the server sent while we were away comes first (or an apaevt_gap for what it no longer keeps).
                arguments["sinceSeq"] = seq;
            }

            try
            {
                await RequestAsync(connection, "rrext_monitor", arguments, null, cancellationToken).ConfigureAwait(false);
            }
            catch (PipelineHostException ex) when (ex is not PipelineHostConnectionException)
            {
                // E.g. the task is gone: the other monitors still matter.
            }
        }
    }

    private static JsonObject MonitorArguments(string key, EventTypes types) => new()
    {
        ["token"] = key,
        ["types"] = new JsonArray(EventTypeNames.Names(types).Select(n => (JsonNode?)n).ToArray()),
    };
}
