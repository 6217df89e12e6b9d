using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Events;
using PipelineHost.Server.Events;

namespace PipelineHost.Server.Commands;

/// <summary><c>rrext_monitor</c>: set, replace or clear one of the connection's subscriptions, resuming after <c>sinceSeq</c> when given.</summary>
internal sealed class MonitorCommands(TaskManager tasks, EventHub hub) : ICommandModule
{
    public void Register(CommandTable table) => table.Add(new CommandDefinition("rrext_monitor", MonitorAsync));

    private ValueTask<CommandResult> MonitorAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var caller = context.Caller;
        var token = context.Token;
        var projectId = context.GetString("projectId") ?? context.GetString("project_id");
        var source = context.GetString("source");
        var pipeId = context.GetInteger("pipeId", 0, int.MaxValue) is { } p ? (int)p : (int?)null;
        var sinceSeq = context.GetInteger("sinceSeq", 0);
        EventTypes mask;
        try
        {
            mask = EventTypeNames.Parse(context.Arguments["types"] ?? context.Arguments["listenType"]);
        }
        catch (FormatException ex)
        {
            throw new CommandException(ex.Message);
        }

        var requested = mask;
        if (caller.IsTaskScoped)
        {
            // A task credential watches its own task, whatever it names; a public key only its SSE events.
            token = caller.TaskToken;
            projectId = null;
            source = null;
            if (caller.Kind == CredentialKind.PublicKey)
            {
                mask &= EventTypes.Sse;
            }
        }
        else if (!caller.Has(Permissions.Monitor))
        {
            mask &= EventTypes.Sse;
        }

        // Subscribing to event types the credential may not see is refused, not answered with a subscription that
        // never delivers: a pk_ asking for status events only learns so at once. Mixed requests keep what is allowed.
        if (requested != EventTypes.None && mask == EventTypes.None)
        {
            throw new CommandException(caller.Kind == CredentialKind.PublicKey
                ? "Permission 'task.monitor' denied: a public key (pk_) may subscribe to its task's SSE events only"
                : "Permission 'task.monitor' denied");
        }

        if (!string.IsNullOrEmpty(token) && (projectId is not null || source is not null))
        {
            throw new CommandException("You must specify either token or projectId/source, not both");
        }

        PipelineTask? task = null;
        string key;
        if (token == "*")
        {
            key = SubscriptionKey.All;
        }
        else if (!string.IsNullOrEmpty(token))
        {
            task = tasks.GetTask(token, caller, caller.Kind == CredentialKind.PublicKey ? Permissions.Data : Permissions.Monitor);
            (projectId, source) = (task.Identity.ProjectId, task.Identity.Source);
            key = SubscriptionKey.For(projectId, source, pipeId);
        }
        else if (!string.IsNullOrEmpty(projectId) && !string.IsNullOrEmpty(source))
        {
            key = source == "*" ? $"p.{projectId}.*" : SubscriptionKey.For(projectId, source, pipeId);
            if (source != "*")
            {
                task = tasks.FindByProject(projectId, source);
            }
        }
        else
        {
            throw new CommandException("You must specify either token or projectId/source");
        }

        if (sinceSeq is not null && task is null)
        {
            throw new CommandException("Argument 'sinceSeq' needs one task: give its token, or the projectId/source of a task that exists");
        }

        // Catch-up (or, with sinceSeq, the replay of what was missed) goes into the outbox before the response does,
        // so the client sees it first.
        EventTypes previous;
        if (task is not null)
        {
            previous = hub.Subscribe(context.Connection, task, key, pipeId, mask, sinceSeq);
        }
        else
        {
            previous = context.Connection.Subscriptions.Set(key, mask);
            if ((mask & ~previous).HasFlag(EventTypes.Summary) && key != SubscriptionKey.All)
            {
                context.Connection.SendEvent(new EventMessage("apaevt_status_update", Placeholder(projectId!, source!)));
            }
        }

        var added = mask & ~previous;
        if (added.HasFlag(EventTypes.Task))
        {
            context.Connection.SendEvent(RunningSnapshot(caller));
        }

        hub.PublishDashboard("monitor_changed", new JsonObject
        {
            ["connectionId"] = context.Connection.Id,
            ["clientName"] = context.Connection.ClientName,
            ["clientVersion"] = context.Connection.ClientVersion,
            ["key"] = key,
            ["change"] = mask == EventTypes.None ? "unsubscribed" : "subscribed",
        }, caller.UserId);
        return ValueTask.FromResult(CommandResult.Ok());
    }

    private static JsonObject Placeholder(string projectId, string source)
    {
        var status = TaskStatusWriter.Placeholder(projectId, source);
        status["__id"] = $"{projectId}.{source}";
        return status;
    }

    private EventMessage RunningSnapshot(Caller caller)
    {
        var list = new JsonArray();
        foreach (var task in tasks.Tasks
            .Where(t => t.State is >= TaskState.Starting and <= TaskState.Stopping && caller.CanAccess(t.Token, Permissions.Monitor))
            .OrderBy(t => t.StartTime))
        {
            list.Add(new JsonObject
            {
                ["id"] = task.Id,
                ["name"] = task.Identity.Name,
                ["projectId"] = task.Identity.ProjectId,
                ["source"] = task.Identity.Source,
            });
        }

        return new EventMessage("apaevt_task", new JsonObject { ["action"] = "running", ["tasks"] = list, ["__id"] = string.Empty });
    }
}
