using System.Text.Json.Nodes;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Engine.Tasks;

/// <summary>Lookups that reach past memory into the task store: status by token, and the history list.</summary>
public sealed partial class TaskManager
{
    /// <summary>
    /// TASK_STATUS of the task <paramref name="token"/> names: live while the task is in memory, else (for API
    /// keys only) the status the store kept, e.g. after the in-memory retention or a restart. Stored tasks never
    /// revive task credentials: a <c>tk_</c>/<c>pk_</c> caller sees only its live task. Used by the WebSocket's
    /// <c>rrext_get_task_status</c> and HTTP <c>GET /task</c>.
    /// </summary>
    /// <exception cref="TaskNotFoundException">Neither memory nor the store has the task (for this caller).</exception>
    /// <exception cref="TaskException">The caller may not read it.</exception>
    public Task<JsonObject> GetStatusAsync(string? token, Caller caller, CancellationToken cancellationToken) =>
        GetStatusAsync(token, caller, includeConfig: false, cancellationToken);

    /// <summary>As <see cref="GetStatusAsync(string?, Caller, CancellationToken)"/>; with <paramref name="includeConfig"/> the status also has <c>config</c>.</summary>
    public async Task<JsonObject> GetStatusAsync(string? token, Caller caller, bool includeConfig, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        try
        {
            return GetTask(token, caller, Permissions.Monitor).Status(includeConfig);
        }
        catch (TaskNotFoundException) when (_store is not null && caller.Kind == CredentialKind.ApiKey && caller.Has(Permissions.Monitor) && !string.IsNullOrEmpty(token))
        {
            var record = await _store.FindTaskAsync(token, cancellationToken).ConfigureAwait(false);
            return record is not null && string.Equals(record.UserId, caller.UserId, StringComparison.Ordinal)
                ? record.ToStatus(includeConfig)
                : throw new TaskNotFoundException();
        }
    }

    /// <summary>
    /// The caller's tasks, newest first: what the store kept, with tasks still in memory shown as they are now.
    /// API keys only.
    /// </summary>
    /// <exception cref="TaskException">The caller holds a task credential.</exception>
    public async Task<IReadOnlyList<TaskRecord>> ListHistoryAsync(TaskQuery query, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind != CredentialKind.ApiKey || !caller.Has(Permissions.Monitor))
        {
            throw new TaskException("Permission 'task.monitor' denied: task history needs an API key");
        }

        query = query with { UserId = caller.UserId };
        var stored = _store is null ? [] : await _store.ListTasksAsync(query, cancellationToken).ConfigureAwait(false);
        var byToken = new Dictionary<string, TaskRecord>(StringComparer.Ordinal);
        foreach (var record in stored)
        {
            byToken[record.Token] = record;
        }

        // Memory is newer than the store (the recorder writes behind): live tasks win, and ones not yet written appear.
        foreach (var task in _tasks.Values.Where(t => string.Equals(t.Identity.UserId, caller.UserId, StringComparison.Ordinal)))
        {
            var previous = byToken.GetValueOrDefault(task.Token);
            var live = TaskRecord.FromTask(task, previous?.PublicKey == task.Identity.PublicKey ? previous.StartedAt : null);
            if ((query.State is null || live.State == query.State) && (query.ProjectId is null || live.ProjectId == query.ProjectId))
            {
                byToken[task.Token] = live;
            }
            else
            {
                byToken.Remove(task.Token);
            }
        }

        return byToken.Values
            .OrderByDescending(r => r.CreatedAt)
            .ThenBy(r => r.Token, StringComparer.Ordinal)
            .Take(Math.Max(0, query.Limit))
            .ToList();
    }
}
