using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Storage;
using PipelineHost.Engine.Tests.Support;

namespace PipelineHost.Engine.Tests.Callbacks;

/// <summary>
/// The delivery of task-end callbacks, against a scripted receiver and a manual clock: signature, headers, backoff
/// schedule, the record of attempts (on the task and in the store), resuming after a restart, refusals.
/// </summary>
public sealed class CallbackDispatcherTests : IAsyncLifetime
{
    private const string Key = "test-signing-key";
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-callback-tests", Guid.NewGuid().ToString("N"));
    private readonly ManualTimeProvider _clock = new(Start);
    private readonly ScriptedReceiver _receiver = new();
    private SqliteTaskStore _store = null!;

    public Task InitializeAsync()
    {
        _store = new SqliteTaskStore(Path.Combine(_directory, SqliteTaskStore.FileName));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private CallbackDispatcher Dispatcher(CallbackOptions? options = null, HttpMessageHandler? handler = null) => new(
        new EngineOptions { Callbacks = options ?? new CallbackOptions() },
        new CallbackSigningKey(Key),
        new SingleClientFactory(handler ?? _receiver),
        _clock,
        NullLogger<CallbackDispatcher>.Instance,
        _store);

    private static PipelineTask NewTask(string token, string url)
    {
        var identity = new TaskIdentity(token, "pk_" + token[3..], "project-1", "webhook_1", "webhook", "cb.webhook_1", "local");
        var task = new PipelineTask(identity, new JsonObject { ["project_id"] = "project-1" }, TaskOptions.Default, Start.ToUnixTimeMilliseconds() / 1000.0);
        task.SetCallback(CallbackRecord.Create(token, task.StartTime, new Uri(url)));
        return task;
    }

    private static void End(PipelineTask task)
    {
        task.TryMove(TaskState.Starting, "Starting");
        task.TryMove(TaskState.Stopping, "Stopping");
        task.Finish(TaskState.Completed, "Completed", 0, "Completed", ExitReason.Completed, Start.AddSeconds(5));
        task.SignalEnded();
    }

    private static string Hmac(byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Key), body));

    /// <summary>Waits until the store shows <paramref name="attempts"/> attempts and, unless the delivery is over, its backoff timer is set.</summary>
    private async Task<CallbackRecord> StoredAfterAttemptsAsync(string token, int attempts)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var record = await _store.GetCallbackAsync(token, timeout.Token);
            if (record is not null && record.Attempts.Count >= attempts && (record.State != CallbackState.Pending || _clock.ActiveTimerCount == 1))
            {
                return record;
            }

            await Task.Delay(10, timeout.Token);
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task A_task_with_a_callback_is_stored_pending_from_its_start_and_its_final_status_is_posted_signed_when_it_ends()
    {
        await using var dispatcher = Dispatcher();
        var task = NewTask("tk_live0001", "https://hooks.example.com/done?secret=abc");
        _receiver.Script(HttpStatusCode.OK);

        dispatcher.OnTaskEvent(new TaskLifecycle(task, "begin"));
        CallbackRecord? beforeEnd;
        while ((beforeEnd = await _store.GetCallbackAsync(task.Token, CancellationToken.None)) is null)
        {
            await Task.Delay(10);
        }

        End(task);
        var stored = await StoredAfterAttemptsAsync(task.Token, 1);

        Assert.Equal((CallbackState.Pending, null, 0), (beforeEnd!.State, beforeEnd.Payload, beforeEnd.Attempts.Count));
        var request = Assert.Single(_receiver.Requests);
        Assert.Equal(HttpMethod.Post, request.Method);
        Assert.Equal("https://hooks.example.com/done?secret=abc", request.Uri.AbsoluteUri);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal(Hmac(request.Body), request.Headers["X-PipelineHost-Signature"]);
        Assert.Equal(beforeEnd.DeliveryId, request.Headers["X-PipelineHost-Delivery"]);
        Assert.Equal("1", request.Headers["X-PipelineHost-Attempt"]);
        Assert.Equal(task.Id, request.Headers["X-PipelineHost-Task"]);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal((5, "Completed"), (body["state"]!.GetValue<int>(), body["exitMessage"]!.GetValue<string>()));
        Assert.Equal("""{"url":"https://hooks.example.com/done?***","state":"pending","attempts":[]}""", body["callback"]!.ToJsonString());
        Assert.Equal(Encoding.UTF8.GetString(request.Body), stored.Payload);
        Assert.Equal(CallbackState.Delivered, stored.State);
        var attempt = Assert.Single(stored.Attempts);
        Assert.Equal(new CallbackAttempt(1, Start, 200, null, 0), attempt);
        var live = task.Status()["callback"]!;
        Assert.Equal("delivered", live["state"]!.GetValue<string>());
        Assert.Equal("""[{"attempt":1,"at":"2025-01-01T00:00:00.000Z","statusCode":200,"error":null,"durationMs":0}]""", live["attempts"]!.ToJsonString());
    }

    [Fact]
    public async Task Failures_are_retried_with_exponential_backoff_on_the_injected_clock_and_every_attempt_is_recorded()
    {
        await using var dispatcher = Dispatcher();
        var task = NewTask("tk_retry001", "https://hooks.example.com/retry");
        _receiver.Script(HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.NoContent);

        dispatcher.OnTaskEvent(new TaskLifecycle(task, "begin"));
        End(task);
        var afterFirst = await StoredAfterAttemptsAsync(task.Token, 1);
        _clock.Advance(TimeSpan.FromMilliseconds(999));
        var requestsJustBeforeTheDelay = _receiver.Requests.Count;
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        var afterSecond = await StoredAfterAttemptsAsync(task.Token, 2);
        _clock.Advance(TimeSpan.FromSeconds(2));
        var delivered = await StoredAfterAttemptsAsync(task.Token, 3);

        Assert.Equal(CallbackState.Pending, afterFirst.State);
        Assert.Equal(1, requestsJustBeforeTheDelay);
        Assert.Equal(CallbackState.Pending, afterSecond.State);
        Assert.Equal(CallbackState.Delivered, delivered.State);
        Assert.Equal(new int?[] { 500, 503, 204 }, delivered.Attempts.Select(a => a.StatusCode));
        Assert.Equal([Start, Start.AddSeconds(1), Start.AddSeconds(3)], delivered.Attempts.Select(a => a.At));
        Assert.Equal(["1", "2", "3"], _receiver.Requests.Select(r => r.Headers["X-PipelineHost-Attempt"]));
        Assert.Single(_receiver.Requests.Select(r => r.Headers["X-PipelineHost-Delivery"]).Distinct());
        Assert.Single(_receiver.Requests.Select(r => Convert.ToBase64String(r.Body)).Distinct());
        Assert.Equal(delivered.Attempts.Count, task.Callback!.Attempts.Count);
    }

    [Fact]
    public async Task A_delivery_that_never_succeeds_records_connection_errors_and_timeouts_and_fails_after_the_last_attempt()
    {
        await using var dispatcher = Dispatcher(new CallbackOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromSeconds(2), AttemptTimeout = TimeSpan.FromSeconds(7) });
        var task = NewTask("tk_never01", "http://hooks.example.com/never");
        _receiver.Script(new HttpRequestException("Connection refused"), ScriptedReceiver.Hang, HttpStatusCode.BadGateway);

        dispatcher.OnTaskEvent(new TaskLifecycle(task, "begin"));
        End(task);
        await StoredAfterAttemptsAsync(task.Token, 1);
        _clock.Advance(TimeSpan.FromSeconds(2));
        await UntilAsync(() => _receiver.Requests.Count == 2 && _clock.ActiveTimerCount == 1); // the attempt's timeout is set
        _clock.Advance(TimeSpan.FromSeconds(7));
        await StoredAfterAttemptsAsync(task.Token, 2);
        _clock.Advance(TimeSpan.FromSeconds(4));
        var failed = await StoredAfterAttemptsAsync(task.Token, 3);

        Assert.Equal(CallbackState.Failed, failed.State);
        Assert.Equal(
            new (int, int?, string?)[] { (1, null, "Connection refused"), (2, null, "Timed out after 7 s"), (3, 502, null) },
            failed.Attempts.Select(a => (a.Attempt, a.StatusCode, a.Error)));
        Assert.Equal([Start, Start.AddSeconds(2), Start.AddSeconds(13)], failed.Attempts.Select(a => a.At));
        Assert.Equal(7000, failed.Attempts[1].DurationMs);
        Assert.Equal(3, _receiver.Requests.Count);
        Assert.Equal(0, _clock.ActiveTimerCount);
    }

    [Fact]
    public async Task Pending_deliveries_a_previous_host_left_are_resumed_at_start_with_their_stored_body_or_the_stored_final_status()
    {
        // One ended under the previous host (body frozen, one failed attempt); one was interrupted (no body yet).
        var frozen = TaskStoreSpecification.Callback("tk_frozen01", payload: """{"state":5,"id":"frozen01.webhook_1"}""", statusCodes: [500]) with { Url = "https://hooks.example.com/a" };
        var interrupted = TaskStoreSpecification.Callback("tk_intrpt01", createdAt: 1000) with { Url = "https://hooks.example.com/b?k=v" };
        await _store.UpsertCallbackAsync(frozen, CancellationToken.None);
        await _store.UpsertCallbackAsync(interrupted, CancellationToken.None);
        await _store.UpsertTaskAsync(TaskStoreSpecification.Record("tk_intrpt01", createdAt: 1000, state: TaskState.Running), CancellationToken.None);
        await _store.MarkInterruptedAsync(TaskHistoryService.InterruptedMessage, 2000, CancellationToken.None);
        _receiver.Script(HttpStatusCode.OK, HttpStatusCode.OK);
        await using var dispatcher = Dispatcher();

        await dispatcher.StartAsync(CancellationToken.None);
        var resumedInterrupted = await StoredAfterAttemptsAsync("tk_intrpt01", 1);
        await UntilAsync(() => _clock.ActiveTimerCount == 1);
        _clock.Advance(TimeSpan.FromSeconds(1)); // the frozen one's second attempt waits the backoff of attempt 2
        var resumedFrozen = await StoredAfterAttemptsAsync("tk_frozen01", 2);

        Assert.Equal(CallbackState.Delivered, resumedFrozen.State);
        Assert.Equal(new int?[] { 500, 200 }, resumedFrozen.Attempts.Select(a => a.StatusCode));
        var frozenRequest = Assert.Single(_receiver.Requests, r => r.Uri.AbsolutePath == "/a");
        Assert.Equal(frozen.Payload, Encoding.UTF8.GetString(frozenRequest.Body));
        Assert.Equal("2", frozenRequest.Headers["X-PipelineHost-Attempt"]);
        Assert.Equal(frozen.DeliveryId, frozenRequest.Headers["X-PipelineHost-Delivery"]);
        Assert.Equal(Hmac(frozenRequest.Body), frozenRequest.Headers["X-PipelineHost-Signature"]);

        Assert.Equal(CallbackState.Delivered, resumedInterrupted.State);
        var interruptedRequest = Assert.Single(_receiver.Requests, r => r.Uri.AbsolutePath == "/b");
        var body = JsonNode.Parse(interruptedRequest.Body)!.AsObject();
        Assert.Equal((6, TaskHistoryService.InterruptedMessage), (body["state"]!.GetValue<int>(), body["exitMessage"]!.GetValue<string>()));
        Assert.Equal("https://hooks.example.com/b?***", body["callback"]!["url"]!.GetValue<string>());
        Assert.Equal(resumedInterrupted.Payload, Encoding.UTF8.GetString(interruptedRequest.Body));
    }

    [Fact]
    public async Task A_host_that_resolves_to_a_private_address_is_refused_at_delivery_and_not_retried()
    {
        using var handler = CallbackHttp.CreateHandler(allowPrivateNetworks: false);
        await using var dispatcher = Dispatcher(handler: handler);
        var task = NewTask("tk_private1", "http://localhost:9/hook");

        dispatcher.OnTaskEvent(new TaskLifecycle(task, "begin"));
        End(task);
        var failed = await StoredAfterAttemptsAsync(task.Token, 1);

        Assert.Equal(CallbackState.Failed, failed.State);
        var attempt = Assert.Single(failed.Attempts);
        Assert.Null(attempt.StatusCode);
        Assert.Contains("'localhost' resolves to the non-public address", attempt.Error, StringComparison.Ordinal);
        Assert.Contains(CallbackUrl.AllowPrivateSetting, attempt.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disposing_stops_attempting_and_leaves_the_delivery_pending_for_the_next_host()
    {
        var dispatcher = Dispatcher();
        var task = NewTask("tk_stopping", "https://hooks.example.com/later");
        _receiver.Script(HttpStatusCode.InternalServerError);

        dispatcher.OnTaskEvent(new TaskLifecycle(task, "begin"));
        End(task);
        await StoredAfterAttemptsAsync(task.Token, 1);
        await dispatcher.DisposeAsync();
        var stored = await _store.GetCallbackAsync(task.Token, CancellationToken.None);

        Assert.Equal(0, dispatcher.ActiveDeliveries);
        Assert.Equal(CallbackState.Pending, stored!.State);
        Assert.Single(stored.Attempts);
        Assert.NotNull(stored.Payload);
        Assert.Single(await _store.ListPendingCallbacksAsync(CancellationToken.None));
    }

    private sealed class SingleClientFactory(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name)
        {
            Assert.Equal(CallbackDispatcher.HttpClientName, name);
            return new HttpClient(handler, disposeHandler: false) { Timeout = Timeout.InfiniteTimeSpan };
        }
    }

    /// <summary>Answers each request with the next scripted outcome: a status, an exception, or <see cref="Hang"/>.</summary>
    private sealed class ScriptedReceiver : HttpMessageHandler
    {
        public static readonly object Hang = new();

        private readonly ConcurrentQueue<object> _script = new();
        private readonly ConcurrentQueue<Received> _requests = new();

        public IReadOnlyList<Received> Requests => [.. _requests];

        public void Script(params object[] outcomes)
        {
            foreach (var outcome in outcomes)
            {
                _script.Enqueue(outcome);
            }
        }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken);
            var headers = request.Headers.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
            _requests.Enqueue(new Received(request.Method, request.RequestUri!, request.Content.Headers.ContentType?.ToString(), headers, body));
            Assert.True(_script.TryDequeue(out var outcome), "more requests than scripted");
            switch (outcome)
            {
                case HttpStatusCode code:
                    return new HttpResponseMessage(code);
                case Exception ex:
                    throw ex;
                default:
                    await Task.Delay(Timeout.Infinite, cancellationToken);
                    throw new InvalidOperationException("unreachable");
            }
        }
    }

    private sealed record Received(HttpMethod Method, Uri Uri, string? ContentType, Dictionary<string, string> Headers, byte[] Body);
}
