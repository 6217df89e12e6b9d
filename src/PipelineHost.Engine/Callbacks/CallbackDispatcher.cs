using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Storage;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Callbacks;

/// <summary>
/// Delivers task-end callbacks: when a task with a <c>callbackUrl</c> ends, POSTs its final TASK_STATUS there,
/// signed (<see cref="CallbackSigningKey"/>), retrying with exponential backoff (<see cref="CallbackOptions"/>) by a
/// Polly retry pipeline with a Polly timeout per attempt, every attempt recorded on the task and in the store.
/// </summary>
/// <remarks>
/// <para>Durability: the delivery record is stored when the task is created (state <c>pending</c>, no body yet),
/// again with the frozen body when the task ends, and after every attempt. At startup, after the history service
/// has ended the tasks a dead host left running, every delivery still pending is resumed: one whose task ended
/// under the previous host continues with its stored body; one whose task was interrupted gets the stored final
/// status as its body. A graceful shutdown stops attempting (the record stays pending) rather than delaying the
/// shutdown by a backoff.</para>
/// <para>Times come from the injected <see cref="TimeProvider"/>: backoff waits and attempt timeouts, so tests
/// drive them with a manual clock.</para>
/// </remarks>
public sealed partial class CallbackDispatcher : ITaskObserver, IHostedService, IAsyncDisposable
{
    /// <summary>The named <see cref="HttpClient"/> callbacks are sent with (see <see cref="CallbackHttp.CreateHandler"/>).</summary>
    public const string HttpClientName = "PipelineHost.Callbacks";

    /// <summary>How long disposal waits for deliveries to store their state before abandoning them.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private static readonly JsonSerializerOptions BodyOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly CallbackOptions _options;
    private readonly CallbackSigningKey _key;
    private readonly IHttpClientFactory _httpClients;
    private readonly TimeProvider _time;
    private readonly ILogger<CallbackDispatcher> _logger;
    private readonly ITaskStore? _store;
    private readonly ResiliencePipeline<CallbackRecord?> _retry;
    private readonly ResiliencePipeline _attemptTimeout;
    private readonly ConcurrentDictionary<Task, byte> _deliveries = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly CancellationTokenSource _abandon = new();
    private int _disposed;

    /// <summary>Creates the dispatcher; without a <paramref name="store"/> deliveries live in memory only.</summary>
    public CallbackDispatcher(
        EngineOptions options,
        CallbackSigningKey key,
        IHttpClientFactory httpClients,
        TimeProvider time,
        ILogger<CallbackDispatcher> logger,
        ITaskStore? store = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Callbacks;
        _key = key;
        _httpClients = httpClients;
        _time = time;
        _logger = logger;
        _store = store;
        _retry = RetryPipeline(_options, time);
        _attemptTimeout = new ResiliencePipelineBuilder { TimeProvider = time }.AddTimeout(_options.AttemptTimeout).Build();
    }

    /// <summary>Deliveries in progress (waiting for their task, attempting or backing off).</summary>
    public int ActiveDeliveries => _deliveries.Count;

    /// <inheritdoc />
    public void OnTaskEvent(TaskEvent taskEvent)
    {
        ArgumentNullException.ThrowIfNull(taskEvent);
        if (taskEvent is TaskLifecycle { Action: "begin" } && taskEvent.Task.Callback is { } record && Volatile.Read(ref _disposed) == 0)
        {
            Track(DeliverLiveAsync(taskEvent.Task, record));
        }
    }

    /// <summary>Resumes the deliveries a previous host left pending. Runs after the history service's recovery.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_store is null)
        {
            return;
        }

