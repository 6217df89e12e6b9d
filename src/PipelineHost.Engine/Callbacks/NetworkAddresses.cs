using System.Net;

namespace PipelineHost.Engine.Callbacks;

/// <summary>Which IP addresses are not on the public internet: the one rule callbacks check, at execute and at delivery.</summary>
public static class NetworkAddresses
{
    private static readonly IPAddress Nat64WellKnown = IPAddress.Parse("64:ff9b::");
    private static readonly IPAddress SixToFour = IPAddress.Parse("2002::");
    private static readonly IPAddress Teredo = IPAddress.Parse("2001::");

    private static readonly (IPAddress Network, int Prefix)[] NonPublic =
    [
        (IPAddress.Parse("0.0.0.0"), 8),         // "this" network, the unspecified address
        (IPAddress.Parse("10.0.0.0"), 8),        // private
        (IPAddress.Parse("100.64.0.0"), 10),     // carrier-grade NAT
        (IPAddress.Parse("127.0.0.0"), 8),       // loopback
        (IPAddress.Parse("169.254.0.0"), 16),    // link-local (cloud metadata services live here)
        (IPAddress.Parse("172.16.0.0"), 12),     // private
        (IPAddress.Parse("192.0.0.0"), 24),      // IETF protocol assignments
        (IPAddress.Parse("192.168.0.0"), 16),    // private
        (IPAddress.Parse("198.18.0.0"), 15),     // benchmarking
        (IPAddress.Parse("224.0.0.0"), 4),       // multicast
        (IPAddress.Parse("240.0.0.0"), 4),       // reserved, broadcast
        (IPAddress.Parse("::"), 128),            // unspecified
        (IPAddress.Parse("::1"), 128),           // loopback
        (IPAddress.Parse("64:ff9b:1::"), 48),    // local-use NAT64
        (IPAddress.Parse("fc00::"), 7),          // unique local
        (IPAddress.Parse("fe80::"), 10),         // link-local
        (IPAddress.Parse("fec0::"), 10),         // site-local (deprecated, still routed by some)
        (IPAddress.Parse("ff00::"), 8),          // multicast
    ];

    /// <summary>
    /// True for loopback, private, link-local, unique-local, carrier-grade NAT, multicast, reserved and unspecified
    /// addresses. An IPv6 address that carries an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64
    /// <c>64:ff9b::/96</c>, 6to4 <c>2002::/16</c>, Teredo <c>2001::/32</c>) is judged as every IPv4 address it
    /// carries too: a gateway on the way would deliver it there.
    /// </summary>
    public static bool IsNonPublic(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            foreach (var embedded in EmbeddedIPv4(address))
            {
                if (IsNonPublic(embedded))
                {
                    return true;
                }
            }

            if (address.IsIPv4MappedToIPv6)
            {
                return false;
            }
        }

        foreach (var (network, prefix) in NonPublic)
        {
            if (network.AddressFamily == address.AddressFamily && InNetwork(address, network, prefix))
            {
                return true;
            }
        }

        return false;
    }

    // The IPv4 addresses an IPv6 address hands to a translator or tunnel (RFC 4291, 6052, 3056, 4380).
    private static IEnumerable<IPAddress> EmbeddedIPv4(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        var last = new IPAddress(bytes.AsSpan(12, 4));
        if (address.IsIPv4MappedToIPv6)
        {
            yield return last;
            yield break;
        }

        if (bytes.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0)
        {
            // IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 themselves are judged by the table.
            if (bytes[12] != 0 || bytes[13] != 0 || bytes[14] != 0)
            {
                yield return last;
            }

            yield break;
        }

        if (InNetwork(address, Nat64WellKnown, 96))
        {
            yield return last;
        }
        else if (InNetwork(address, SixToFour, 16))
        {
            yield return new IPAddress(bytes.AsSpan(2, 4));
        }
        else if (InNetwork(address, Teredo, 32))
        {
            yield return new IPAddress(bytes.AsSpan(4, 4)); // the Teredo server
            Span<byte> client = stackalloc byte[4];
            for (var i = 0; i < 4; i++)
            {
                client[i] = (byte)~bytes[12 + i]; // the client's address is stored inverted
            }

            yield return new IPAddress(client);
        }
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        Span<byte> a = stackalloc byte[16];
        Span<byte> n = stackalloc byte[16];
        address.TryWriteBytes(a, out var length);
        network.TryWriteBytes(n, out _);
        for (var i = 0; i < length && prefix > 0; i++, prefix -= 8)
        {
            var mask = prefix >= 8 ? 0xFF : (byte)(0xFF << (8 - prefix));
            if ((a[i] & mask) != (n[i] & mask))
            {
                return false;
            }
        }

        return true;
    }
}
