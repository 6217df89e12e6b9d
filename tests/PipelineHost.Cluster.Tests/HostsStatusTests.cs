using System.Net;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Cluster.Tests;

/// <summary>Single-host mode lists itself as the one host, in <c>GET /status</c> and <c>rrext_cluster</c> alike.</summary>
public sealed class HostsStatusTests
{
    [Fact]
    public async Task Status_lists_the_one_host_with_its_slots()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { MaxConcurrentTasks = 3 });
        using var http = server.CreateHttpClient();

        var (status, _, body) = await http.SendRawAsync(HttpMethod.Get, "/status", $"Bearer {TestServer.ApiKey}");

        Assert.Equal(HttpStatusCode.OK, status);
        var host = Assert.Single(JsonNode.Parse(body)!["data"]!["hosts"]!.AsArray())!;
        Assert.Equal("active", host["state"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(host["address"]!.GetValue<string>()));
        Assert.Equal(0, host["slotsUsed"]!.GetValue<int>());
        Assert.Equal(3, host["slotsFree"]!.GetValue<int>());
        Assert.True(host["memory"]!.GetValue<long>() > 0);
        Assert.True(host["cpu"]!.GetValue<double>() >= 0);
        Assert.True(host["uptime"]!.GetValue<long>() >= 0);
    }

    [Fact]
    public async Task The_cluster_command_answers_the_same_hosts()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { MaxConcurrentTasks = 2 });
        await using var client = await server.ConnectAsync();

        var response = await client.RequestAsync("rrext_cluster");

        Assert.True(response.Success, response.Message);
        var host = Assert.Single(response.Body!["hosts"]!.AsArray())!;
        Assert.Equal("active", host["state"]!.GetValue<string>());
        Assert.Equal(2, host["slotsFree"]!.GetValue<int>());
    }
}
