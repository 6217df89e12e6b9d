using System.Data.Common;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Cluster.Storage;

/// <summary>
/// <see cref="ITaskStore"/> in the cluster's PostgreSQL database: the same contract as the SQLite store
/// (<c>TaskStoreSpecification</c> runs against both), shared by every host. Each task row names the host that runs
/// it (<paramref name="owner"/>), so a host that restarts marks only its own open tasks interrupted, never another
/// live host's. Credentials are kept only as keyed hashes (<see cref="TokenHasher"/>) with the cluster's one
/// key (schema step 4), as the SQLite store keeps them. The schema is <see cref="ClusterSchema"/>'s.
/// </summary>
/// <param name="connectionString">The cluster database.</param>
/// <param name="owner">This host's identity (its advertised silo endpoint): the same across its restarts.</param>
public sealed class PostgresTaskStore(string connectionString, string owner) : ITaskStore
{
    // One filter for lists and counts, the same rules as TaskQuery.Matches (and the SQLite store's).
    private const string QueryFilter = """
        (@state IS NULL OR state = @state)
          AND (@project_id IS NULL OR project_id = @project_id)
          AND (@user_id IS NULL OR user_id = @user_id)
          AND (@name IS NULL OR strpos(lower(name), lower(@name)) > 0)
          AND (@source IS NULL OR source = @source)
          AND (@prefix IS NULL OR substr(id, 1, length(@prefix)) = @prefix)
          AND (@from IS NULL OR created_at >= @from)
          AND (@to IS NULL OR created_at < @to)
          AND (@tokens IS NULL OR token = ANY(@tokens))
        """;

    private readonly NpgsqlDataSource _source = NpgsqlDataSource.Create(connectionString);
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;
    private TokenHasher? _hasher;

