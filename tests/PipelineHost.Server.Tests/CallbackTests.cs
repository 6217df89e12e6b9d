using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Storage;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// <c>callbackUrl</c> end to end: a real worker, a real receiver on 127.0.0.1, the real HTTP client with its
/// address check (private networks allowed, as a receiver on loopback needs), the real store.
/// </summary>
public class CallbackTests
{
    private const string SigningKey = "callback-test-key";

    private static Task<TestServer> StartAsync(
        Func<CallbackOptions, CallbackOptions>? callbacks = null,
        Action<IServiceCollection>? services = null,
        string? dataDirectory = null) =>
        TestServer.StartAsync(
            options: o => o with
            {
                StopGrace = TimeSpan.FromSeconds(3),
                Callbacks = (callbacks ?? (c => c))(new CallbackOptions { SigningKey = SigningKey, AllowPrivateNetworks = true }),
            },
            services: services,
            dataDirectory: dataDirectory);

    private static string Hmac(byte[] body, string key = SigningKey) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), body));

    private static async Task<string> RunOneObjectAndStopAsync(DapTestClient client, string callbackUrl)
    {
        var token = (await client.ExecuteAsync(TestPipelines.Echo(), new() { ["callbackUrl"] = callbackUrl }))["token"]!.GetValue<string>();
        Assert.True((await client.SendAsync(token, "hello")).Success);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        return token;
    }

    private static Task<JsonObject> WaitForCallbackStateAsync(DapTestClient client, string token, string state) =>
        client.WaitForStatusAsync(token, s => s["callback"]?["state"]?.GetValue<string>() == state);

    [Fact]
    public async Task The_final_status_is_posted_with_a_signature_the_receiver_can_verify_and_the_delivery_is_recorded()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        var logs = new CapturedLogs();
        await using var server = await StartAsync(services: s => s.AddSingleton<ILoggerProvider>(logs));
        await using var client = await server.ConnectAsync();
        var url = receiver.Url("/hooks/done?secret=query-s3cret");

        var token = await RunOneObjectAndStopAsync(client, url);
        var request = await receiver.NextAsync();
        var status = await WaitForCallbackStateAsync(client, token, "delivered");

        Assert.Equal("/hooks/done?secret=query-s3cret", request.PathAndQuery);
        Assert.Equal("application/json", request.ContentType);
        Assert.Equal(Hmac(request.Body), request.Headers["X-PipelineHost-Signature"]);
        Assert.NotEqual(Hmac(request.Body, "another key"), request.Headers["X-PipelineHost-Signature"]);
        Assert.Equal("1", request.Headers["X-PipelineHost-Attempt"]);
        Assert.Matches("^[0-9a-f-]{36}$", request.Headers["X-PipelineHost-Delivery"]);
        Assert.Equal(status["id"]!.GetValue<string>(), request.Headers["X-PipelineHost-Task"]);
        var body = JsonNode.Parse(request.Body)!.AsObject();
        Assert.Equal((6, true, "Stopped", 1), (body["state"]!.GetValue<int>(), body["completed"]!.GetValue<bool>(), body["exitMessage"]!.GetValue<string>(), body["completedCount"]!.GetValue<int>()));
        Assert.Equal(status["id"]!.GetValue<string>(), body["id"]!.GetValue<string>());

        var masked = receiver.Url("/hooks/done?***");
        Assert.Equal(masked, status["callback"]!["url"]!.GetValue<string>());
        Assert.Equal(masked, body["callback"]!["url"]!.GetValue<string>());
        var attempt = Assert.Single(status["callback"]!["attempts"]!.AsArray())!.AsObject();
        Assert.Equal(["attempt", "at", "statusCode", "error", "durationMs"], attempt.Select(p => p.Key));
        Assert.Equal((1, 200), (attempt["attempt"]!.GetValue<int>(), attempt["statusCode"]!.GetValue<int>()));
        Assert.Null(attempt["error"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", attempt["at"]!.GetValue<string>());
        Assert.True(attempt["durationMs"]!.GetValue<long>() >= 0);
        Assert.Equal(["updatedAt", "lastHeartbeatAt", "version", "pendingReason", "pending", "budget", "percent", "eta", "etaConfidence", "recentRate"], status.Select(p => p.Key).TakeLast(10));

        Assert.NotEmpty(logs.Messages);
        Assert.Contains(logs.Messages, m => m.Contains("callback attempt 1", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Contains("query-s3cret", StringComparison.Ordinal) || m.Contains(SigningKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_receiver_that_fails_twice_then_succeeds_gets_three_attempts_each_recorded_with_its_status_code()
    {
        await using var receiver = await CallbackReceiver.StartAsync(500, 503);
        await using var server = await StartAsync(c => c with { InitialDelay = TimeSpan.FromMilliseconds(10) });
        await using var client = await server.ConnectAsync();

        var token = await RunOneObjectAndStopAsync(client, receiver.Url("/hook"));
        var status = await WaitForCallbackStateAsync(client, token, "delivered");

        var attempts = status["callback"]!["attempts"]!.AsArray();
        Assert.Equal([1, 2, 3], attempts.Select(a => a!["attempt"]!.GetValue<int>()));
        Assert.Equal([500, 503, 200], attempts.Select(a => a!["statusCode"]!.GetValue<int>()));
        var requests = receiver.Requests;
        Assert.Equal(["1", "2", "3"], requests.Select(r => r.Headers["X-PipelineHost-Attempt"]));
        Assert.Single(requests.Select(r => r.Headers["X-PipelineHost-Delivery"]).Distinct());
        Assert.Single(requests.Select(r => Convert.ToBase64String(r.Body)).Distinct());
        Assert.All(requests, r => Assert.Equal(Hmac(r.Body), r.Headers["X-PipelineHost-Signature"]));
    }

    [Fact]
    public async Task The_delivery_record_is_durable_and_status_still_shows_it_after_a_host_restart()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            await using var receiver = await CallbackReceiver.StartAsync(502);
            string token;
            JsonObject live;
            await using (var server = await StartAsync(c => c with { InitialDelay = TimeSpan.FromMilliseconds(10) }, dataDirectory: dataDirectory))
            {
                await using var client = await server.ConnectAsync();
                token = await RunOneObjectAndStopAsync(client, receiver.Url("/hook?k=v"));
                live = await WaitForCallbackStateAsync(client, token, "delivered");

                // The store has it as well (the dispatcher writes after every attempt, before the status shows it).
                var stored = await server.Services.GetRequiredService<ITaskStore>().GetCallbackAsync(token, CancellationToken.None);
                Assert.Equal(CallbackState.Delivered, stored!.State);
                Assert.Equal(receiver.Url("/hook?k=v"), stored.Url);
            }

            await using var restarted = await StartAsync(dataDirectory: dataDirectory);
            using var http = restarted.CreateHttpClient();
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/task?token={token}");
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
            using var response = await http.SendAsync(request);
            var status = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsObject();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True(JsonNode.DeepEquals(live["callback"], status["callback"]), status["callback"]?.ToJsonString());
            Assert.Equal([502, 200], status["callback"]!["attempts"]!.AsArray().Select(a => a!["statusCode"]!.GetValue<int>()));
            Assert.Equal(2, receiver.Requests.Count);
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task A_callback_to_a_private_address_is_refused_at_execute_unless_private_networks_are_allowed()
    {
        await using var server = await StartAsync(c => c with { AllowPrivateNetworks = false });
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var loopback = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["callbackUrl"] = "http://127.0.0.1:9/hook" });
        var metadata = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["callbackUrl"] = "http://169.254.169.254/latest" });
        var notHttp = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["callbackUrl"] = "ftp://example.com/x" });
        using var post = new HttpRequestMessage(HttpMethod.Post, "/task?callbackUrl=" + Uri.EscapeDataString("http://[::1]:8080/x"))
        {
            Content = new StringContent(TestPipelines.Echo().ToJsonString(), Encoding.UTF8, "application/json"),
        };
        post.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var overHttp = await http.SendAsync(post);
        var httpError = JsonNode.Parse(await overHttp.Content.ReadAsStringAsync())!;

        Assert.False(loopback.Success);
        Assert.StartsWith("Argument 'callbackUrl' points to a loopback, private or link-local address (127.0.0.1)", loopback.Message, StringComparison.Ordinal);
        Assert.Contains("PipelineHost:Callbacks:AllowPrivateNetworks", loopback.Message, StringComparison.Ordinal);
        Assert.False(metadata.Success);
        Assert.Equal("Argument 'callbackUrl' must be an absolute http:// or https:// URL.", notHttp.Message);
        Assert.Equal(HttpStatusCode.BadRequest, overHttp.StatusCode);
        Assert.StartsWith("Argument 'callbackUrl' points to a loopback", httpError["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(server.Services.GetRequiredService<Engine.Tasks.TaskManager>().Tasks);
    }

    [Fact]
    public async Task Post_task_takes_the_callback_url_in_its_query_and_a_task_without_one_shows_callback_null()
    {
        await using var receiver = await CallbackReceiver.StartAsync();
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        using var post = new HttpRequestMessage(HttpMethod.Post, "/task?callbackUrl=" + Uri.EscapeDataString(receiver.Url("/from-http")))
        {
            Content = new StringContent(TestPipelines.Echo().ToJsonString(), Encoding.UTF8, "application/json"),
        };
        post.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var started = await http.SendAsync(post);
        var token = JsonNode.Parse(await started.Content.ReadAsStringAsync())!["data"]!["token"]!.GetValue<string>();
        var pending = await client.StatusAsync(token);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var request = await receiver.NextAsync();
        var without = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var none = await client.StatusAsync(without);

        Assert.Equal(HttpStatusCode.OK, started.StatusCode);
        Assert.Equal("""{"url":"{url}","state":"pending","attempts":[]}""".Replace("{url}", receiver.Url("/from-http"), StringComparison.Ordinal), pending["callback"]!.ToJsonString());
        Assert.Equal("/from-http", request.PathAndQuery);
        Assert.True(none.ContainsKey("callback"));
        Assert.Null(none["callback"]);
    }

    /// <summary>Every log message the host writes, formatted.</summary>
    private sealed class CapturedLogs : ILoggerProvider
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => [.. _messages];

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner._messages.Enqueue(formatter(state, exception) + (exception is null ? string.Empty : " " + exception));
        }
    }
}
