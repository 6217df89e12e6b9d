using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Alone in its collection: the instruments of every server in this process share the meter name, so a scrape is
/// only about this test's server while no other test runs.
/// </summary>
[CollectionDefinition(nameof(MetricsExportTests), DisableParallelization = true)]
public sealed class MetricsExportCollection;

/// <summary><c>GET /metrics</c>: the PipelineHost meter in Prometheus text, behind the API key unless public.</summary>
[Collection(nameof(MetricsExportTests))]
public partial class MetricsExportTests
{
    [Fact]
    public async Task After_a_task_ran_the_scrape_shows_launches_latency_states_data_bytes_events_and_worker_memory()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        Assert.True((await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new System.Text.Json.Nodes.JsonArray("summary") })).Success);
        Assert.True((await client.SendAsync(token, "hello metrics")).Success);
        await client.WaitForStatusAsync(token, s => s["metrics"]!["cpu_memory_mb"]!.GetValue<double>() > 0);
        using var http = server.CreateHttpClient();
        var running = await ScrapeAsync(http, $"?auth={TestServer.ApiKey}");
        await client.RequestAsync("terminate", new() { ["token"] = token });
        await client.WaitForStateAsync(token, 6);
        var ended = await ScrapeAsync(http, $"?auth={TestServer.ApiKey}");

        Assert.True(Value(running, "pipelinehost_tasks", "state=\"running\"") >= 1, running);
        Assert.True(Value(running, "pipelinehost_worker_memory_usage_bytes") > 1024 * 1024, running);
        Assert.True(Value(ended, "pipelinehost_task_launches_total", "pooled=\"false\"") >= 1, ended);
        Assert.True(Value(ended, "pipelinehost_task_launch_duration_seconds_count") >= 1, ended);
        Assert.True(Value(ended, "pipelinehost_task_launch_duration_seconds_sum") > 0, ended);
        Assert.True(Value(ended, "pipelinehost_tasks", "state=\"cancelled\"") >= 1, ended);
        Assert.Equal(0, Value(ended, "pipelinehost_tasks", "state=\"running\""));
        Assert.Equal(0, Value(ended, "pipelinehost_queue_depth"));
        Assert.True(Value(ended, "pipelinehost_data_bytes_total", "direction=\"in\"") >= "hello metrics".Length, ended);
        Assert.True(Value(ended, "pipelinehost_data_bytes_total", "direction=\"out\"") > 0, ended);
        Assert.True(Value(ended, "pipelinehost_events_sent_total") >= 1, ended);
        Assert.Contains("pipelinehost_events_dropped_total", ended, StringComparison.Ordinal);
        Assert.Contains("pipelinehost_worker_cpu_usage", ended, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_scrape_needs_the_api_key_unless_the_server_makes_it_public()
    {
        await using var guarded = await TestServer.StartAsync();
        using var http = guarded.CreateHttpClient();
        var none = await http.SendRawAsync(HttpMethod.Get, "/metrics");
        var wrong = await http.SendRawAsync(HttpMethod.Get, "/metrics", "Bearer not-the-key");
        var key = await http.SendRawAsync(HttpMethod.Get, "/metrics", $"Bearer {TestServer.ApiKey}");
        await using var client = await guarded.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var taskToken = await http.SendRawAsync(HttpMethod.Get, "/metrics", $"Bearer {token}");
        await client.RequestAsync("terminate", new() { ["token"] = token });
        await using var open = await TestServer.StartAsync(options: o => o with { MetricsPublic = true });
        using var openHttp = open.CreateHttpClient();
        var anyone = await openHttp.SendRawAsync(HttpMethod.Get, "/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, none.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        Assert.Equal(HttpStatusCode.OK, key.Status);
        Assert.Equal(HttpStatusCode.Forbidden, taskToken.Status);
        Assert.StartsWith("text/plain", key.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, anyone.Status);
        Assert.Contains("pipelinehost_queue_depth", System.Text.Encoding.UTF8.GetString(anyone.Body), StringComparison.Ordinal);
    }

    private static async Task<string> ScrapeAsync(HttpClient http, string query = "")
    {
        using var response = await http.GetAsync("/metrics" + query).WaitAsync(TestTimeouts.Default);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return text;
    }

    /// <summary>The value of the sample named <paramref name="name"/> whose labels contain <paramref name="label"/>.</summary>
    private static double Value(string scrape, string name, string? label = null)
    {
        foreach (Match sample in Sample().Matches(scrape))
        {
            if (sample.Groups["name"].Value == name && (label is null || sample.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        Assert.Fail($"No sample {name} {label} in:\n{scrape}");
        return 0;
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
