using System.Text.Json.Nodes;
using PipelineHost.Cluster.Tests.Support;
using PipelineHost.Server.Tests;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Cluster.Tests;

/// <summary>A host that dies: its running tasks end CANCELLED with exitReason lost, and any host says so.</summary>
public sealed class HostLossTests
{
    [RequiresPostgresFact]
    public async Task A_killed_hosts_running_task_ends_lost_naming_the_host_as_any_other_host_answers()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await ClusterTestHosts.StartAsync(database);
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            var arguments = ClusterTestHosts.ProcessArguments(database);
            var siloPort = arguments[Array.IndexOf(arguments, "--silo-port") + 1];
            await using var b = await HostProcess.StartAsync(dataDirectory, arguments);
            await using var onB = await b.ConnectAsync();
            var token = (await onB.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
            await onB.WaitForStateAsync(token, 3);
            await using var onA = await a.ConnectAsync();
            var whileAlive = await WaitForStatusAsync(onA, token, s => s["state"]!.GetValue<int>() == 3);

            await b.KillAsync();

            var lost = await WaitForStatusAsync(onA, token, s => s["state"]!.GetValue<int>() == 6);
            Assert.Equal("lost", lost["exitReason"]!.GetValue<string>());
            Assert.Equal("CANCELED", lost["statusName"]!.GetValue<string>());
            Assert.Contains($"127.0.0.1:{siloPort}", lost["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(whileAlive["id"]!.GetValue<string>(), lost["id"]!.GetValue<string>());
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    /// <summary>Asks until the status satisfies <paramref name="predicate"/>; "not found" counts as not yet (the owner writes the history shortly after).</summary>
    private static async Task<JsonObject> WaitForStatusAsync(DapTestClient client, string token, Func<JsonObject, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var response = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
            if (response.Success && predicate(response.Body!.AsObject()))
            {
                return response.Body!.AsObject();
            }

            await Task.Delay(50, timeout.Token);
        }
    }
}
