using System.Net;
using System.Net.Http.Headers;

namespace PipelineHost.Server.Tests.Support;

/// <summary>One HTTP request as the tests send it: status, content headers and the exact body bytes.</summary>
public static class HttpTestExtensions
{
    /// <param name="authorization">The whole <c>Authorization</c> header value (not validated, so tests can send odd ones); none when null.</param>
    public static async Task<(HttpStatusCode Status, HttpContentHeaders Headers, byte[] Body)> SendRawAsync(
        this HttpClient http, HttpMethod method, string url, string? authorization = null)
    {
        using var request = new HttpRequestMessage(method, url);
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return (response.StatusCode, response.Content.Headers, await response.Content.ReadAsByteArrayAsync());
    }
}
