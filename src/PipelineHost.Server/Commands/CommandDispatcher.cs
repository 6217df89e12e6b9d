using PipelineHost.Engine.Diagnostics;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Server.Commands;

/// <summary>
/// Finds a request's command, checks the caller's permissions and runs the handler, turning every outcome into
/// a <see cref="CommandResult"/>: a handler can never leave a request unanswered or leak an exception's
/// internals to the client.
/// </summary>
public sealed partial class CommandDispatcher(CommandTable table, TaskManager tasks, ILogger<CommandDispatcher> logger)
{
    /// <summary>The prefix of commands open to anyone (RocketRide's <c>rrext_public_*</c>).</summary>
    public const string PublicPrefix = "rrext_public_";

    /// <summary>True when <paramref name="command"/> may run before authentication.</summary>
    public bool IsAnonymous(string command) =>
        table.Find(command)?.AllowAnonymous ?? command.StartsWith(PublicPrefix, StringComparison.Ordinal);

    /// <summary>True for commands that answer from memory at once (<see cref="CommandDefinition.Immediate"/>).</summary>
    public bool IsImmediate(string command) => table.Find(command)?.Immediate ?? false;

    /// <summary>True for commands that change the connection's authentication and so run in order.</summary>
    public bool IsSessionCommand(string command) => command is "auth" or "deauth";

    /// <summary>Runs the request's command.</summary>
    public async ValueTask<CommandResult> DispatchAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var command = context.Request.Command;
        if (table.Find(command) is not { } definition)
        {
            return CommandResult.Fail($"Unknown command '{command}'");
        }

        if (!definition.AllowAnonymous && context.Connection.Caller is { } caller && !caller.Has(definition.Required))
        {
            return CommandResult.Fail($"Permission '{PermissionName(definition.Required & ~caller.Permissions)}' denied");
        }

        try
        {
            return await definition.Handler(context, cancellationToken).ConfigureAwait(false);
        }
        catch (CommandException ex)
        {
            return CommandResult.Fail(ex.Message);
        }
        catch (TaskNotFoundException ex) when (ex is not TaskExpiredException)
        {
            // Unknown, or a task the history has dropped: then its holder is told so, with when it ended.
            var expired = await tasks.FindExpiredAsync(context.Token, cancellationToken).ConfigureAwait(false);
            return CommandResult.Fail(expired?.Message ?? ex.Message);
        }
        catch (TaskException ex)
        {
            return CommandResult.Fail(ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return CommandResult.Fail("The connection is closing");
        }
        catch (Exception ex) when (Engine.Storage.DiskFull.Is(ex))
        {
            return CommandResult.Fail(Engine.Storage.DiskFull.Message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var reference = Guid.NewGuid().ToString("N")[..8];
            Log.HandlerFailed(logger, command, reference, ex);
            return CommandResult.Fail($"Internal error while handling '{command}' (reference {reference})");
        }
    }

    /// <summary>The RocketRide name of the first permission in <paramref name="permissions"/>.</summary>
    public static string PermissionName(Permissions permissions) => permissions switch
    {
        _ when permissions.HasFlag(Permissions.Control) => "task.control",
        _ when permissions.HasFlag(Permissions.Data) => "task.data",
        _ when permissions.HasFlag(Permissions.Monitor) => "task.monitor",
        _ when permissions.HasFlag(Permissions.Debug) => "task.debug",
        _ when permissions.HasFlag(Permissions.Store) => "task.store",
        _ => "none",
    };

    private static partial class Log
    {
        [LoggerMessage(LogEventIds.CommandFailed, LogLevel.Error, "Command {Command} failed (reference {Reference})")]
        public static partial void HandlerFailed(ILogger logger, string command, string reference, Exception exception);
    }
}
