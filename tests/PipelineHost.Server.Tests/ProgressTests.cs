using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Issue 20, "how far along, and when will it end?": percent, eta and etaConfidence against a known total, the recent
/// rate alone for an open-ended source; real workers.
/// </summary>
public class ProgressTests
{
    [Fact]
    public async Task A_webhook_task_with_an_expected_count_gets_percent_and_eta_and_one_without_only_the_recent_rate()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var known = (await client.ExecuteAsync(TestPipelines.Echo(), new JsonObject { ["expectedCount"] = 1000 }))["token"]!.GetValue<string>();
        var open = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var refused = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["expectedCount"] = -1 });

        // Objects at the pace the worker takes them, until the server has measured a rate (it pools changes closer
        // together than 100 ms, so a few rounds are needed).
        var withEta = await SendUntilAsync(client, known, s => s["eta"] is not null);
        var withRate = await SendUntilAsync(client, open, s => s["recentRate"] is JsonValue rate && rate.GetValue<double>() > 0); // a first measure may be 0 (an object opened, none finished)

        var done = withEta["completedCount"]!.GetValue<long>() + withEta["failedCount"]!.GetValue<long>();
        Assert.Equal(Math.Round(done * 100.0 / 1000, 1), withEta["percent"]!.GetValue<double>());
        Assert.True(DateTimeOffset.Parse(withEta["eta"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddSeconds(-5));
        Assert.InRange(withEta["etaConfidence"]!.GetValue<double>(), 0, 1);
        Assert.True(withEta["recentRate"]!.GetValue<double>() > 0);
        Assert.Null(withRate["percent"]);
        Assert.Null(withRate["eta"]);
        Assert.Null(withRate["etaConfidence"]);
        Assert.True(withRate["recentRate"]!.GetValue<double>() > 0);
        Assert.False(refused.Success);
        Assert.Contains("expectedCount", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_source_that_knows_its_total_ends_at_100_percent_with_no_eta_left()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.SyntheticBatch(20)))["token"]!.GetValue<string>();

        var final = await client.WaitForStateAsync(token, 5, 6);

        Assert.Equal(100, final["percent"]!.GetValue<double>());
        Assert.Null(final["eta"]);
        Assert.Null(final["recentRate"]);
    }

    [Fact]
    public async Task Post_task_takes_the_expected_count_as_a_query_parameter_and_refuses_a_negative_one()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var started = await PostAsync(http, "/task?expectedCount=50");
        var refused = await PostAsync(http, "/task?expectedCount=-1");
        var token = started.Body["data"]!["token"]!.GetValue<string>();
        await client.SendAsync(token, "one of fifty");
        var status = await client.StatusAsync(token);

        Assert.Equal(System.Net.HttpStatusCode.OK, started.Status);
        Assert.Equal(1, status["completedCount"]!.GetValue<long>());
        Assert.Equal(2.0, status["percent"]!.GetValue<double>());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, refused.Status);
        Assert.Contains("expectedCount", refused.Body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<(System.Net.HttpStatusCode Status, JsonObject Body)> PostAsync(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(TestPipelines.Echo().ToJsonString(), System.Text.Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private static async Task<JsonObject> SendUntilAsync(DapTestClient client, string token, Func<JsonObject, bool> done)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        for (var i = 0; ; i++)
        {
            var status = await client.StatusAsync(token);
            if (done(status))
            {
                return status;
            }

            timeout.Token.ThrowIfCancellationRequested();
            Assert.True((await client.SendAsync(token, $"object {i}")).Success);
        }
    }
}
