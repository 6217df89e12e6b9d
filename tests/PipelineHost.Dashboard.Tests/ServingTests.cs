using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PipelineHost.Dashboard.Tests.Support;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Dashboard.Tests;

/// <summary>How the server serves the dashboard and its live feed, without a browser.</summary>
public sealed class ServingTests : IAsyncLifetime
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "pipelinehost-dashboard-tests", Guid.NewGuid().ToString("N"));
    private WebApplication _app = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _app = PipelineHostApp.Build(new ServerOptions { Port = 0, ApiKeys = [DashboardServer.ApiKey], DataDirectory = _data, WorkerPoolSize = 0 });
        await _app.StartAsync().WaitAsync(DashboardServer.Timeout);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address), Timeout = DashboardServer.Timeout };
    }

    [Fact]
    public async Task A_browser_gets_the_dashboard_at_the_root_and_everyone_else_the_json_info()
    {
        using var browser = new HttpRequestMessage(HttpMethod.Get, "/");
        browser.Headers.Accept.ParseAdd("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
        using var page = await _http.SendAsync(browser);
        var html = await page.Content.ReadAsStringAsync();
        var plain = JsonNode.Parse(await _http.GetStringAsync("/"))!;
        var info = JsonNode.Parse(await _http.GetStringAsync("/info"))!;
        using var json = new HttpRequestMessage(HttpMethod.Get, "/");
        json.Headers.Accept.ParseAdd("application/json");
        using var jsonAnswer = await _http.SendAsync(json);
        using var script = await _http.GetAsync("/ui/logic.js");
        using var missing = await _http.GetAsync("/ui/nope.js");

        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("/ui/app.js", html, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal); // nothing from elsewhere
        Assert.Equal("PipelineHost", plain["name"]!.GetValue<string>());
        Assert.Equal(plain.ToJsonString(), info.ToJsonString());
        Assert.Equal("application/json", jsonAnswer.Content.Headers.ContentType?.MediaType);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_stream_needs_an_api_key_and_pushes_a_new_overview_when_a_task_starts()
    {
        await using var dap = await DapSocket.ConnectAsync(_http.BaseAddress!, DashboardServer.ApiKey);
        using (var anonymous = await _http.GetAsync("/dashboard/events"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/events");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DashboardServer.ApiKey);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = await NextOverviewAsync(reader);
        Assert.Equal(0, first["states"]!["RUNNING"]!.GetValue<int>());
        Assert.Equal("single", first["mode"]!.GetValue<string>());
        Assert.Single(first["hosts"]!.AsArray());

        var started = await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(), ["name"] = "watched" });
        var token = started["token"]!.GetValue<string>();
        JsonObject overview;
        do
        {
            overview = await NextOverviewAsync(reader);
        }
        while (overview["states"]!["RUNNING"]!.GetValue<int>() != 1);

        Assert.Equal("watched.webhook_1", overview["running"]![0]!["name"]!.GetValue<string>());
        Assert.Equal(1, overview["activeWorkers"]!.GetValue<int>());

        using var scoped = new HttpRequestMessage(HttpMethod.Get, "/dashboard/events");
        scoped.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var denied = await _http.SendAsync(scoped);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
    }

    private static async Task<JsonObject> NextOverviewAsync(StreamReader reader)
    {
        using var timeout = new CancellationTokenSource(DashboardServer.Timeout);
        while (await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonNode.Parse(line["data: ".Length..])!.AsObject();
            }
        }

        throw new EndOfStreamException();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync().WaitAsync(DashboardServer.Timeout);
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_data, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
