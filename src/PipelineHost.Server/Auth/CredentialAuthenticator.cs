using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Auth;

/// <summary>The outcome of presenting a credential.</summary>
public readonly record struct AuthResult(Caller? Caller, string? Error, TimeSpan? RetryAfter = null)
{
    /// <summary>True when the credential was accepted.</summary>
    public bool Succeeded => Caller is not null;
}

/// <summary>
/// The one token check of the server: the WebSocket <c>auth</c> command and every HTTP route use it.
/// Task credentials are recognised by prefix; everything else must be an API key. Nothing else is accepted.
/// </summary>
public sealed class CredentialAuthenticator(ApiKeyStore keys, ITaskCredentialResolver tasks, AuthBackoff? backoff = null)
{
    /// <summary>The prefix of a task's private token.</summary>
    public const string TaskTokenPrefix = "tk_";

    /// <summary>The prefix of a task's public (data-only) key.</summary>
    public const string PublicKeyPrefix = "pk_";

    /// <summary>
    /// Checks <paramref name="credential"/> (an optional <c>Bearer </c> prefix is ignored). With the caller's
    /// <paramref name="address"/>, wrong API keys count towards that address's <see cref="AuthBackoff"/>, and an
    /// address that must wait is refused with <see cref="AuthResult.RetryAfter"/> set.
    /// </summary>
    public AuthResult Authenticate(string? credential, System.Net.IPAddress? address = null)
    {
        var value = Normalize(credential);
        if (value.Length == 0)
        {
            return new AuthResult(null, "No authorization provided");
        }

        if (value.StartsWith(TaskTokenPrefix, StringComparison.Ordinal) || value.StartsWith(PublicKeyPrefix, StringComparison.Ordinal))
        {
            // A task credential is only good while its task is known; an API key can never start with these
            // prefixes, so there is no fallback to the key check.
            return tasks.Resolve(value) is { } caller
                ? new AuthResult(caller, null)
                : new AuthResult(null, "Invalid or expired task credential");
        }

        if (address is not null && backoff is not null && backoff.IsWaiting(address, out var retryAfter))
        {
            return new AuthResult(null, AuthBackoff.WaitMessage(retryAfter), retryAfter);
        }

        if (keys.IsValid(value))
        {
            if (address is not null)
            {
                backoff?.Succeeded(address);
            }

            return new AuthResult(Caller.ForApiKey(), null);
        }

        if (address is not null)
        {
            backoff?.Failed(address);
        }

        return new AuthResult(null, "Invalid API key");
    }

    /// <summary>Strips a leading <c>Bearer </c> and surrounding white space.</summary>
    public static string Normalize(string? credential)
    {
        var value = (credential ?? string.Empty).Trim();
        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            value = value["Bearer ".Length..].Trim();
        }

        return value;
    }
}
