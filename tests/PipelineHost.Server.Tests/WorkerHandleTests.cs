using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>A worker's pipes are closed when it ends, not when the garbage collector gets to them.</summary>
public sealed class WorkerHandleTests
{
    [Fact]
    public async Task Starting_and_stopping_many_tasks_does_not_grow_the_hosts_open_descriptors()
    {
        const int Tasks = 24;
        await using var server = await TestServer.StartAsync(options: o => o with { StopGrace = TimeSpan.FromSeconds(3) });
        await using var client = await server.ConnectAsync();
        await RunAndStopAsync(client); // warm: the first task opens what every later one reuses
        var before = OpenDescriptors();

        for (var i = 0; i < Tasks; i++)
        {
            await RunAndStopAsync(client);
        }

        var after = OpenDescriptors();

        // Each worker has three pipes (stdin, stdout, stderr): leaking them would add about 3 × Tasks.
        Assert.True(after - before < Tasks, $"{before} descriptors before, {after} after {Tasks} tasks");
    }

    private static async Task RunAndStopAsync(DapTestClient client)
    {
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        await client.WaitForStateAsync(token, 6);
    }

    private static int OpenDescriptors() => Directory.GetFiles("/proc/self/fd").Length;
}
