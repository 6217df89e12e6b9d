using System.Net;
using System.Net.Sockets;

namespace PipelineHost.Engine.Callbacks;

/// <summary>
/// The HTTP handler callbacks are sent with. It resolves the host itself and checks every address before
/// connecting, so the check and the connection see the same addresses (a name cannot resolve to a public address
/// for the check and a private one for the connect). No redirects (a 3xx could lead anywhere), no proxy (the check
/// would see the proxy, not the receiver), no cookies.
/// </summary>
public static class CallbackHttp
{
    /// <summary>A handler that refuses non-public addresses unless <paramref name="allowPrivateNetworks"/>.</summary>
    public static SocketsHttpHandler CreateHandler(bool allowPrivateNetworks) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, allowPrivateNetworks, cancellationToken),
    };

    /// <summary>Resolves <paramref name="endPoint"/>, refuses it if any address is non-public (unless allowed), connects.</summary>
    /// <exception cref="CallbackAddressRefusedException">The host resolves to a non-public address.</exception>
    internal static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(endPoint.Host, out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        if (!allowPrivateNetworks && addresses.FirstOrDefault(NetworkAddresses.IsNonPublic) is { } refused)
        {
            throw new CallbackAddressRefusedException(endPoint.Host, refused);
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A callback host resolved to a loopback, private or link-local address and private networks are not allowed.</summary>
public sealed class CallbackAddressRefusedException(string host, IPAddress address)
    : Exception($"Refused: '{host}' resolves to the non-public address {address}; set {CallbackUrl.AllowPrivateSetting} to true to allow it.");
