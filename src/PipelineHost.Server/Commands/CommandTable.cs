using PipelineHost.Engine.Security;

namespace PipelineHost.Server.Commands;

/// <summary>Handles one command.</summary>
public delegate ValueTask<CommandResult> CommandHandler(CommandContext context, CancellationToken cancellationToken);

/// <summary>A command the server answers.</summary>
/// <param name="Name">The wire name.</param>
/// <param name="Handler">The handler.</param>
/// <param name="Required">Permissions the caller must hold (checked before the handler runs).</param>
/// <param name="AllowAnonymous">True for <c>auth</c> and <c>rrext_public_*</c>: allowed before authentication.</param>
/// <param name="Immediate">
/// True for commands answered from memory at once (<c>rrext_ping</c>, <c>rrext_get_task_status</c>): they run on the
/// connection's read loop instead of being handed to another thread, which under load is a wait in the thread
/// pool's queue behind every other connection's work.
/// </param>
public sealed record CommandDefinition(string Name, CommandHandler Handler, Permissions Required = Permissions.None, bool AllowAnonymous = false, bool Immediate = false);

/// <summary>A group of related commands that registers itself in the table.</summary>
public interface ICommandModule
{
    /// <summary>Adds this module's commands.</summary>
    void Register(CommandTable table);
}

/// <summary>
/// The explicit list of commands. Only names in this table are reachable: no reflection, so internal methods
/// can never become commands by accident (a hole in the reference).
/// </summary>
public sealed class CommandTable
{
    private readonly Dictionary<string, CommandDefinition> _commands = new(StringComparer.Ordinal);

    /// <summary>Builds the table from every registered module.</summary>
    public CommandTable(IEnumerable<ICommandModule> modules)
    {
        foreach (var module in modules)
        {
            module.Register(this);
        }
    }

    /// <summary>Adds a command; names are unique.</summary>
    public void Add(CommandDefinition definition)
    {
        if (!_commands.TryAdd(definition.Name, definition))
        {
            throw new InvalidOperationException($"Command '{definition.Name}' is registered twice.");
        }
    }

    /// <summary>Looks a command up.</summary>
    public CommandDefinition? Find(string name) => _commands.GetValueOrDefault(name);

    /// <summary>Every command name, sorted.</summary>
    public IEnumerable<string> Names => _commands.Keys.Order(StringComparer.Ordinal);
}