        var pending = await _store.ListPendingCallbacksAsync(cancellationToken).ConfigureAwait(false);
        foreach (var record in pending)
        {
            Track(ResumeAsync(record));
        }
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Stops attempting (deliveries stay pending in the store), lets deliveries whose task is ending store their
    /// body, and abandons the rest after <see cref="DrainTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        var all = Task.WhenAll(_deliveries.Keys);
        try
        {
            await all.WaitAsync(DrainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
            await all.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
        _abandon.Dispose();
    }

    /// <summary>The body of a delivery: <paramref name="status"/> as compact JSON, the bytes every attempt sends and signs.</summary>
    public static string Body(JsonObject status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.ToJsonString(BodyOptions);
    }

    private void Track(Task delivery)
    {
        _deliveries[delivery] = 0;
        _ = delivery.ContinueWith(t => _deliveries.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task DeliverLiveAsync(PipelineTask task, CallbackRecord record)
    {
        await Task.Yield();
        try
        {
            await PersistAsync(record).ConfigureAwait(false);
            try
            {
                await task.Ended.WaitAsync(_abandon.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // The host stops before the task ends: the next host marks it interrupted and resumes from the store.
                return;
            }

            // The final status, with this delivery shown pending: the state the task ended in.
            record = (task.Callback ?? record) with { Payload = Body(task.Status()) };
            await PersistAsync(record).ConfigureAwait(false);
            await AttemptAllAsync(task, record).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.DeliveryFailed(_logger, task.Id, ex);
        }
    }

    private async Task ResumeAsync(CallbackRecord record)
    {
        await Task.Yield();
        try
        {
            if (record.Payload is null)
            {
                var stored = await _store!.FindTaskByHashAsync(record.TokenHash!, _stopping.Token).ConfigureAwait(false);
                if (stored is null || stored.CreatedAt != record.CreatedAt || !stored.State.IsTerminal())
                {
                    // Nothing to send: the task's record is gone (or is another run). Nothing will ever complete it.
                    Log.Orphaned(_logger, TaskIdOf(record));
                    await PersistAsync(record with { State = CallbackState.Failed }).ConfigureAwait(false);
                    return;
                }

                var status = stored.ToStatus();
                status["callback"] = record.ToStatusJson();
                record = record with { Payload = Body(status) };
                await PersistAsync(record).ConfigureAwait(false);
            }

            Log.Resuming(_logger, TaskIdOf(record), record.Attempts.Count);
            await AttemptAllAsync(null, record).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.DeliveryFailed(_logger, TaskIdOf(record), ex);
        }
    }

    /// <summary>
    /// Retries while the record the last attempt left is still pending (not delivered, not permanently refused, not
    /// out of attempts); the wait before attempt n is <see cref="CallbackOptions.DelayBefore"/>, so a delivery
    /// resumed after k stored attempts goes on with the backoff of attempt k + 1.
    /// </summary>
    private static ResiliencePipeline<CallbackRecord?> RetryPipeline(CallbackOptions options, TimeProvider time) =>
        new ResiliencePipelineBuilder<CallbackRecord?> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<CallbackRecord?>
            {
                // The attempt count is bounded by ShouldHandle, which knows the attempts a resumed delivery made before.
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { State: CallbackState.Pending }),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(options.DelayBefore(args.Outcome.Result!.Attempts.Count + 1)),
            })
            .Build();

    private async Task AttemptAllAsync(PipelineTask? task, CallbackRecord record)
    {
        var taskId = task?.Id ?? TaskIdOf(record);
        var body = Encoding.UTF8.GetBytes(record.Payload!);
        var signature = _key.Sign(body);
        if (record.Attempts.Count >= _options.MaxAttempts)
        {
            record = record with { State = CallbackState.Failed };
            task?.SetCallback(record);
            await PersistAsync(record).ConfigureAwait(false);
            return;
        }

        try
        {
            // A resumed delivery first waits the backoff its next attempt is due after; a new one starts at once.
            var resumeDelay = _options.DelayBefore(record.Attempts.Count + 1);
            if (resumeDelay > TimeSpan.Zero)
            {
                await Task.Delay(resumeDelay, _time, _stopping.Token).ConfigureAwait(false);
            }

            await _retry.ExecuteAsync(
                async _ =>
                {
                    var attempt = record.Attempts.Count + 1;
                    var (result, permanent) = await AttemptAsync(record, taskId, attempt, body, signature).ConfigureAwait(false);
                    if (result is null)
                    {
                        return null; // the host is stopping: the attempt was not made to the end, so it is not recorded
                    }

                    var delivered = result.StatusCode is >= 200 and < 300;
                    var state = delivered ? CallbackState.Delivered
                        : permanent || attempt >= _options.MaxAttempts ? CallbackState.Failed
                        : CallbackState.Pending;
                    record = record with { State = state, Attempts = [.. record.Attempts, result] };
                    task?.SetCallback(record);
                    await PersistAsync(record).ConfigureAwait(false);
                    Log.Attempted(_logger, taskId, attempt, result.StatusCode, result.Error ?? string.Empty, CallbackRecord.StateName(state), CallbackUrl.Mask(record.Url));
                    return record;
                },
                _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The host is stopping during a backoff: the record stays pending for the next host.
        }
    }

    /// <summary>One POST. Null when the host began stopping during it; <c>Permanent</c> when retrying cannot help.</summary>
    private async Task<(CallbackAttempt? Attempt, bool Permanent)> AttemptAsync(CallbackRecord record, string taskId, int attempt, byte[] body, string signature)
    {
        var at = _time.GetUtcNow();
        var started = _time.GetTimestamp();
        int? statusCode = null;
        string? error = null;
        var permanent = false;
        try
        {
            statusCode = await _attemptTimeout.ExecuteAsync(
                async cancellationToken =>
                {
                    using var request = NewRequest(record, taskId, attempt, body, signature);
                    var client = _httpClients.CreateClient(HttpClientName);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                    return (int?)(int)response.StatusCode;
                },
                _stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return (null, false);
        }
        catch (TimeoutRejectedException)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"Timed out after {_options.AttemptTimeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException ex) when (Refusal(ex) is { } refused)
        {
            error = refused.Message;
            permanent = true;
        }
        catch (HttpRequestException ex)
        {
            error = ex.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !ex.Message.Contains(inner.Message, StringComparison.Ordinal)
                ? $"{ex.Message} ({inner.Message})"
                : ex.Message;
        }

        var duration = (long)Math.Round(_time.GetElapsedTime(started).TotalMilliseconds);
        return (new CallbackAttempt(attempt, at, statusCode, error, duration), permanent);
    }

    private static HttpRequestMessage NewRequest(CallbackRecord record, string taskId, int attempt, byte[] body, string signature)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, record.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(Headers.Signature, signature);
        request.Headers.TryAddWithoutValidation(Headers.Delivery, record.DeliveryId);
        request.Headers.TryAddWithoutValidation(Headers.Attempt, attempt.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(Headers.Task, taskId);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("PipelineHost", typeof(CallbackDispatcher).Assembly.GetName().Version?.ToString(3) ?? "0"));
        return request;
    }

    private static CallbackAddressRefusedException? Refusal(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            if (e is CallbackAddressRefusedException refused)
            {
                return refused;
            }
        }

        return null;
    }

    private async Task PersistAsync(CallbackRecord record)
    {
        if (_store is null)
        {
            return;
        }

        try
        {
            await _store.UpsertCallbackAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The delivery goes on from memory; only its durability suffers.
            Log.PersistFailed(_logger, TaskIdOf(record), ex);
        }
    }

    // The status's short id lives in the payload; before there is one, the token's first characters say enough.
    private static string TaskIdOf(CallbackRecord record)
    {
        if (record.Payload is { } payload)
        {
            try
            {
                if (JsonNode.Parse(payload)?["id"] is JsonValue id && id.GetValueKind() == JsonValueKind.String)
                {
                    return id.GetValue<string>();
                }
            }
            catch (JsonException)
            {
            }
        }

        return "?"; // never a piece of the token: logs carry no credential
    }

    /// <summary>The request headers of a delivery.</summary>
    public static class Headers
    {
        /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the exact body bytes.</summary>
        public const string Signature = "X-PipelineHost-Signature";

        /// <summary>The delivery's id, the same for each attempt.</summary>
        public const string Delivery = "X-PipelineHost-Delivery";

        /// <summary>The attempt's number, from 1.</summary>
        public const string Attempt = "X-PipelineHost-Attempt";

        /// <summary>The task's short id (status <c>id</c>), never its token.</summary>
        public const string Task = "X-PipelineHost-Task";
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.CallbackAttempted, LogLevel.Information, "Task {TaskId} callback attempt {Attempt} to {Url}: status {StatusCode} {Error} → {State}")]
        public static partial void Attempted(ILogger logger, string taskId, int attempt, int? statusCode, string error, string state, string url);

        [LoggerMessage(LogEventIds.CallbackDeliveryFailed, LogLevel.Error, "Task {TaskId} callback delivery failed unexpectedly")]
        public static partial void DeliveryFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(LogEventIds.CallbackPersistFailed, LogLevel.Warning, "Task {TaskId} callback state could not be stored")]
        public static partial void PersistFailed(ILogger logger, string taskId, Exception exception);

        [LoggerMessage(LogEventIds.CallbackResuming, LogLevel.Information, "Task {TaskId} callback resumed after {Attempts} earlier attempts")]
        public static partial void Resuming(ILogger logger, string taskId, int attempts);

        [LoggerMessage(LogEventIds.CallbackOrphaned, LogLevel.Warning, "Task {TaskId} callback is pending but its task record is gone; marked failed")]
        public static partial void Orphaned(ILogger logger, string taskId);
    }
}
