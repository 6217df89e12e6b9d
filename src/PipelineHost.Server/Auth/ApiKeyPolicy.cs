using System.Net;

namespace PipelineHost.Server.Auth;

/// <summary>
/// The rule for configured API keys: a key shorter than <see cref="MinimumLength"/> characters is guessable, so it is
/// refused when the server listens on anything but loopback. On loopback it is accepted with a warning: RocketRide's own
/// test suites use a short key against a local server.
/// </summary>
public static class ApiKeyPolicy
{
    /// <summary>The shortest key accepted on a non-loopback address.</summary>
    public const int MinimumLength = 24;

    /// <summary>True when any of <paramref name="keys"/> is shorter than <see cref="MinimumLength"/>.</summary>
    /// <exception cref="ArgumentException">A short key while <paramref name="host"/> is not a loopback address.</exception>
    public static bool CheckShortKeys(IReadOnlyList<string> keys, string host)
    {
        if (!keys.Any(k => k.Length < MinimumLength))
        {
            return false;
        }

        return IsLoopback(host)
            ? true
            : throw new ArgumentException(
                $"An API key shorter than {MinimumLength} characters is refused when listening on '{host}', which is not loopback: use a longer key (or omit --api-key to have one generated).");
    }

    /// <summary>True for <c>localhost</c> and loopback addresses.</summary>
    public static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
