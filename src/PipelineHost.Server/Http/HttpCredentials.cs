using Microsoft.Extensions.Primitives;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Http;

/// <summary>
/// Where an HTTP request's credential comes from: the <c>Authorization</c> header (with or without
/// <c>Bearer </c>), else <c>?auth=</c>. Checked by <see cref="CredentialAuthenticator"/>, the server's one token
/// check, so the HTTP API and the WebSocket accept exactly the same credentials.
/// </summary>
internal static class HttpCredentials
{
    /// <summary>The query parameter a credential may travel in when a client cannot set headers.</summary>
    public const string AuthQuery = "auth";

    /// <summary>The credential the request presents, or null.</summary>
    public static string? Read(HttpRequest request)
    {
        var header = FirstNonEmpty(request.Headers.Authorization);
        return header ?? FirstNonEmpty(request.Query[AuthQuery]);
    }

    /// <summary>
    /// The authenticated caller; 401 <c>Access denied</c> for a missing or bad credential, whatever the reason.
    /// <paramref name="fallback"/> is used only when the request presents no credential at all.
    /// </summary>
    public static Caller Authenticate(HttpContext context, CredentialAuthenticator authenticator, string? fallback = null)
    {
        var presented = Read(context.Request);
        var result = authenticator.Authenticate(presented ?? fallback, context.Connection.RemoteIpAddress ?? System.Net.IPAddress.Loopback);
        if (result.Caller is { } caller)
        {
            return caller;
        }

        if (result.RetryAfter is { } retryAfter)
        {
            context.Response.OnStarting(() =>
            {
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Task.CompletedTask;
            });
            throw new HttpApiException(StatusCodes.Status429TooManyRequests, result.Error!);
        }

        // Only the task token was offered, and it is its own credential: say it is unknown rather than just
        // "denied" (that tells nothing a 401 does not; a guessed token learns no more).
        throw new HttpApiException(StatusCodes.Status401Unauthorized, presented is null && fallback is not null ? ErrorEnvelope.UnknownTaskToken : ErrorEnvelope.AccessDenied);
    }

    /// <summary>403 unless <paramref name="caller"/> holds <paramref name="permission"/>.</summary>
    public static void Demand(Caller caller, Permissions permission)
    {
        if (!caller.Has(permission))
        {
            throw new PermissionDeniedException($"Permission '{CommandDispatcher.PermissionName(permission)}' denied");
        }
    }

    /// <summary>A task token in the query (<c>?token=</c>), or null.</summary>
    public static string? Token(HttpRequest request) => FirstNonEmpty(request.Query["token"]);

    private static string? FirstNonEmpty(StringValues values)
    {
        foreach (var value in values)
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                return value;
            }
        }

        return null;
    }
}
