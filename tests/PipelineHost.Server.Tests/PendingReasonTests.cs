using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Issue 20, why is it not running: <c>pendingReason</c>/<c>pending</c> of queued tasks with real workers, over the WebSocket and HTTP.</summary>
public class PendingReasonTests
{
    [Fact]
    public async Task A_queued_task_says_queue_full_with_its_position_the_slots_and_once_launches_were_seen_an_estimated_start()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3), MaxConcurrentTasks = 1 });
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        var first = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var second = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var third = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var running = await client.StatusAsync(first);
        var secondQueued = await client.StatusAsync(second);
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = first })).Success);
        await client.WaitForStateAsync(second, 3);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/task?token={third}");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + TestServer.ApiKey);
        using var response = await http.SendAsync(request);
        var thirdQueued = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!.AsObject();

        Assert.Null(running["pendingReason"]);
        Assert.Equal("queue_full", secondQueued["pendingReason"]!.GetValue<string>());
        Assert.Equal((1, 1, 1), (secondQueued["pending"]!["position"]!.GetValue<int>(), secondQueued["pending"]!["slotsInUse"]!.GetValue<int>(), secondQueued["pending"]!["slots"]!.GetValue<int>()));
        Assert.Null(secondQueued["pending"]!["estimatedStartAt"]); // one launch seen: no rate yet

        Assert.Equal("queue_full", thirdQueued["pendingReason"]!.GetValue<string>());
        Assert.Equal(1, thirdQueued["pending"]!["position"]!.GetValue<int>());
        var estimate = DateTimeOffset.Parse(thirdQueued["pending"]!["estimatedStartAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(estimate >= DateTimeOffset.Parse(thirdQueued["createdAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture));
    }
}
