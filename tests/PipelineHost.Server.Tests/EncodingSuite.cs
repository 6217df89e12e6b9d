using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Json;
using PipelineHost.Protocol.MessagePack;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// One behavioural suite, run once per wire encoding: everything a client does must work the same in JSON and
/// in MessagePack (over a real socket, with the subprotocol negotiated).
/// </summary>
public abstract class EncodingSuite(IMessageCodec codec)
{
    private async Task<DapTestClient> ConnectAsync(TestServer server, bool authenticate = true)
    {
        var socket = codec.SubProtocol is { } name ? await server.OpenSocketAsync(name) : await server.OpenSocketAsync();
        Assert.Equal(codec.SubProtocol, socket.SubProtocol);
        var client = new DapTestClient(socket, codec);
        if (authenticate)
        {
            Assert.True((await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey })).Success);
        }

        return client;
    }

    [Fact]
    public async Task Auth_gate_ping_and_unknown_commands()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var anonymous = await ConnectAsync(server, authenticate: false);
        await using var client = await ConnectAsync(server);

        var refused = await anonymous.RequestAsync("rrext_ping");
        var ping = await client.RequestAsync("rrext_ping");
        var unknown = await client.RequestAsync("nope", []);

        Assert.Equal("Not authenticated", refused.Message);
        await anonymous.WaitForCloseAsync();
        Assert.True(ping.Body!["pong"]!.GetValue<bool>());
        Assert.Equal("Unknown command 'nope'", unknown.Message);
    }

    [Fact]
    public async Task A_task_runs_takes_binary_writes_with_newlines_and_reports_status_and_events()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await ConnectAsync(server);
        var started = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo() });
        var token = started.Body!["token"]!.GetValue<string>();
        await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("summary") });

        var result = await client.SendAsync(token, "line one\nline two\n", "text/plain", null, "\nthird");
        var status = await client.StatusAsync(token);
        var update = await client.EventAsync(e => e.Event == "apaevt_status_update");

        Assert.True(started.Success, started.Message);
        Assert.Equal("line one\nline two\n\n\n\nthird\n\n", result.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(1, status["completedCount"]!.GetValue<int>());
        Assert.Equal(3, status["state"]!.GetValue<int>());
        Assert.Equal(started.Body["id"]!.GetValue<string>(), update.Body["__id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pipelined_requests_are_each_answered_once()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await ConnectAsync(server);

        var seqs = new List<long>();
        for (var i = 0; i < 50; i++)
        {
            seqs.Add(await client.SendAsync(i % 3 == 0 ? "bad" : "rrext_ping", []));
        }

        var responses = await Task.WhenAll(seqs.Select(client.ResponseToAsync));

        Assert.Equal(seqs, responses.Select(r => r.RequestSeq!.Value));
        Assert.Equal(50, client.Seen.OfType<ResponseMessage>().Count(r => r.Command != "auth"));
    }
}

public sealed class JsonEncodingSuite() : EncodingSuite(JsonMessageCodec.Instance);

public sealed class MessagePackEncodingSuite() : EncodingSuite(MessagePackMessageCodec.Instance);
