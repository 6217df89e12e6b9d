using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Commands;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>Connecting, authenticating and the rules every request obeys (issue: foundation).</summary>
public class SessionTests
{
    [Fact]
    public async Task Auth_with_the_api_key_answers_account_info_whose_userToken_is_a_valid_credential()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        var response = await client.RequestAsync("auth", new() { ["auth"] = "Bearer " + TestServer.ApiKey, ["clientName"] = "TypeScript SDK", ["clientVersion"] = "1.1.0" });

        Assert.True(response.Success);
        Assert.Equal(TestServer.ApiKey, response.Body!["userToken"]!.GetValue<string>());
        Assert.Equal("local", response.Body["defaultTeam"]!.GetValue<string>());
        var ping = await client.RequestAsync("rrext_ping");
        Assert.True(ping.Body!["pong"]!.GetValue<bool>());
    }

    [Theory]
    [InlineData("wrong-key", "Invalid API key")]
    [InlineData("", "No authorization provided")]
    [InlineData("   ", "No authorization provided")]
    [InlineData("tk_00000000000000000000000000000000", "Invalid or expired task credential")]
    [InlineData("pk_00000000000000000000000000000000", "Invalid or expired task credential")]
    public async Task A_bad_credential_fails_and_closes_the_socket(string credential, string error)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        var response = await client.RequestAsync("auth", new() { ["auth"] = credential });

        Assert.False(response.Success);
        Assert.Equal(error, response.Message);
        await client.WaitForCloseAsync();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task The_server_never_accepts_an_arbitrary_credential_even_when_no_key_was_configured()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { ApiKeys = [] });
        var generated = (await File.ReadAllTextAsync(Path.Combine(server.DataDirectory, "api-key"))).Trim();
        await using var stranger = new DapTestClient(await server.OpenSocketAsync());
        await using var owner = new DapTestClient(await server.OpenSocketAsync());

        var refused = await stranger.RequestAsync("auth", new() { ["auth"] = "anything" });
        var accepted = await owner.RequestAsync("auth", new() { ["auth"] = generated });

        Assert.False(refused.Success);
        Assert.True(accepted.Success);
        Assert.StartsWith("ph_", generated, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_command_before_auth_gets_not_authenticated_and_a_close()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        var response = await client.RequestAsync("rrext_ping");

        Assert.False(response.Success);
        Assert.Equal("Not authenticated", response.Message);
        await client.WaitForCloseAsync();
    }

    [Fact]
    public async Task The_public_probe_works_before_auth_and_leaves_the_socket_open()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        var probe = await client.RequestAsync("rrext_public_probe");
        var auth = await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });

        Assert.True(probe.Success);
        Assert.Equal("PipelineHost", probe.Body!["version"]!["name"]!.GetValue<string>());
        Assert.Contains("oss", probe.Body["capabilities"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.True(auth.Success);
    }

    [Fact]
    public async Task An_unknown_public_command_is_answered_not_dropped()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        var response = await client.RequestAsync("rrext_public_nothing");

        Assert.False(response.Success);
        Assert.Equal("Unknown command 'rrext_public_nothing'", response.Message);
    }

    [Fact]
    public async Task The_sixth_auth_attempt_on_one_socket_is_refused()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = new DapTestClient(await server.OpenSocketAsync());

        for (var i = 0; i < 5; i++)
        {
            Assert.True((await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey })).Success);
        }

        var sixth = await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });

        Assert.False(sixth.Success);
        Assert.Equal("Too many authentication attempts", sixth.Message);
        await client.WaitForCloseAsync();
    }

    [Fact]
    public async Task Deauth_answers_and_keeps_the_socket_open_but_unauthenticated()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var deauth = await client.RequestAsync("deauth", []);
        Assert.True(deauth.Success);
        Assert.Equal(WebSocketState.Open, client.Socket.State);

        var again = await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });
        Assert.True(again.Success);
        await client.RequestAsync("deauth", []);
        var refused = await client.RequestAsync("rrext_ping");
        Assert.Equal("Not authenticated", refused.Message);
    }

    [Fact]
    public async Task An_unknown_command_fails_with_a_clear_message_and_the_connection_goes_on()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var unknown = await client.RequestAsync("rrext_does_not_exist", []);
        var dapOnly = await client.RequestAsync("setBreakpoints", []);
        var internalHook = await client.RequestAsync("receive", []);
        var ping = await client.RequestAsync("rrext_ping");

        Assert.Equal("Unknown command 'rrext_does_not_exist'", unknown.Message);
        Assert.False(dapOnly.Success);
        Assert.False(internalHook.Success);
        Assert.True(ping.Success);
    }

    [Fact]
    public async Task Concurrent_requests_are_answered_out_of_order_and_correlated_by_request_seq()
    {
        var gates = new GateCommands();
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton<ICommandModule>(gates));
        await using var client = await server.ConnectAsync();

        var slow = await client.SendAsync("test_gate", new() { ["name"] = "a" });
        var fast = await client.SendAsync("rrext_ping");
        var fastResponse = await client.ResponseToAsync(fast);
        gates.Open("a");
        var slowResponse = await client.ResponseToAsync(slow);

        var order = client.Seen.OfType<ResponseMessage>().Select(r => r.RequestSeq).ToList();
        Assert.True(order.IndexOf(fast) < order.IndexOf(slow));
        Assert.Equal("rrext_ping", fastResponse.Command);
        Assert.Equal("a", slowResponse.Body!["gate"]!.GetValue<string>());
        var seqs = client.Seen.Select(m => m.Seq).ToList();
        Assert.Equal(seqs.Order().ToList(), seqs);
    }

    [Fact]
    public async Task Every_one_of_many_pipelined_requests_gets_exactly_one_response()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var seqs = new List<long>();
        for (var i = 0; i < 200; i++)
        {
            seqs.Add(await client.SendAsync(i % 2 == 0 ? "rrext_ping" : "nope", []));
        }

        foreach (var seq in seqs)
        {
            await client.ResponseToAsync(seq);
        }

        Assert.Equal(seqs.Count, client.Seen.OfType<ResponseMessage>().Count(r => r.RequestSeq > 1));
    }

    [Fact]
    public async Task A_malformed_frame_with_a_recoverable_seq_gets_an_error_and_the_connection_survives()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendTextAsync("""{"type":"request","seq":77,"command":"rrext_ping","arguments":{"x":}""");
        await client.SendTextAsync("complete garbage");
        await client.SendTextAsync("""{"type":"request","seq":"78","command":"rrext_ping"}""");
        var broken = await client.ResponseToAsync(77);
        var ping = await client.RequestAsync("rrext_ping");

        Assert.False(broken.Success);
        Assert.StartsWith("Malformed JSON", broken.Message, StringComparison.Ordinal);
        Assert.True(ping.Success);
    }

    [Fact]
    public async Task Server_frames_are_compact_json_without_raw_newlines()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.RequestAsync("rrext_ping");
        await client.RequestAsync("bad\ncommand", []);

        Assert.NotEmpty(client.RawTextFrames);
        Assert.All(client.RawTextFrames, f => Assert.DoesNotContain('\n', f));
    }

    [Fact]
    public async Task Responses_echo_command_and_request_seq_in_the_reference_envelope()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.RequestAsync("rrext_ping");
        var frame = JsonNode.Parse(client.RawTextFrames[^1])!.AsObject();

        Assert.Equal("response", frame["type"]!.GetValue<string>());
        Assert.Equal("rrext_ping", frame["command"]!.GetValue<string>());
        Assert.Equal(2, frame["request_seq"]!.GetValue<long>());
        Assert.True(frame["seq"]!.GetValue<long>() >= 1);
        Assert.True(frame["success"]!.GetValue<bool>());
    }
}
