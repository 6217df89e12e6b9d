using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using PipelineHost.Server.Commands;

namespace PipelineHost.Server.Tests.Support;

/// <summary>A test-only command, <c>test_gate {name}</c>, that answers only when the test opens the gate.</summary>
public sealed class GateCommands : ICommandModule
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    public void Register(CommandTable table) => table.Add(new CommandDefinition("test_gate", async (context, ct) =>
    {
        var name = context.RequireString("name");
        await Gate(name).Task.WaitAsync(ct);
        return CommandResult.Ok(new JsonObject { ["gate"] = name });
    }));

    public void Open(string name) => Gate(name).TrySetResult();

    private TaskCompletionSource Gate(string name) =>
        _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
