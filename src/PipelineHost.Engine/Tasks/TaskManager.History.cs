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
        catch (TaskNotFoundException) when (CanReadStore(token, caller))
        {
            var record = await FindStoredAsync(token!, caller, cancellationToken).ConfigureAwait(false);
            var status = record.ToStatus(includeConfig);

            // The stored status froze the callback as it stood when the task ended; the delivery went on after.
            if (await _store!.GetCallbackByHashAsync(record.TokenHash!, cancellationToken).ConfigureAwait(false) is { } callback && callback.CreatedAt == record.CreatedAt)
            {
                status["callback"] = callback.ToStatusJson();
            }

            return status;
        }
    }

    /// <summary>
    /// The stored status of the task whose private token is exactly <paramref name="token"/>, once it has left
    /// memory: a <c>tk_</c> stays its own task's credential for <c>GET /task</c> as long as the history keeps the task
    /// (a public key never matches here). Null when the token is live in memory or the history does not know it.
    /// </summary>
    public async Task<JsonObject?> FindOwnStoredStatusAsync(string token, bool includeConfig, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        if (_store is null || _tasks.ContainsKey(token))
        {
            return null;
        }

        var record = await _store.FindTaskAsync(token, cancellationToken).ConfigureAwait(false);
        if (record is null || !string.Equals(record.Token, token, StringComparison.Ordinal))
        {
            return null;
        }

        var status = record.ToStatus(includeConfig);
        if (await _store.GetCallbackByHashAsync(record.TokenHash!, cancellationToken).ConfigureAwait(false) is { } callback && callback.CreatedAt == record.CreatedAt)
        {
            status["callback"] = callback.ToStatusJson();
        }

        return status;
    }

    /// <summary>
    /// A file the task's <c>writer</c> components produced: only a name the task's <c>outputs</c> lists, so no
    /// other path can be asked for. Live while the task is in memory, else (API keys only) from the stored
    /// status, as <see cref="GetStatusAsync"/>. Needs <c>task.monitor</c>: a public key (<c>pk_</c>) sends data
    /// but does not read what the task produced from everyone's data.
    /// </summary>
    /// <exception cref="TaskNotFoundException">No such task for this caller.</exception>
    /// <exception cref="TaskOutputNotFoundException">The task lists no output with that name, or its file is gone.</exception>
    public async Task<TaskOutputFile> FindOutputAsync(string? token, string name, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(caller);
        string folderKey;
        IReadOnlyList<TaskOutputEntry> outputs;
        try
        {
            var task = GetTask(token, caller, Permissions.Monitor);
            (folderKey, outputs) = (task.Identity.Key, task.OutputFiles());
        }
        catch (TaskNotFoundException) when (CanReadStore(token, caller))
        {
            var record = await FindStoredAsync(token!, caller, cancellationToken).ConfigureAwait(false);
            (folderKey, outputs) = (FolderKey(record), TaskOutputEntry.ListFrom(record.Status));
        }

        var output = outputs.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal))
            ?? throw new TaskOutputNotFoundException(name);

        // The writer makes flat names without '..' or separators; checked again so a bad stored name cannot escape.
        var folder = Path.GetFullPath(OutputDirectory(folderKey));
        var path = Path.GetFullPath(Path.Combine(folder, output.Name));
        if (!path.StartsWith(Path.TrimEndingDirectorySeparator(folder) + Path.DirectorySeparatorChar, StringComparison.Ordinal) || !File.Exists(path))
        {
            throw new TaskOutputNotFoundException(name);
        }

        return new TaskOutputFile(output.Name, output.ContentType, path);
    }

    /// <summary>
    /// Why <paramref name="token"/> names no task, when the store knows: the task it named has left the task
    /// history (then an exception saying when it ended); null when the token is simply unknown. For the one place
    /// per transport that turns "not found" into an answer.
    /// </summary>
    public async Task<TaskExpiredException?> FindExpiredAsync(string? token, CancellationToken cancellationToken)
    {
        if (_store is null || string.IsNullOrEmpty(token) || _tasks.ContainsKey(token))
        {
            return null;
        }

        return await _store.FindExpiredAsync(token, cancellationToken).ConfigureAwait(false) is { } expired
            ? new TaskExpiredException(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(expired.EndedAt * 1000)))
            : null;
    }

    // Stored tasks answer API keys only: a task credential is valid only while its task is in memory.
    private bool CanReadStore(string? token, Caller caller) =>
        _store is not null && caller.Kind == CredentialKind.ApiKey && caller.Has(Permissions.Monitor) && !string.IsNullOrEmpty(token);

    private async Task<TaskRecord> FindStoredAsync(string token, Caller caller, CancellationToken cancellationToken)
    {
        var record = await _store!.FindTaskAsync(token, cancellationToken).ConfigureAwait(false);
        if (record is not null && string.Equals(record.UserId, caller.UserId, StringComparison.Ordinal))
        {
            return record;
        }

        throw record is null && await _store.FindExpiredAsync(token, cancellationToken).ConfigureAwait(false) is { } expired && expired.UserId == caller.UserId
            ? new TaskExpiredException(DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(expired.EndedAt * 1000)))
            : new TaskNotFoundException();
    }

    /// <summary>
    /// The caller's tasks, newest first: what the store kept, with tasks still in memory shown as they are now.
    /// API keys only.
    /// </summary>
    /// <exception cref="TaskException">The caller holds a task credential.</exception>
    public async Task<IReadOnlyList<TaskRecord>> ListHistoryAsync(TaskQuery query, Caller caller, CancellationToken cancellationToken) =>
        (await ListHistoryPageAsync(query, caller, cancellationToken).ConfigureAwait(false)).Records;

    /// <summary>
    /// One page of the caller's tasks in <paramref name="query"/>'s order, and how many match in all: the store's
    /// records with the tasks still in memory laid over them as they are now (memory is newer: the recorder
    /// writes behind, so a live task may have another state there, or not be written yet). API keys only.
    /// </summary>
    /// <exception cref="TaskException">The caller holds a task credential.</exception>
    public async Task<TaskPage> ListHistoryPageAsync(TaskQuery query, Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(caller);
        if (caller.Kind != CredentialKind.ApiKey || !caller.Has(Permissions.Monitor))
        {
            throw new TaskException("Permission 'task.monitor' denied: task history needs an API key");
        }

        query = query with { UserId = caller.UserId, Offset = Math.Max(0, query.Offset), Limit = Math.Max(0, query.Limit) };
        var liveTasks = _tasks.Values.Where(t => string.Equals(t.Identity.UserId, caller.UserId, StringComparison.Ordinal)).ToList();
        var liveTokens = liveTasks.Select(t => t.Token).ToHashSet(StringComparer.Ordinal);

        // The stored copies of live tasks: which of them the store counts under this filter, and when they first ran.
        var storedLive = _store is null || liveTokens.Count == 0
            ? []
            : await _store.ListTasksAsync(new TaskQuery { UserId = caller.UserId, Tokens = liveTokens, Limit = liveTokens.Count }, cancellationToken).ConfigureAwait(false);
        var storedByToken = storedLive.ToDictionary(r => r.Token!, StringComparer.Ordinal);
        var storedLiveHashes = storedLive.Select(r => r.TokenHash!).ToHashSet(StringComparer.Ordinal);
        var live = liveTasks
            .Select(t => TaskRecord.FromTask(t, storedByToken.GetValueOrDefault(t.Token) is { } stored && stored.CreatedAt == t.StartTime ? stored.StartedAt : null))
            .Where(query.Matches)
            .ToList();

        // The store's first offset+limit rows without live tokens are exact (their keys cannot have changed);
        // asking for as many more as there are live tasks keeps enough of them after those are taken out.
        var prefix = _store is null
            ? []
            : await _store.ListTasksAsync(query with { Offset = 0, Limit = query.Offset + query.Limit + liveTokens.Count }, cancellationToken).ConfigureAwait(false);
        var storedTotal = _store is null ? 0 : await _store.CountTasksAsync(query, cancellationToken).ConfigureAwait(false);
        var countedLive = storedLive.Count(query.Matches);

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;
        var byKey = Comparer<IComparable>.Create((a, b) => a.CompareTo(b));
        // The store knows tasks by their tokens' hashes only: its copies of live tasks are those the lookup above found.
        var merged = prefix.Where(r => !storedLiveHashes.Contains(r.TokenHash!)).Concat(live);
        var ordered = query.Descending
            ? merged.OrderByDescending(r => query.SortKey(r, now), byKey)
            : merged.OrderBy(r => query.SortKey(r, now), byKey);
        var page = ordered
            .ThenByDescending(r => r.CreatedAt)
            .ThenBy(r => r.Id, StringComparer.Ordinal)
            .Skip(query.Offset)
            .Take(query.Limit)
            .ToList();
        return new TaskPage(page, storedTotal - countedLive + live.Count);
    }
}
