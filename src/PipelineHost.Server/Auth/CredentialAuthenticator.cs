using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Auth;

/// <summary>The outcome of presenting a credential.</summary>
public readonly record struct AuthResult(Caller? Caller, string? Error)
{
    /// <summary>True when the credential was accepted.</summary>
    public bool Succeeded => Caller is not null;
}

/// <summary>
/// The one token check of the server: the WebSocket <c>auth</c> command and every HTTP route use it.
/// Task credentials are recognised by prefix; everything else must be an API key. Nothing else is accepted.
/// </summary>
public sealed class CredentialAuthenticator(ApiKeyStore keys, ITaskCredentialResolver tasks)
{
    /// <summary>The prefix of a task's private token.</summary>
    public const string TaskTokenPrefix = "tk_";

    /// <summary>The prefix of a task's public (data-only) key.</summary>
    public const string PublicKeyPrefix = "pk_";

    /// <summary>Checks <paramref name="credential"/> (an optional <c>Bearer </c> prefix is ignored).</summary>
    public AuthResult Authenticate(string? credential)
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

        return keys.IsValid(value) ? new AuthResult(Caller.ForApiKey(), null) : new AuthResult(null, "Invalid API key");
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