    // Set once InitializeAsync (which every operation awaits first) has read the cluster's key.
    private TokenHasher Hasher => _hasher ?? throw new InvalidOperationException("The store is not initialized.");

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await ClusterSchema.EnsureAsync(connection, cancellationToken).ConfigureAwait(false);
                _hasher = await LoadTokenKeyAsync(connection, cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task UpsertTaskAsync(TaskRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var drop = Command(connection, transaction, "DELETE FROM pipelinehost_task_transitions WHERE token = @token AND EXISTS (SELECT 1 FROM pipelinehost_tasks WHERE token = @token AND created_at <> @created_at)"))
        {
            Add(drop, "token", NpgsqlDbType.Text, TokenHashOf(record));
            Add(drop, "created_at", NpgsqlDbType.Double, record.CreatedAt);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Only callbacks of earlier runs: this run's may already be there (it is written when the task is created).
        await using (var dropCallback = Command(connection, transaction, "DELETE FROM pipelinehost_task_callbacks WHERE token = @token AND created_at < @created_at"))
        {
            Add(dropCallback, "token", NpgsqlDbType.Text, TokenHashOf(record));
            Add(dropCallback, "created_at", NpgsqlDbType.Double, record.CreatedAt);
            await dropCallback.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var upsert = Command(
            connection,
            transaction,
            $"""
            INSERT INTO pipelinehost_tasks ({StoredRecords.TaskColumns}, owner)
            VALUES (@token, @public_key, @id, @project_id, @source, @provider, @name, @user_id, @pipeline, @created_at,
                    @started_at, @ended_at, @state, @status_text, @status, @exit_code, @exit_message, @task_key, @owner)
            ON CONFLICT (token) DO UPDATE SET
                public_key = excluded.public_key, id = excluded.id, project_id = excluded.project_id,
                source = excluded.source, provider = excluded.provider, name = excluded.name,
                user_id = excluded.user_id, pipeline = excluded.pipeline, created_at = excluded.created_at,
                started_at = excluded.started_at, ended_at = excluded.ended_at, state = excluded.state,
                status_text = excluded.status_text, status = excluded.status, exit_code = excluded.exit_code,
                exit_message = excluded.exit_message, task_key = excluded.task_key, owner = excluded.owner
            """))
        {
            Add(upsert, "token", NpgsqlDbType.Text, TokenHashOf(record));
            Add(upsert, "public_key", NpgsqlDbType.Text, record.PublicKey is { } publicKey ? Hasher.Hash(publicKey) : record.PublicKeyHash ?? throw new ArgumentException("The record has neither a public key nor its hash.", nameof(record)));
            Add(upsert, "id", NpgsqlDbType.Text, record.Id);
            Add(upsert, "project_id", NpgsqlDbType.Text, record.ProjectId);
            Add(upsert, "source", NpgsqlDbType.Text, record.Source);
            Add(upsert, "provider", NpgsqlDbType.Text, record.Provider);
            Add(upsert, "name", NpgsqlDbType.Text, record.Name);
            Add(upsert, "user_id", NpgsqlDbType.Text, record.UserId);
            Add(upsert, "pipeline", NpgsqlDbType.Text, record.Pipeline.ToJsonString());
            Add(upsert, "created_at", NpgsqlDbType.Double, record.CreatedAt);
            Add(upsert, "started_at", NpgsqlDbType.Double, record.StartedAt);
            Add(upsert, "ended_at", NpgsqlDbType.Double, record.EndedAt);
            Add(upsert, "state", NpgsqlDbType.Integer, (int)record.State);
            Add(upsert, "status_text", NpgsqlDbType.Text, record.StatusText);
            Add(upsert, "status", NpgsqlDbType.Text, record.Status?.ToJsonString());
            Add(upsert, "exit_code", NpgsqlDbType.Integer, record.ExitCode);
            Add(upsert, "exit_message", NpgsqlDbType.Text, record.ExitMessage);
            Add(upsert, "task_key", NpgsqlDbType.Text, record.Key);
            Add(upsert, "owner", NpgsqlDbType.Text, owner);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AppendTransitionAsync(string token, TaskState state, double at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "INSERT INTO pipelinehost_task_transitions (token, state, at) VALUES (@token, @state, @at)");
        Add(command, "token", NpgsqlDbType.Text, Hasher.Hash(token));
        Add(command, "state", NpgsqlDbType.Integer, (int)state);
        Add(command, "at", NpgsqlDbType.Double, at);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<TaskRecord?> FindTaskAsync(string tokenOrPublicKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenOrPublicKey);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var hash = Hasher.Hash(tokenOrPublicKey);
        await using var command = Command(
            connection,
            null,
            $"SELECT {StoredRecords.TaskColumns} FROM pipelinehost_tasks WHERE token = @hash OR public_key = @hash OR id = @key ORDER BY token = @hash DESC, public_key = @hash DESC, created_at DESC LIMIT 1");
        Add(command, "hash", NpgsqlDbType.Text, hash);
        Add(command, "key", NpgsqlDbType.Text, tokenOrPublicKey);
        var records = await StoredRecords.TasksAsync(command, cancellationToken).ConfigureAwait(false);
        if (records.Count == 0)
        {
            return null;
        }

        // The caller named the task by a credential it holds: that one it may have back.
        var record = records[0];
        return record with
        {
            Token = record.TokenHash == hash ? tokenOrPublicKey : null,
            PublicKey = record.PublicKeyHash == hash ? tokenOrPublicKey : null,
        };
    }

    /// <inheritdoc />
    public async Task<TaskRecord?> FindTaskByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.TaskColumns} FROM pipelinehost_tasks WHERE token = @hash");
        Add(command, "hash", NpgsqlDbType.Text, tokenHash);
        var records = await StoredRecords.TasksAsync(command, cancellationToken).ConfigureAwait(false);
        return records.Count == 0 ? null : records[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskTransition>> ListTransitionsAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT state, at FROM pipelinehost_task_transitions WHERE token = @token ORDER BY seq");
        Add(command, "token", NpgsqlDbType.Text, Hasher.Hash(token));
        var list = new List<TaskTransition>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TaskTransition(token, (TaskState)reader.GetInt32(0), reader.GetDouble(1)));
        }

