using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>
/// HTTP data requests are bounded both ways: the whole body (<c>--request-max-bytes</c>, all parts together) and the
/// object results its reply carries (<c>--reply-max-bytes</c>) (issue 17, item 5).
/// </summary>
public sealed class UploadLimitTests
{
    private static async Task<(HttpStatusCode Status, JsonObject Body)> PostFormAsync(HttpClient http, string token, int parts, int partSize)
    {
        using var form = new MultipartFormDataContent();
        for (var i = 0; i < parts; i++)
        {
            var part = new ByteArrayContent(Encoding.UTF8.GetBytes(new string((char)('a' + (i % 26)), partSize)));
            part.Headers.ContentType = new MediaTypeHeaderValue("text/plain");
            form.Add(part, $"part{i}", $"part{i}.txt");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhook?auth={token}") { Content = form };
        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task A_form_larger_in_all_than_the_request_limit_is_413_with_the_option_named()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { RequestMaxBytes = 100_000 });
        await using var client = await server.ConnectAsync();
        var publicKey = (await client.ExecuteAsync(TestPipelines.Echo()))["publicToken"]!.GetValue<string>();
        using var http = server.CreateHttpClient();

        var (status, body) = await PostFormAsync(http, publicKey, parts: 5, partSize: 40_000);
        var (smallStatus, small) = await PostFormAsync(http, publicKey, parts: 2, partSize: 40_000);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("--request-max-bytes", body["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, smallStatus);
        Assert.Equal(2, small["data"]!["objectsCompleted"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_reply_that_would_pass_its_limit_leaves_results_out_with_a_note_and_still_counts_every_object()
    {
        await using var server = await TestServer.StartAsync(kestrel: true, options: o => o with { ReplyMaxBytes = 50_000 });
        await using var client = await server.ConnectAsync();
        var publicKey = (await client.ExecuteAsync(TestPipelines.Echo()))["publicToken"]!.GetValue<string>();
        using var http = server.CreateHttpClient();

        var (status, body) = await PostFormAsync(http, publicKey, parts: 6, partSize: 20_000);

        Assert.Equal(HttpStatusCode.OK, status);
        var data = body["data"]!.AsObject();
        Assert.Equal(6, data["objectsCompleted"]!.GetValue<int>());
        var entries = data["objects"]!.AsObject().Select(o => o.Value!.AsObject()).ToList();
        var omitted = entries.Where(e => e["resultOmitted"] is not null).ToList();
        Assert.InRange(omitted.Count, 4, 5); // 20 KB results: two fit in 50 KB, at most one more while in flight
        Assert.All(omitted, e => Assert.Contains("--reply-max-bytes", e["message"]!.GetValue<string>(), StringComparison.Ordinal));
        Assert.True(Encoding.UTF8.GetByteCount(body.ToJsonString()) < 80_000);
    }
}
