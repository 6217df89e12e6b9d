using PipelineHost.Cluster.Tests.Support;
using PipelineHost.Server.Tests;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Cluster.Tests;

/// <summary>Hosts started with --cluster on one database form one cluster and list each other.</summary>
public sealed class ClusterMembershipTests
{
    [RequiresPostgresFact]
    public async Task Two_hosts_on_one_database_list_each_other_with_their_load()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await ClusterTestHosts.StartAsync(database);
        await using var b = await ClusterTestHosts.StartAsync(database);
        using var httpA = a.CreateHttpClient();
        using var httpB = b.CreateHttpClient();

        var fromA = await ClusterTestHosts.WaitForHostsAsync(httpA, h => ClusterTestHosts.Count(h, "active") == 2 && h.All(x => x!["slotsFree"] is not null));
        var fromB = await ClusterTestHosts.WaitForHostsAsync(httpB, h => ClusterTestHosts.Count(h, "active") == 2);

        Assert.Equal(fromA.Select(h => h!["address"]!.GetValue<string>()).Order(), fromB.Select(h => h!["address"]!.GetValue<string>()).Order());
        Assert.NotEqual(fromA[0]!["address"]!.GetValue<string>(), fromB[0]!["address"]!.GetValue<string>()); // each lists itself first
        Assert.All(fromA, h => Assert.True(h!["memory"]!.GetValue<long>() > 0));
    }

    [RequiresPostgresFact]
    public async Task A_killed_host_is_listed_dead_by_the_others()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var a = await ClusterTestHosts.StartAsync(database);
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            await using var b = await HostProcess.StartAsync(dataDirectory, ClusterTestHosts.ProcessArguments(database));
            using var http = a.CreateHttpClient();
            await ClusterTestHosts.WaitForHostsAsync(http, h => ClusterTestHosts.Count(h, "active") == 2);

            await b.KillAsync();

            var hosts = await ClusterTestHosts.WaitForHostsAsync(http, h => ClusterTestHosts.Count(h, "dead") == 1);
            Assert.Equal(1, ClusterTestHosts.Count(hosts, "active"));
            Assert.Null(hosts.Single(h => h!["state"]!.GetValue<string>() == "dead")!["slotsFree"]);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
