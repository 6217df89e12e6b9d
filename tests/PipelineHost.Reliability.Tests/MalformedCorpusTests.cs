using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>Tests that count the whole process's file descriptors run alone, so no other test's files blur the count.</summary>
[CollectionDefinition(nameof(Serial), DisableParallelization = true)]
public sealed class Serial;

/// <summary>
/// The generated corpus against one real server: each hostile frame or request is refused with a clear message,
/// the connection lives on, and the process holds no more descriptors afterwards than before.
/// </summary>
[Collection(nameof(Serial))]
public sealed class MalformedCorpusTests
{
    // Slack for descriptors the runtime opens lazily on its own (thread pool, sockets kept alive by HttpClient).
    private const int FdSlack = 16;

    [ProcFdFact]
    public async Task Every_hostile_WebSocket_frame_is_refused_clearly_and_the_connection_stays_usable()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { AuthFailuresBeforeBackoff = 1000 });
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var frames = MalformedCorpus.WebSocketFrames(token);
        Assert.True(frames.Count >= 300, $"the corpus has {frames.Count} frames");
        Assert.True((await client.RequestAsync("rrext_ping")).Success);
        var fdsBefore = OpenFiles.Total();

        var unclear = new List<string>();
        foreach (var frame in frames)
        {
            await client.SendFrameAsync(frame.Bytes, frame.Binary);
            var answer = frame.Seq is { } seq
                ? await client.ResponseToAsync(seq)
                : (ResponseMessage)await client.NextAsync(m => m is ResponseMessage { RequestSeq: null });
            var refused = !answer.Success || (answer.Body?["errors"] is JsonArray { Count: > 0 });
            if (!refused || string.IsNullOrWhiteSpace(answer.Message) && answer.Success is false
                || (answer.Message ?? string.Empty).Contains("Internal error", StringComparison.Ordinal)
                || (answer.Message ?? string.Empty).Contains(server.DataDirectory, StringComparison.Ordinal))
            {
                unclear.Add($"{frame.Name}: success={answer.Success} message={answer.Message}");
            }
        }

        Assert.True(unclear.Count == 0, $"{unclear.Count} frames were not refused clearly:\n{string.Join('\n', unclear)}");
        Assert.True((await client.RequestAsync("rrext_ping")).Success);
        Assert.True(client.Socket.State == System.Net.WebSockets.WebSocketState.Open);
        Assert.InRange(OpenFiles.Total(), 0, fdsBefore + FdSlack);
        await client.RequestAsync("terminate", new() { ["token"] = token });
    }

    [ProcFdFact]
    public async Task Every_hostile_HTTP_request_is_a_4xx_naming_the_problem_and_the_server_keeps_answering()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { AuthFailuresBeforeBackoff = 1000 });
        await using var client = await server.ConnectAsync();
        var started = await client.ExecuteAsync(TestPipelines.Echo());
        var (tk, pk) = (started["token"]!.GetValue<string>(), started["publicToken"]!.GetValue<string>());
        var requests = MalformedHttpCorpus.Requests();
        Assert.True(requests.Count >= 100, $"the corpus has {requests.Count} requests");
        using var http = server.CreateHttpClient();
        var fdsBefore = OpenFiles.Total();

        var unclear = new List<string>();
        foreach (var hostile in requests)
        {
            using var request = new HttpRequestMessage(hostile.Method, hostile.Url.Replace("{tk}", tk, StringComparison.Ordinal).Replace("{pk}", pk, StringComparison.Ordinal));
            if (hostile.Body is { } body)
            {
                request.Content = new ByteArrayContent(body);
                if (hostile.ContentType is { } type)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
                }
            }

            if (hostile.Authorization is { } authorization)
            {
                request.Headers.TryAddWithoutValidation("Authorization", authorization.Replace("{pk}", pk, StringComparison.Ordinal));
            }
            else if (hostile.WithKey)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);
            }

            using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
            var text = await response.Content.ReadAsStringAsync();
            var message = TryMessage(text);
            var status = (int)response.StatusCode;
            if (status is < 400 or >= 500 || message is null
                || message.Contains("Internal error", StringComparison.Ordinal)
                || text.Contains(server.DataDirectory, StringComparison.Ordinal))
            {
                unclear.Add($"{hostile.Name}: {status} {text[..Math.Min(200, text.Length)]}");
            }
        }

        Assert.True(unclear.Count == 0, $"{unclear.Count} requests were not refused clearly:\n{string.Join('\n', unclear)}");
        var status200 = await http.SendRawAsync(HttpMethod.Get, $"/task?token={tk}");
        Assert.Equal(System.Net.HttpStatusCode.OK, status200.Status);
        Assert.InRange(OpenFiles.Total(), 0, fdsBefore + FdSlack);
        await client.RequestAsync("terminate", new() { ["token"] = tk });
    }

    private static string? TryMessage(string text)
    {
        try
        {
            return JsonNode.Parse(text)?["error"]?["message"]?.GetValue<string>() is { Length: > 0 } message ? message : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
