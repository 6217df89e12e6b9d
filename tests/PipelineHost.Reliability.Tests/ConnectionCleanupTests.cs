using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>However a connection ends, its store file handles and data pipes are released at once (issue 17, item 8).</summary>
public sealed class ConnectionCleanupTests
{
    public enum Ending
    {
        ClientAborts,
        ClientClosesAfterGarbage,
        ServerClosesOnOversizeMessage,
    }

    [ProcFdTheory]
    [InlineData(Ending.ClientAborts)]
    [InlineData(Ending.ClientClosesAfterGarbage)]
    [InlineData(Ending.ServerClosesOnOversizeMessage)]
    public async Task Store_handles_and_pipes_are_released_when_the_connection_ends(Ending ending)
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { MaxMessageSize = 64 * 1024 });
        await using var owner = await server.ConnectAsync();
        var token = (await owner.ExecuteAsync(TestPipelines.Echo(), new() { ["threads"] = 1 }))["token"]!.GetValue<string>();
        var before = OpenFiles.Under(server.DataDirectory + "/store");

        var client = await server.ConnectAsync();
        for (var i = 0; i < 20; i++)
        {
            var open = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_open", ["path"] = $"leak/{i}.bin", ["mode"] = "w" });
            Assert.True(open.Success, open.Message);
        }

        var pipe = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["token"] = token, ["object"] = new JsonObject { ["name"] = "held" } });
        Assert.True(pipe.Success, pipe.Message);
        Assert.Equal(before + 20, OpenFiles.Under(server.DataDirectory + "/store"));

        switch (ending)
        {
            case Ending.ClientAborts:
                client.Socket.Abort();
                break;
            case Ending.ClientClosesAfterGarbage:
                await client.SendTextAsync("{\"type\":\"request\",\"seq\":1,\"seq\":2}");
                await client.SendFrameAsync(new byte[] { 0x7B, 0xC3, 0x28, 0x0A }, binary: true);
                await client.NextAsync(m => m is ResponseMessage { Success: false });
                break;
            case Ending.ServerClosesOnOversizeMessage:
                await client.SendTextAsync(new string(' ', 128 * 1024));
                await client.WaitForCloseAsync();
                break;
        }

        await client.DisposeAsync();

        await Eventually.TrueAsync(() => OpenFiles.Under(server.DataDirectory + "/store") == before, "store file handles are still open");

        // The task has one pipe slot: another client can open a pipe only once the dead connection's pipe is gone.
        var next = await owner.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["token"] = token, ["object"] = new JsonObject { ["name"] = "next" } });
        Assert.True(next.Success, next.Message);
        await owner.RequestAsync("terminate", new() { ["token"] = token });
    }
}
