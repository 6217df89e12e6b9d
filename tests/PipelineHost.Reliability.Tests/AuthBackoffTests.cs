using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>Key guessing is slowed per address, and a short key is refused off loopback (issue 17, item 4).</summary>
public sealed class AuthBackoffTests
{
    private static readonly IPAddress Guesser = IPAddress.Parse("203.0.113.7");

    [Fact]
    public void After_the_allowed_failures_each_further_one_doubles_the_wait_up_to_the_cap()
    {
        var time = new FakeTimeProvider();
        var backoff = new AuthBackoff(time, failuresBeforeBackoff: 3);

        for (var i = 0; i < 3; i++)
        {
            Assert.False(backoff.IsWaiting(Guesser, out _));
            backoff.Failed(Guesser);
        }

        Assert.False(backoff.IsWaiting(Guesser, out _));
        backoff.Failed(Guesser);
        Assert.True(backoff.IsWaiting(Guesser, out var first));
        time.Advance(first);
        backoff.Failed(Guesser);
        Assert.True(backoff.IsWaiting(Guesser, out var second));
        for (var i = 0; i < 20; i++)
        {
            backoff.Failed(Guesser);
        }

        Assert.True(backoff.IsWaiting(Guesser, out var capped));
        Assert.False(backoff.IsWaiting(IPAddress.Parse("203.0.113.8"), out _));
        Assert.Equal(TimeSpan.FromSeconds(1), first);
        Assert.Equal(TimeSpan.FromSeconds(2), second);
        Assert.Equal(AuthBackoff.MaxDelay, capped);
    }

    [Fact]
    public void A_right_key_clears_the_record_and_task_credential_failures_do_not_count()
    {
        var time = new FakeTimeProvider();
        var backoff = new AuthBackoff(time, failuresBeforeBackoff: 2);
        var authenticator = new CredentialAuthenticator(new ApiKeyStore(["the-right-key-of-enough-length"]), new NoTasks(), backoff);

        for (var i = 0; i < 10; i++)
        {
            Assert.False(authenticator.Authenticate("tk_0123456789abcdef0123456789abcdef", Guesser).Succeeded);
        }

        Assert.True(authenticator.Authenticate("Bearer the-right-key-of-enough-length", Guesser).Succeeded);
        Assert.False(authenticator.Authenticate("wrong-1", Guesser).Succeeded);
        Assert.False(authenticator.Authenticate("wrong-2", Guesser).Succeeded);
        var waiting = authenticator.Authenticate("wrong-3", Guesser);
        var rightDuringWait = authenticator.Authenticate("the-right-key-of-enough-length", Guesser);
        time.Advance(TimeSpan.FromSeconds(1));
        var rightAfterWait = authenticator.Authenticate("the-right-key-of-enough-length", Guesser);

        Assert.Equal("Invalid API key", waiting.Error); // the third failure starts the wait
        Assert.False(rightDuringWait.Succeeded);
        Assert.StartsWith("Too many failed authentication attempts from this address", rightDuringWait.Error, StringComparison.Ordinal);
        Assert.NotNull(rightDuringWait.RetryAfter);
        Assert.True(rightAfterWait.Succeeded);
    }

    [Fact]
    public async Task Over_WebSocket_and_HTTP_an_address_that_keeps_guessing_is_told_to_wait_until_fake_time_passes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(
            options: o => o with { AuthFailuresBeforeBackoff = 3 },
            services: s => s.AddSingleton<TimeProvider>(time));
        using var http = server.CreateHttpClient();

        for (var i = 0; i < 3; i++)
        {
            await using var guess = await server.ConnectAsync(credential: null);
            var answer = await guess.RequestAsync("auth", new() { ["auth"] = $"guess-{i}" });
            Assert.Equal("Invalid API key", answer.Message);
        }

        var (status, body) = await GetStatusAsync(http, "guess-http");
        var (waitStatus, waitBody) = await GetStatusAsync(http, TestServer.ApiKey);
        await using (var blocked = await server.ConnectAsync(credential: null))
        {
            var answer = await blocked.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });
            Assert.False(answer.Success);
            Assert.StartsWith("Too many failed authentication attempts", answer.Message, StringComparison.Ordinal);
        }

        time.Advance(TimeSpan.FromSeconds(1));
        var (afterStatus, _) = await GetStatusAsync(http, TestServer.ApiKey);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("Access denied", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.TooManyRequests, waitStatus);
        Assert.Contains("try again in 1 s", waitBody, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, afterStatus);
    }

    private static async Task<(HttpStatusCode, string)> GetStatusAsync(HttpClient http, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/status");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("0.0.0.0")]
    [InlineData("192.168.1.10")]
    [InlineData("::")]
    public void A_short_key_is_refused_when_listening_beyond_loopback(string host)
    {
        var options = new ServerOptions { Host = host, Port = 0, ApiKeys = ["short-key"], DataDirectory = TestServer.NewDataDirectory() };

        var error = Assert.Throws<ArgumentException>(() => PipelineHostApp.Build(options));

        Assert.Contains("shorter than 24 characters", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("short-key", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("localhost")]
    [InlineData("::1")]
    public void A_short_key_is_accepted_on_loopback(string host) =>
        Assert.True(ApiKeyPolicy.CheckShortKeys(["short-key"], host));

    [Fact]
    public void A_long_key_is_accepted_anywhere() =>
        Assert.False(ApiKeyPolicy.CheckShortKeys([new string('k', 24)], "0.0.0.0"));

    private sealed class NoTasks : Engine.Security.ITaskCredentialResolver
    {
        public Engine.Security.Caller? Resolve(string credential) => null;
    }
}
