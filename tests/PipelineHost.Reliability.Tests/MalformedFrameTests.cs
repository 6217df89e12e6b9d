using System.Net.WebSockets;
using System.Text;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>
/// A frame that is not a valid message gets an answer naming the problem and the connection stays usable once
/// authenticated; before auth it closes the connection (issue 17, items 2, 8 and 10).
/// </summary>
public sealed class MalformedFrameTests
{
    public static TheoryData<string, byte[], bool, string> BadFrames => new()
    {
        { "duplicate key", "{\"type\":\"request\",\"seq\":7,\"seq\":8,\"command\":\"rrext_ping\"}"u8.ToArray(), false, "Duplicate property 'seq'" },
        { "duplicate argument", "{\"type\":\"request\",\"seq\":7,\"command\":\"rrext_ping\",\"arguments\":{\"a\":1,\"a\":2}}"u8.ToArray(), false, "Duplicate property 'a'" },
        { "lone surrogate value", "{\"type\":\"request\",\"seq\":7,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\\ud800\"}}"u8.ToArray(), false, "lone surrogate" },
        { "lone surrogate name", "{\"type\":\"request\",\"seq\":7,\"command\":\"rrext_ping\",\"arguments\":{\"\\udc00\":1}}"u8.ToArray(), false, "lone surrogate" },
        { "invalid UTF-8 in a binary header", [.. "{\"type\":\"request\",\"seq\":7,\"command\":\"rrext_process\",\"arguments\":{\"x\":\""u8, 0xC3, 0x28, .. "\"}}\nDATA"u8], true, "not valid UTF-8" },
        { "invalid UTF-8 in a binary header's name", [.. "{\"type\":\"request\",\"seq\":7,\"command\":\"rrext_ping\",\"arguments\":{\""u8, 0xFF, .. "\":1}}\n"u8], true, "not valid UTF-8" },
    };

    [Theory]
    [MemberData(nameof(BadFrames))]
    public async Task A_malformed_frame_after_auth_is_answered_and_the_connection_stays_usable(string name, byte[] frame, bool binary, string expected)
    {
        _ = name;
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(frame, binary);
        var answer = (ResponseMessage)await client.NextAsync(m => m is ResponseMessage { Success: false });

        Assert.Contains(expected, answer.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Internal error", answer.Message, StringComparison.Ordinal);
        var ping = await client.RequestAsync("rrext_ping");
        Assert.True(ping.Success, ping.Message);
    }

    [Fact]
    public async Task A_text_frame_that_is_not_UTF8_is_failed_by_the_WebSocket_layer_with_1007_and_released()
    {
        // RFC 6455 §8.1: an endpoint must fail the connection on invalid UTF-8 in a text frame; no answer is possible.
        await using var server = await TestServer.StartAsync(kestrel: true);
        var registry = server.Services.GetRequiredService<Server.Connections.ConnectionRegistry>();
        await using var client = await server.ConnectAsync();

        await client.SendFrameAsync(new byte[] { (byte)'{', 0xFF, (byte)'}' }, binary: false);
        await client.WaitForCloseAsync();

        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, client.CloseStatus);
        await Eventually.TrueAsync(() => registry.Count == 0, "the server still lists the connection");
    }

    [Fact]
    public async Task A_frame_with_no_readable_seq_is_answered_with_a_null_request_seq()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await server.ConnectAsync();

        await client.SendTextAsync("{not json");
        var answer = (ResponseMessage)await client.NextAsync(m => m is ResponseMessage { Success: false });

        Assert.Null(answer.RequestSeq);
        Assert.StartsWith("Malformed JSON", answer.Message, StringComparison.Ordinal);
        Assert.True((await client.RequestAsync("rrext_ping")).Success);
    }

    [Fact]
    public async Task A_malformed_frame_before_auth_closes_the_connection_as_a_policy_violation()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await server.ConnectAsync(credential: null);

        await client.SendTextAsync("garbage");
        await client.WaitForCloseAsync();

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.CloseStatus);
        Assert.Equal("Malformed message before authentication", client.CloseDescription);
    }

    [Fact]
    public async Task Before_auth_a_message_over_the_small_limit_closes_with_1009_and_after_auth_it_is_read()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { PreAuthMaxMessageBytes = 4096 });
        var big = "{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_ping\",\"arguments\":{\"pad\":\"" + new string('x', 8192) + "\"}}";

        await using (var stranger = await server.ConnectAsync(credential: null))
        {
            await stranger.SendTextAsync(big);
            await stranger.WaitForCloseAsync();
            Assert.Equal(WebSocketCloseStatus.MessageTooBig, stranger.CloseStatus);
            Assert.Empty(stranger.Seen);
        }

        await using var member = await server.ConnectAsync();
        await member.SendTextAsync(big.Replace("\"seq\":1", "\"seq\":100", StringComparison.Ordinal));
        var answer = await member.ResponseToAsync(100);
        Assert.True(answer.Success, answer.Message);
    }

    [Fact]
    public void Malformed_frames_are_logged_at_a_bounded_rate_and_suppressed_lines_are_counted()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var limiter = new Server.Connections.ClientErrorLogLimiter(time, burst: 3, perSecond: 1);

        var written = Enumerable.Range(0, 100).Count(_ => limiter.TryAcquire(out long _));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(limiter.TryAcquire(out var suppressed));

        Assert.Equal(3, written);
        Assert.Equal(97, suppressed);
        Assert.Equal(97, limiter.SuppressedTotal);
    }

    [Fact]
    public async Task A_flood_of_garbage_from_a_member_is_answered_frame_by_frame_and_logs_stay_bounded()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var client = await server.ConnectAsync();

        for (var i = 0; i < 500; i++)
        {
            await client.SendTextAsync("{\"type\":\"request\",\"seq\":" + i + ",\"command\":\"a\",\"command\":\"b\"}");
        }

        for (var i = 0; i < 500; i++)
        {
            Assert.False((await client.ResponseToAsync(i)).Success);
        }

        Assert.True((await client.RequestAsync("rrext_ping")).Success);
        Assert.True(server.Services.GetRequiredService<Server.Connections.ClientErrorLogLimiter>().SuppressedTotal > 0);
    }
}
