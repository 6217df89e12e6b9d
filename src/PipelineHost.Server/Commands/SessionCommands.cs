using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Security;
using PipelineHost.Server.Auth;
using PipelineHost.Server.Connections;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Commands;

/// <summary><c>auth</c>, <c>deauth</c>, <c>rrext_ping</c> and <c>rrext_public_probe</c>.</summary>
internal sealed partial class SessionCommands(
    CredentialAuthenticator authenticator,
    ServerOptions options,
    ServerInfo info,
    Events.EventHub hub,
    ILogger<SessionCommands> logger) : ICommandModule
{
    public void Register(CommandTable table)
    {
        table.Add(new CommandDefinition("auth", AuthAsync, AllowAnonymous: true));
        table.Add(new CommandDefinition("deauth", DeauthAsync));
        table.Add(new CommandDefinition("rrext_ping", (_, _) => ValueTask.FromResult(CommandResult.Ok(new JsonObject { ["pong"] = true })), Immediate: true));
        table.Add(new CommandDefinition("rrext_public_probe", ProbeAsync, AllowAnonymous: true));
    }

    private ValueTask<CommandResult> AuthAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Connection is not DapConnection connection)
        {
            return ValueTask.FromResult(CommandResult.Fail("auth is only available on the WebSocket"));
        }

        var session = connection.Session;
        if (session.CountAttempt() > options.MaxAuthAttempts)
        {
            Log.TooManyAttempts(logger);
            return ValueTask.FromResult(CommandResult.Fail("Too many authentication attempts") with { CloseConnection = true });
        }

        var credential = context.Arguments["auth"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
            ? context.Arguments["auth"]!.GetValue<string>()
            : null;
        var result = authenticator.Authenticate(credential, connection.RemoteAddress);
        if (result.Caller is not { } caller)
        {
            Log.AuthFailed(logger, result.Error!);
            return ValueTask.FromResult(CommandResult.Fail(result.Error!) with { CloseConnection = true });
        }

        var firstSignIn = session.Caller is null;
        session.SignIn(caller, context.GetString("clientName"), context.GetString("clientVersion"));
        if (firstSignIn && !caller.IsTaskScoped)
        {
            // Only the user's own dashboards hear of it (the reference tells every tenant).
            hub.PublishDashboard("connection_added", new JsonObject
            {
                ["connectionId"] = connection.Id,
                ["clientName"] = session.ClientName,
                ["clientVersion"] = session.ClientVersion,
            }, caller.UserId);
        }

        Log.Authenticated(logger, caller.Kind.ToString(), session.ClientName ?? "unknown", session.ClientVersion ?? "unknown");
        return ValueTask.FromResult(CommandResult.Ok(AccountInfo(caller, CredentialAuthenticator.Normalize(credential))));
    }

    private static ValueTask<CommandResult> DeauthAsync(CommandContext context, CancellationToken cancellationToken)
    {
        if (context.Connection is DapConnection connection)
        {
            connection.Session.SignOut();
        }

        return ValueTask.FromResult(CommandResult.Ok(new JsonObject()));
    }

    private ValueTask<CommandResult> ProbeAsync(CommandContext context, CancellationToken cancellationToken) =>
        ValueTask.FromResult(CommandResult.Ok(new JsonObject
        {
            ["version"] = info.VersionObject(),
            ["capabilities"] = new JsonArray("oss", "pipelinehost"),
            ["platform"] = OperatingSystem.IsWindows() ? "win32" : OperatingSystem.IsMacOS() ? "darwin" : "linux",
            ["arch"] = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
            ["apps"] = new JsonArray(),
        }));

    /// <summary>
    /// RocketRide's account info. <c>userToken</c> is the credential itself: the Python SDK reconnects with it.
    /// </summary>
    private static JsonObject AccountInfo(Caller caller, string credential)
    {
        var isKey = caller.Kind == CredentialKind.ApiKey;
        var permissions = new JsonArray();
        foreach (var name in PermissionNames(caller.Permissions))
        {
            permissions.Add(name);
        }

        return new JsonObject
        {
            ["userToken"] = credential,
            ["userId"] = caller.UserId,
            ["displayName"] = isKey ? "PipelineHost User" : string.Empty,
            ["givenName"] = string.Empty,
            ["familyName"] = string.Empty,
            ["preferredUsername"] = isKey ? "developer" : string.Empty,
            ["email"] = string.Empty,
            ["emailVerified"] = false,
            ["phoneNumber"] = string.Empty,
            ["phoneNumberVerified"] = false,
            ["locale"] = string.Empty,
            ["defaultTeam"] = "local",
            ["organizations"] = new JsonArray(new JsonObject
            {
                ["id"] = "local",
                ["name"] = isKey ? "Local" : string.Empty,
                ["permissions"] = isKey ? new JsonArray("org.admin") : new JsonArray(),
                ["teams"] = new JsonArray(new JsonObject
                {
                    ["id"] = "local",
                    ["name"] = isKey ? "Development" : string.Empty,
                    ["permissions"] = permissions,
                }),
            }),
            ["apps"] = new JsonArray(),
            ["capabilities"] = isKey ? new JsonArray("oss") : new JsonArray(),
        };
    }

    private static IEnumerable<string> PermissionNames(Permissions permissions)
    {
        foreach (var flag in new[] { Permissions.Control, Permissions.Data, Permissions.Monitor, Permissions.Debug, Permissions.Store })
        {
            if (permissions.HasFlag(flag))
            {
                yield return CommandDispatcher.PermissionName(flag);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.Authenticated, LogLevel.Debug, "Authenticated with {CredentialKind} as {ClientName} {ClientVersion}")]
        public static partial void Authenticated(ILogger logger, string credentialKind, string clientName, string clientVersion);

        [LoggerMessage(LogEventIds.AuthenticationFailed, LogLevel.Warning, "Authentication failed: {Reason}")]
        public static partial void AuthFailed(ILogger logger, string reason);

        [LoggerMessage(LogEventIds.TooManyAuthAttempts, LogLevel.Warning, "Too many authentication attempts; closing")]
        public static partial void TooManyAttempts(ILogger logger);
    }
}
