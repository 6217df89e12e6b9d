using System.Net;
using System.Net.WebSockets;
using System.Text;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>What only a real socket shows: handshake refusals, close codes, message limits.</summary>
public class KestrelSessionTests
{
    [Fact]
    public async Task The_eleventh_unauthenticated_socket_from_one_address_is_refused_at_the_handshake()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        var open = new List<WebSocket>();
        try
        {
            for (var i = 0; i < 10; i++)
            {
                open.Add(await server.OpenSocketAsync());
            }

            var ex = await Assert.ThrowsAsync<WebSocketException>(() => server.OpenSocketAsync());
            Assert.Contains("403", ex.Message, StringComparison.Ordinal);

            // Authenticating one frees its slot for a newcomer.
            await using var first = new DapTestClient(open[0]);
            Assert.True((await first.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey })).Success);
            open.Add(await server.OpenSocketAsync());
        }
        finally
        {
            foreach (var socket in open)
            {
                socket.Abort();
            }
        }
    }

    [Fact]
    public async Task A_message_above_the_size_limit_closes_the_socket_with_1009()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { MaxMessageSize = 4096 });
        await using var client = await server.ConnectAsync();

        var big = Encoding.UTF8.GetBytes("""{"type":"request","seq":2,"command":"rrext_ping","arguments":{"pad":""" + "\"" + new string('x', 10_000) + "\"}}");
        await client.SendFrameAsync(big, binary: false);
        await client.WaitForCloseAsync();

        Assert.Equal(WebSocketCloseStatus.MessageTooBig, client.CloseStatus);
    }

    [Fact]
    public async Task A_binary_frame_with_payload_is_accepted_over_a_real_socket()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await server.ConnectAsync();

        var response = await client.RequestAsync("rrext_ping", [], data: "line1\nline2\n"u8.ToArray());

        Assert.True(response.Success);
    }

    [Fact]
    public async Task Get_root_tells_a_browser_user_where_the_websocket_is()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        using var http = server.CreateHttpClient();

        var body = await http.GetStringAsync("/");
        var plain = await http.GetAsync("/task/service");

        Assert.Contains("/task/service", body, StringComparison.Ordinal);
        Assert.Contains("PipelineHost", body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }
}
