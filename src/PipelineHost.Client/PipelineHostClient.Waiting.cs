using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

// Cheap waiting over HTTP: long-polls of GET /task (protocol-spec/http.md, "Waiting for a change").
public sealed partial class PipelineHostClient
{
    /// <summary>How long one long-poll asks the server to hold the request (the server allows up to 55 s).</summary>
    public static readonly TimeSpan LongPollWait = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits until the task's status changes past <paramref name="sinceVersion"/> (its <see cref="TaskStatus.Version"/>)
    /// and returns the new status, by long-polling <c>GET /task?wait=…&amp;sinceVersion=…</c> on the server's HTTP port:
    /// no WebSocket subscription, one request held open per <see cref="LongPollWait"/>. A task that has ended changes
    /// no more: its final status is returned at once even when its version is not newer.
    /// </summary>
    /// <param name="token">The task token.</param>
    /// <param name="sinceVersion">The version already seen; -1 returns the current status at once.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <exception cref="PipelineHostException">The server refused (unknown task, no permission); the message says why.</exception>
    public async Task<TaskStatus> WaitForChangeAsync(string token, long sinceVersion, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        using var http = new HttpClient { Timeout = LongPollWait + TimeSpan.FromSeconds(30) };
        while (true)
        {
            var status = await LongPollAsync(http, token, Math.Max(0, sinceVersion), sinceVersion < 0 ? TimeSpan.Zero : LongPollWait, cancellationToken).ConfigureAwait(false);
            if (status.Version > sinceVersion || status.Completed)
            {
                return status;
            }
        }
    }

    private async Task<TaskStatus> LongPollAsync(HttpClient http, string token, long sinceVersion, TimeSpan wait, CancellationToken cancellationToken)
    {
        var address = new UriBuilder(Uri)
        {
            Scheme = Uri.Scheme == "wss" ? Uri.UriSchemeHttps : Uri.UriSchemeHttp,
            Path = "/task",
            Query = string.Create(CultureInfo.InvariantCulture, $"token={Uri.EscapeDataString(token)}&wait={(long)wait.TotalMilliseconds}ms&sinceVersion={sinceVersion}"),
        }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _credential);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new PipelineHostException(ErrorMessage(text) ?? $"GET /task answered {(int)response.StatusCode}", "GET /task");
        }

        try
        {
            return JsonNode.Parse(text) is JsonObject envelope && JsonFields.Object(envelope, "data") is { } data
                ? TaskStatus.FromJson(data)
                : throw new PipelineHostException("GET /task answered without a status", "GET /task");
        }
        catch (JsonException ex)
        {
            throw new PipelineHostException($"GET /task answered malformed JSON: {ex.Message}", "GET /task");
        }
    }
}
