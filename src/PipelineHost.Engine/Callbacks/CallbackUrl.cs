using System.Net;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Callbacks;

/// <summary>The rules for a <c>callbackUrl</c>: what is accepted at <c>execute</c>, and how it is shown to others.</summary>
public static class CallbackUrl
{
    /// <summary>The longest URL accepted.</summary>
    public const int MaxLength = 2048;

    /// <summary>The configuration switch named in refusals.</summary>
    public const string AllowPrivateSetting = "PipelineHost:Callbacks:AllowPrivateNetworks";

    /// <summary>
    /// <paramref name="url"/> as an absolute http/https URL. Unless <paramref name="allowPrivateNetworks"/>, a host
    /// that is literally a non-public address (or <c>localhost</c>) is refused here; names are resolved and checked
    /// again at every delivery.
    /// </summary>
    /// <exception cref="TaskException">The URL is not acceptable; the message says why.</exception>
    public static Uri Parse(string url, bool allowPrivateNetworks)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (url.Length > MaxLength)
        {
            throw new TaskException($"Argument 'callbackUrl' must be at most {MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture)} characters.");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host))
        {
            throw new TaskException("Argument 'callbackUrl' must be an absolute http:// or https:// URL.");
        }

        if (!allowPrivateNetworks && IsNonPublicLiteral(uri))
        {
            throw new TaskException(
                $"Argument 'callbackUrl' points to a loopback, private or link-local address ({uri.Host}); callbacks go only to public addresses unless {AllowPrivateSetting} is true.");
        }

        return uri;
    }

    /// <summary>True when the URL's host is, without any DNS lookup, a non-public address or <c>localhost</c>.</summary>
    public static bool IsNonPublicLiteral(Uri uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var host = uri.DnsSafeHost;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var address) && NetworkAddresses.IsNonPublic(address);
    }

    /// <summary>
    /// The URL as status shows it (status is visible to anyone holding the task token): user info and query
    /// string replaced by <c>***</c>, fragment dropped; scheme, host, port and path kept.
    /// </summary>
    public static string Mask(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return "***";
        }

        var userInfo = uri.UserInfo.Length > 0 ? "***@" : string.Empty;
        var query = uri.Query.Length > 1 ? "?***" : string.Empty; // "?" alone hides nothing
        return $"{uri.Scheme}://{userInfo}{uri.Authority}{uri.AbsolutePath}{query}";
    }
}