        return list;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRecord>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        var direction = query.Descending ? "DESC" : "ASC";
        var key = query.Sort switch
        {
            TaskSort.Name => "lower(name) COLLATE \"C\"",
            TaskSort.State => "state",
            TaskSort.Ended => "COALESCE(ended_at, 1e308)",
            TaskSort.Duration => "COALESCE(ended_at, @now) - COALESCE(started_at, created_at)",
            _ => "created_at",
        };
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {StoredRecords.TaskColumns} FROM pipelinehost_tasks
            WHERE {QueryFilter}
            ORDER BY {key} {direction}, created_at DESC, id COLLATE "C", token COLLATE "C"
            LIMIT @limit OFFSET @offset
            """);
        var known = BindQuery(command, query);
        Add(command, "now", NpgsqlDbType.Double, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        Add(command, "limit", NpgsqlDbType.Integer, Math.Max(0, query.Limit));
        Add(command, "offset", NpgsqlDbType.Integer, Math.Max(0, query.Offset));
        var records = await StoredRecords.TasksAsync(command, cancellationToken).ConfigureAwait(false);

        // Tokens the query named come back with their records; the others stay unknown.
        return known.Count == 0
            ? records
            : records.Select(r => known.TryGetValue(r.TokenHash!, out var token) ? r with { Token = token } : r).ToList();
    }

    /// <inheritdoc />
    public async Task<int> CountTasksAsync(TaskQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT COUNT(*) FROM pipelinehost_tasks WHERE {QueryFilter}");
        _ = BindQuery(command, query);
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRecord>> MarkInterruptedAsync(string reason, double at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // This host's own open tasks only: the others' belong to live hosts (or to the lost-host sweep).
        const string Open = "state NOT IN (5, 6) AND owner = @owner";
        await using (var log = Command(connection, transaction, $"INSERT INTO pipelinehost_task_transitions (token, state, at) SELECT token, 6, @at FROM pipelinehost_tasks WHERE {Open}"))
        {
            Add(log, "at", NpgsqlDbType.Double, at);
            Add(log, "owner", NpgsqlDbType.Text, owner);
            await log.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<TaskRecord> changed;
        await using (var update = Command(
            connection,
            transaction,
            $"""
            UPDATE pipelinehost_tasks SET state = 6, ended_at = @at, status_text = @status_text, exit_code = NULL,
                exit_message = CASE WHEN state = 0 AND started_at IS NULL THEN @queued ELSE @reason END
            WHERE {Open} RETURNING {StoredRecords.TaskColumns}
            """))
        {
            Add(update, "at", NpgsqlDbType.Double, at);
            Add(update, "owner", NpgsqlDbType.Text, owner);
            Add(update, "queued", NpgsqlDbType.Text, TaskRecord.InterruptedQueuedMessage);
            Add(update, "status_text", NpgsqlDbType.Text, TaskRecord.InterruptedStatusText);
            Add(update, "reason", NpgsqlDbType.Text, reason);
            changed = await StoredRecords.TasksAsync(update, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    /// <summary>
    /// Ends the open tasks of the host <paramref name="host"/> (its identity, as <c>owner</c>), which left the
    /// cluster: CANCELLED at <paramref name="at"/>, <c>exitReason</c> <c>lost</c>, <paramref name="message"/> as
    /// <c>exitMessage</c>, a CANCELLED transition appended. Returns how many it ended; tasks already final are left.
    /// </summary>
    public async Task<int> MarkHostLostAsync(string host, string message, double at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            WITH changed AS (
                UPDATE pipelinehost_tasks SET state = 6, ended_at = @at, status_text = @status_text, exit_code = NULL,
                    exit_message = @message,
                    status = jsonb_set(COALESCE(status, '{}')::jsonb, '{exitReason}', '"lost"')::text
                WHERE state NOT IN (5, 6) AND owner = @owner
                RETURNING token)
            INSERT INTO pipelinehost_task_transitions (token, state, at) SELECT token, 6, @at FROM changed
            """);
        Add(command, "at", NpgsqlDbType.Double, at);
        Add(command, "owner", NpgsqlDbType.Text, host);
        Add(command, "message", NpgsqlDbType.Text, message);
        Add(command, "status_text", NpgsqlDbType.Text, TaskRecord.InterruptedStatusText);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<int> DeleteExpiredAsync(double before, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        const string Expired = "state IN (5, 6) AND ended_at IS NOT NULL AND ended_at < @before";
        await using (var callbacks = Command(connection, transaction, $"DELETE FROM pipelinehost_task_callbacks WHERE token IN (SELECT token FROM pipelinehost_tasks WHERE {Expired})"))
        {
            Add(callbacks, "before", NpgsqlDbType.Double, before);
            await callbacks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int deleted;
        await using (var tasks = Command(connection, transaction, $"DELETE FROM pipelinehost_tasks WHERE {Expired}"))
        {
            // Transitions go with their task (ON DELETE CASCADE).
            Add(tasks, "before", NpgsqlDbType.Double, before);
            deleted = await tasks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <inheritdoc />
    public async Task UpsertCallbackAsync(CallbackRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            INSERT INTO pipelinehost_task_callbacks ({StoredRecords.CallbackColumns})
            VALUES (@token, @created_at, @url, @delivery_id, @state, @attempts, @payload)
            ON CONFLICT (token) DO UPDATE SET
                created_at = excluded.created_at, url = excluded.url, delivery_id = excluded.delivery_id,
                state = excluded.state, attempts = excluded.attempts, payload = excluded.payload
            WHERE excluded.created_at >= pipelinehost_task_callbacks.created_at
            """);
        Add(command, "token", NpgsqlDbType.Text, record.Token is { } token ? Hasher.Hash(token) : record.TokenHash ?? throw new ArgumentException("The record has neither a token nor its hash.", nameof(record)));
        Add(command, "created_at", NpgsqlDbType.Double, record.CreatedAt);
        Add(command, "url", NpgsqlDbType.Text, record.Url);
        Add(command, "delivery_id", NpgsqlDbType.Text, record.DeliveryId);
        Add(command, "state", NpgsqlDbType.Text, CallbackRecord.StateName(record.State));
        Add(command, "attempts", NpgsqlDbType.Text, record.AttemptsJson().ToJsonString());
        Add(command, "payload", NpgsqlDbType.Text, record.Payload);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CallbackRecord?> GetCallbackAsync(string token, CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await GetCallbackByHashAsync(Hasher.Hash(token), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<CallbackRecord?> GetCallbackByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.CallbackColumns} FROM pipelinehost_task_callbacks WHERE token = @token");
        Add(command, "token", NpgsqlDbType.Text, tokenHash);
        var list = await StoredRecords.CallbacksAsync(command, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallbackRecord>> ListPendingCallbacksAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.CallbackColumns} FROM pipelinehost_task_callbacks WHERE state = 'pending' ORDER BY created_at, token COLLATE \"C\"");
        return await StoredRecords.CallbacksAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<bool> AddDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            INSERT INTO pipelinehost_deployments ({StoredRecords.DeploymentColumns})
            VALUES (@project_id, @pipeline, @schedule, @state, @created_by, @created_at, @updated_at, @last_run_at,
                    @next_run_at, @last_token, @last_run_skipped, @last_error, @time_zone)
            ON CONFLICT (project_id) DO NOTHING
            """);
        BindDeployment(command, deployment);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> UpdateDeploymentAsync(DeploymentRecord deployment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deployment);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            """
            UPDATE pipelinehost_deployments SET
                pipeline = @pipeline, schedule = @schedule, state = @state, created_by = @created_by,
                created_at = @created_at, updated_at = @updated_at, last_run_at = @last_run_at,
                next_run_at = @next_run_at, last_token = @last_token, last_run_skipped = @last_run_skipped,
                last_error = @last_error, time_zone = @time_zone
            WHERE project_id = @project_id
            """);
        BindDeployment(command, deployment);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> RemoveDeploymentAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM pipelinehost_deployments WHERE project_id = @project_id");
        Add(command, "project_id", NpgsqlDbType.Text, projectId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<DeploymentRecord?> GetDeploymentAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.DeploymentColumns} FROM pipelinehost_deployments WHERE project_id = @project_id");
        Add(command, "project_id", NpgsqlDbType.Text, projectId);
        var list = await StoredRecords.DeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.DeploymentColumns} FROM pipelinehost_deployments ORDER BY created_at, project_id COLLATE \"C\"");
        return await StoredRecords.DeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the pooled connections.</summary>
    public async ValueTask DisposeAsync()
    {
        await _source.DisposeAsync().ConfigureAwait(false);
        _initLock.Dispose();
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql) =>
        new(sql, connection, transaction);

    /// <summary>A typed parameter: PostgreSQL cannot infer the type of a bare NULL in <c>@p IS NULL</c>.</summary>
    private static void Add(NpgsqlCommand command, string name, NpgsqlDbType type, object? value) =>
        command.Parameters.Add(new NpgsqlParameter(name, type) { Value = value ?? DBNull.Value });

    // Binds the filters; returns the query's tokens by their hashes, so the records found can carry them back.
    private Dictionary<string, string> BindQuery(NpgsqlCommand command, TaskQuery query)
    {
        var known = query.Tokens?.Distinct(StringComparer.Ordinal).ToDictionary(Hasher.Hash, t => t, StringComparer.Ordinal) ?? [];
        Add(command, "state", NpgsqlDbType.Integer, query.State is { } state ? (int)state : null);
        Add(command, "project_id", NpgsqlDbType.Text, query.ProjectId);
        Add(command, "user_id", NpgsqlDbType.Text, query.UserId);
        Add(command, "name", NpgsqlDbType.Text, string.IsNullOrEmpty(query.NameContains) ? null : query.NameContains);
        Add(command, "source", NpgsqlDbType.Text, query.Source);
        Add(command, "prefix", NpgsqlDbType.Text, string.IsNullOrEmpty(query.TokenPrefix) ? null : query.TokenPrefix);
        Add(command, "from", NpgsqlDbType.Double, query.CreatedFrom);
        Add(command, "to", NpgsqlDbType.Double, query.CreatedTo);
        Add(command, "tokens", NpgsqlDbType.Array | NpgsqlDbType.Text, query.Tokens is null ? null : known.Keys.ToArray());
        return known;
    }

    private void BindDeployment(NpgsqlCommand command, DeploymentRecord d)
    {
        Add(command, "project_id", NpgsqlDbType.Text, d.ProjectId);
        Add(command, "pipeline", NpgsqlDbType.Text, d.Pipeline.ToJsonString());
        Add(command, "schedule", NpgsqlDbType.Text, d.Schedule);
        Add(command, "state", NpgsqlDbType.Text, d.State);
        Add(command, "created_by", NpgsqlDbType.Text, d.CreatedBy);
        Add(command, "created_at", NpgsqlDbType.Double, d.CreatedAt);
        Add(command, "updated_at", NpgsqlDbType.Double, d.UpdatedAt);
        Add(command, "last_run_at", NpgsqlDbType.Double, d.LastRunAt);
        Add(command, "next_run_at", NpgsqlDbType.Double, d.NextRunAt);
        Add(command, "last_token", NpgsqlDbType.Text, d.LastToken is { } token ? Hasher.Hash(token) : d.LastTokenHash);
        Add(command, "last_run_skipped", NpgsqlDbType.Boolean, d.LastRunSkipped);
        Add(command, "last_error", NpgsqlDbType.Text, d.LastError);
        Add(command, "time_zone", NpgsqlDbType.Text, d.TimeZone);
    }

    private string TokenHashOf(TaskRecord record) =>
        record.Token is { } token ? Hasher.Hash(token) : record.TokenHash ?? throw new ArgumentException("The record has neither a token nor its hash.", nameof(record));

    // The first host inserts a random key; every host then reads the one that won.
    private static async Task<TokenHasher> LoadTokenKeyAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO pipelinehost_token_key (id, key) VALUES (1, @key) ON CONFLICT (id) DO NOTHING; SELECT key FROM pipelinehost_token_key WHERE id = 1",
            connection);
        command.Parameters.Add(new NpgsqlParameter("key", NpgsqlDbType.Text) { Value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) });
        var key = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new TokenHasher(Convert.FromHexString(key));
    }
}
