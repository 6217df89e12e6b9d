using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

// Task outputs: the files a task's writer components produced, over the server's HTTP API (same port).
public sealed partial class PipelineHostClient
{
    /// <summary>
    /// Downloads one of a task's <see cref="TaskStatus.Outputs"/> (<c>GET /task/output</c> on the server's HTTP port,
    /// authenticated with this client's credential) into <paramref name="destination"/>. Works after the task has
    /// ended. A public key (<c>pk_</c>) may not download.
    /// </summary>
    /// <param name="token">The task token.</param>
    /// <param name="name">The output's <see cref="TaskOutputFile.Name"/>.</param>
    /// <param name="destination">Where the bytes go; not closed.</param>
    /// <param name="cancellationToken">Stops the download.</param>
    /// <exception cref="PipelineHostException">The server refused (unknown task or output, no permission); the message says why.</exception>
    public async Task DownloadOutputAsync(string token, string name, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(destination);
        var address = new UriBuilder(Uri)
        {
            Scheme = Uri.Scheme == "wss" ? Uri.UriSchemeHttps : Uri.UriSchemeHttp,
            Path = "/task/output",
            Query = $"token={Uri.EscapeDataString(token)}&name={Uri.EscapeDataString(name)}",
        }.Uri;
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _credential);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new PipelineHostException(ErrorMessage(text) ?? $"GET /task/output answered {(int)response.StatusCode}", "GET /task/output");
        }

        await response.Content.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
    }

    // The server's error envelope: {"status":"Error","error":{"message":"…"}}.
    private static string? ErrorMessage(string body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject envelope ? JsonFields.String(JsonFields.Object(envelope, "error"), "message") : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
