namespace PipelineHost.Engine.Security;

/// <summary>How a caller proved who it is.</summary>
public enum CredentialKind
{
    /// <summary>A server API key: the whole server.</summary>
    ApiKey,
    /// <summary>A task token (<c>tk_</c>): full control of one task.</summary>
    TaskToken,
    /// <summary>A task public key (<c>pk_</c>): sending data to one task, nothing else.</summary>
    PublicKey,
}

/// <summary>
/// An authenticated caller. The single place that says what a credential may touch: both the WebSocket and
/// the HTTP API ask it, so the rules cannot drift apart.
/// </summary>
/// <param name="Kind">The kind of credential presented.</param>
/// <param name="UserId">The owning user (<c>local</c> for API keys; the task owner for task credentials).</param>
/// <param name="Permissions">What the credential allows.</param>
/// <param name="TaskToken">For task credentials, the private token of the one task they are scoped to.</param>
public sealed record Caller(CredentialKind Kind, string UserId, Permissions Permissions, string? TaskToken)
{
    /// <summary>The user every API key maps to until accounts exist.</summary>
    public const string LocalUser = "local";

    /// <summary>An API key holder.</summary>
    public static Caller ForApiKey() => new(CredentialKind.ApiKey, LocalUser, Permissions.All, null);

    /// <summary>True when the caller holds <paramref name="permission"/> at all (on some task or server-wide).</summary>
    public bool Has(Permissions permission) => (Permissions & permission) == permission;

    /// <summary>True when the caller may do <paramref name="permission"/> on the task with <paramref name="token"/>.</summary>
    public bool CanAccess(string token, Permissions permission) =>
        Has(permission) && (TaskToken is null || string.Equals(TaskToken, token, StringComparison.Ordinal));

    /// <summary>True when the credential is scoped to a single task.</summary>
    public bool IsTaskScoped => TaskToken is not null;
}
