using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// The host ↔ worker channel with real worker processes (protocol-spec/worker-ipc.md): a worker that breaks the
/// contract is a crashed worker, never a fault of the host.
/// </summary>
public class WorkerChannelTests
{
    [Theory]
    [InlineData("garble", "an undecodable message")]
    [InlineData("impersonate", "a StopWorker, which only the host sends")]
    public async Task A_worker_that_breaks_the_channel_contract_ends_its_task_cancelled_and_the_host_serves_on(string fault, string said)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty(fault)))["token"]!.GetValue<string>();

        var send = await client.SendAsync(token, "boom");
        var final = await client.WaitForStateAsync(token, 5, 6);
        var echo = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var after = await client.SendAsync(echo, "still here");

        Assert.False(send.Success);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal("failed", final["exitReason"]!.GetValue<string>());
        var message = final["exitMessage"]!.GetValue<string>();
        Assert.StartsWith("The worker broke the channel protocol and was stopped: it sent ", message, StringComparison.Ordinal);
        Assert.Contains(said, message, StringComparison.Ordinal);
        Assert.True(after.Success, after.Message);
    }
}
