using System.Globalization;

namespace PipelineHost.Client;

/// <summary>Turns what a user types into the WebSocket address of a server, by the RocketRide SDKs' rules.</summary>
public static class ServiceUri
{
    /// <summary>RocketRide's (and PipelineHost's) default port.</summary>
    public const int DefaultPort = 5565;

    /// <summary>The one WebSocket path a server listens on.</summary>
    public const string ServicePath = "/task/service";

    /// <summary>
    /// <c>http</c>→<c>ws</c>, <c>https</c>→<c>wss</c>; a bare <c>host:port</c> gets <c>ws://</c>; a missing port becomes
    /// 5565 (except for RocketRide's cloud hosts); the path, query and fragment are replaced by <c>/task/service</c>.
    /// </summary>
    /// <exception cref="ArgumentException">Not an address, or a scheme other than ws, wss, http or https.</exception>
    public static Uri Normalize(string address)
    {
        ArgumentNullException.ThrowIfNull(address);
        var text = address.Trim();
        if (text.Length == 0)
        {
            throw new ArgumentException("The server address is empty.", nameof(address));
        }

        // Without a scheme, "localhost:5565" would parse as scheme "localhost": add one first, as the SDKs do.
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw new ArgumentException($"'{address}' is not a server address.", nameof(address));
        }

        var scheme = uri.Scheme.ToLowerInvariant() switch
        {
            "ws" or "http" => "ws",
            "wss" or "https" => "wss",
            _ => throw new ArgumentException($"'{address}': use ws://, wss://, http:// or https://.", nameof(address)),
        };

        var port = HasExplicitPort(text, uri)
            ? uri.Port
            : uri.Host.Contains("rocketride.ai", StringComparison.OrdinalIgnoreCase) ? (scheme == "wss" ? 443 : 80) : DefaultPort;
        return new Uri(string.Create(CultureInfo.InvariantCulture, $"{scheme}://{uri.Host}:{port}{ServicePath}"));
    }

    // Uri hides a port equal to the scheme's default; the SDKs keep an explicit ":80", so look at the text.
    private static bool HasExplicitPort(string text, Uri uri)
    {
        var start = text.IndexOf("://", StringComparison.Ordinal) + 3;
        var end = text.IndexOfAny(['/', '?', '#'], start);
        var authority = end < 0 ? text[start..] : text[start..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var colon = authority.LastIndexOf(':');
        return colon > authority.LastIndexOf(']') && colon < authority.Length - 1 && uri.Port > 0;
    }
}
