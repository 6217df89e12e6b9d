using System.Data.Common;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// <see cref="ITaskStore"/> on one SQLite file (<c>&lt;data-dir&gt;/pipelinehost.db</c>): WAL journal so readers
/// never wait for the writer, a busy timeout for the moments two writers meet, a versioned schema migrated in a
/// transaction (<see cref="SqliteMigrations"/>), parameterised SQL only. Task credentials (<c>tk_</c>, <c>pk_</c>, a
/// deployment's last token) are kept as keyed hashes (<see cref="TokenHasher"/>), never in clear: every column that
/// names a task by token holds the hash, and a lookup hashes what it is given.
/// </summary>
public sealed class SqliteTaskStore : ITaskStore
{
    /// <summary>The database file's name inside the data folder.</summary>
    public const string FileName = "pipelinehost.db";

    private const int BusyTimeoutMilliseconds = 10_000;

    private readonly string _connectionString;
    private readonly TokenHasher _hasher;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private volatile bool _initialized;

    /// <summary>
    /// A store on the database file <paramref name="path"/> (created, with its folder, when missing), hashing tokens
    /// with <paramref name="hasher"/>; by default with the key kept next to the file (<see cref="TokenHasher.LoadOrCreate"/>).
    /// </summary>
    public SqliteTaskStore(string path, TokenHasher? hasher = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
        _hasher = hasher ?? TokenHasher.LoadOrCreate(System.IO.Path.GetDirectoryName(Path)!);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMilliseconds / 1000,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>The pooled connection string (the pool is keyed by it): tests reach the store's pool with it.</summary>
    internal string ConnectionString => _connectionString;

    /// <summary>The schema version this build writes.</summary>
    public static int SchemaVersion => SqliteMigrations.Scripts.Count;

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
            if (_initialized)
            {
                return;
            }

            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            await using var connection = await OpenRawAsync(cancellationToken).ConfigureAwait(false);

            // Migrations that turn stored tokens into their hashes call it (SQLite has no HMAC of its own).
            connection.CreateFunction<string?, string?>("token_hash", t => t is null ? null : _hasher.Hash(t), isDeterministic: true);
            var scrub = false;

            // The journal mode is a property of the file: set once, outside any transaction.
            await ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL;", cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(
                connection,
                null,
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at REAL NOT NULL);",
                cancellationToken).ConfigureAwait(false);

            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (var command = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version;"))
            {
                var current = Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                if (current > SchemaVersion)
                {
                    throw new InvalidOperationException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"The database '{Path}' has schema version {current}, newer than this server's {SchemaVersion}; use a newer PipelineHost."));
                }

                scrub = current > 0 && current < SqliteMigrations.HashedTokensVersion && SchemaVersion >= SqliteMigrations.HashedTokensVersion;
                for (var version = current; version < SchemaVersion; version++)
                {
                    await ExecuteAsync(connection, transaction, SqliteMigrations.Scripts[version], cancellationToken).ConfigureAwait(false);
                    await using var record = Command(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES ($version, $at);");
                    record.Parameters.AddWithValue("$version", version + 1);
                    record.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
                    await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            if (scrub)
            {
                // The clear tokens the migration replaced may linger in free pages and in the journal: rebuild the
                // file and empty the journal so no byte of them is left.
                await ExecuteAsync(connection, null, "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);", cancellationToken).ConfigureAwait(false);
            }

            _initialized = true;
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
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var drop = Command(
            connection,
            transaction,
            "DELETE FROM task_transitions WHERE token = $token AND EXISTS (SELECT 1 FROM tasks WHERE token = $token AND created_at <> $created_at);"))
        {
            drop.Parameters.AddWithValue("$token", TaskKey(record));
            drop.Parameters.AddWithValue("$created_at", record.CreatedAt);
            await drop.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Only callbacks of earlier runs: this run's may already be there (it is written when the task is created).
        await using (var dropCallback = Command(connection, transaction, "DELETE FROM task_callbacks WHERE token = $token AND created_at < $created_at;"))
        {
            dropCallback.Parameters.AddWithValue("$token", TaskKey(record));
            dropCallback.Parameters.AddWithValue("$created_at", record.CreatedAt);
            await dropCallback.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var upsert = Command(
            connection,
            transaction,
            $"""
            INSERT INTO tasks ({StoredRecords.TaskColumns})
            VALUES ($token, $public_key, $id, $project_id, $source, $provider, $name, $user_id, $pipeline, $created_at,
                    $started_at, $ended_at, $state, $status_text, $status, $exit_code, $exit_message, $task_key)
            ON CONFLICT (token) DO UPDATE SET
                public_key = excluded.public_key, id = excluded.id, project_id = excluded.project_id,
                source = excluded.source, provider = excluded.provider, name = excluded.name,
                user_id = excluded.user_id, pipeline = excluded.pipeline, created_at = excluded.created_at,
                started_at = excluded.started_at, ended_at = excluded.ended_at, state = excluded.state,
                status_text = excluded.status_text, status = excluded.status, exit_code = excluded.exit_code,
                exit_message = excluded.exit_message, task_key = excluded.task_key;
            """))
        {
            var p = upsert.Parameters;
            p.AddWithValue("$token", TaskKey(record));
            p.AddWithValue("$public_key", record.PublicKey is { } publicKey ? _hasher.Hash(publicKey) : record.PublicKeyHash ?? throw new ArgumentException("The record has neither a public key nor its hash.", nameof(record)));
            p.AddWithValue("$id", record.Id);
            p.AddWithValue("$project_id", record.ProjectId);
            p.AddWithValue("$source", record.Source);
            p.AddWithValue("$provider", record.Provider);
            p.AddWithValue("$name", record.Name);
            p.AddWithValue("$user_id", record.UserId);
            p.AddWithValue("$pipeline", record.Pipeline.ToJsonString());
            p.AddWithValue("$created_at", record.CreatedAt);
            p.AddWithValue("$started_at", (object?)record.StartedAt ?? DBNull.Value);
            p.AddWithValue("$ended_at", (object?)record.EndedAt ?? DBNull.Value);
            p.AddWithValue("$state", (int)record.State);
            p.AddWithValue("$status_text", record.StatusText);
            p.AddWithValue("$status", (object?)record.Status?.ToJsonString() ?? DBNull.Value);
            p.AddWithValue("$exit_code", (object?)record.ExitCode ?? DBNull.Value);
            p.AddWithValue("$exit_message", record.ExitMessage);
            p.AddWithValue("$task_key", (object?)record.Key ?? DBNull.Value);
            await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task AppendTransitionAsync(string token, TaskState state, double at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "INSERT INTO task_transitions (token, state, at) VALUES ($token, $state, $at);");
        command.Parameters.AddWithValue("$token", _hasher.Hash(token));
        command.Parameters.AddWithValue("$state", (int)state);
        command.Parameters.AddWithValue("$at", at);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<TaskRecord?> FindTaskAsync(string tokenOrPublicKey, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tokenOrPublicKey);
        var hash = _hasher.Hash(tokenOrPublicKey);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {StoredRecords.TaskColumns} FROM tasks WHERE token = $hash OR public_key = $hash OR id = $key
            ORDER BY token = $hash DESC, public_key = $hash DESC, created_at DESC LIMIT 1;
            """);
        command.Parameters.AddWithValue("$hash", hash);
        command.Parameters.AddWithValue("$key", tokenOrPublicKey);
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
        await using var command = Command(connection, null, $"SELECT {StoredRecords.TaskColumns} FROM tasks WHERE token = $hash;");
        command.Parameters.AddWithValue("$hash", tokenHash);
        var records = await StoredRecords.TasksAsync(command, cancellationToken).ConfigureAwait(false);
        return records.Count == 0 ? null : records[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskTransition>> ListTransitionsAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT state, at FROM task_transitions WHERE token = $token ORDER BY seq;");
        command.Parameters.AddWithValue("$token", _hasher.Hash(token));
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
            TaskSort.Name => "name COLLATE NOCASE",
            TaskSort.State => "state",
            TaskSort.Ended => "COALESCE(ended_at, 1e308)",
            TaskSort.Duration => "COALESCE(ended_at, $now) - COALESCE(started_at, created_at)",
            _ => "created_at",
        };
        await using var command = Command(
            connection,
            null,
            $"""
            SELECT {StoredRecords.TaskColumns} FROM tasks
            WHERE {QueryFilter}
            ORDER BY {key} {direction}, created_at DESC, id, token
            LIMIT $limit OFFSET $offset;
            """);
        var known = BindQuery(command, query);
        command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
        command.Parameters.AddWithValue("$limit", Math.Max(0, query.Limit));
        command.Parameters.AddWithValue("$offset", Math.Max(0, query.Offset));
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
        await using var command = Command(connection, null, $"SELECT COUNT(*) FROM tasks WHERE {QueryFilter};");
        _ = BindQuery(command, query);
        return Convert.ToInt32(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<TaskRecord>> MarkInterruptedAsync(string reason, double at, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        const string Open = "state NOT IN (5, 6)";
        await using (var log = Command(connection, transaction, $"INSERT INTO task_transitions (token, state, at) SELECT token, 6, $at FROM tasks WHERE {Open};"))
        {
            log.Parameters.AddWithValue("$at", at);
            await log.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<TaskRecord> changed;
        await using (var update = Command(
            connection,
            transaction,
            $"""
            UPDATE tasks SET state = 6, ended_at = $at, status_text = $status_text, exit_code = NULL,
                exit_message = CASE WHEN state = 0 AND started_at IS NULL THEN $queued ELSE $reason END
            WHERE {Open} RETURNING {StoredRecords.TaskColumns};
            """))
        {
            update.Parameters.AddWithValue("$at", at);
            update.Parameters.AddWithValue("$queued", TaskRecord.InterruptedQueuedMessage);
            update.Parameters.AddWithValue("$status_text", TaskRecord.InterruptedStatusText);
            update.Parameters.AddWithValue("$reason", reason);
            changed = await StoredRecords.TasksAsync(update, cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return changed;
    }

    /// <inheritdoc />
    public async Task<int> DeleteExpiredAsync(double before, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        const string Expired = "state IN (5, 6) AND ended_at IS NOT NULL AND ended_at < $before";

        // Each dropped task leaves its token's hash, id and end, so its holder hears "expired", not "unknown".
        var leaving = new List<(string TokenHash, string Id, string UserId, double EndedAt)>();
        await using (var select = Command(connection, transaction, $"SELECT token, id, user_id, ended_at FROM tasks WHERE {Expired};"))
        {
            select.Parameters.AddWithValue("$before", before);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                leaving.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3)));
            }
        }

        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        foreach (var task in leaving)
        {
            await using var tombstone = Command(connection, transaction, "INSERT OR REPLACE INTO expired_tasks (token_hash, id, user_id, ended_at, expired_at) VALUES ($hash, $id, $user_id, $ended_at, $expired_at);");
            tombstone.Parameters.AddWithValue("$hash", task.TokenHash);
            tombstone.Parameters.AddWithValue("$id", task.Id);
            tombstone.Parameters.AddWithValue("$user_id", task.UserId);
            tombstone.Parameters.AddWithValue("$ended_at", task.EndedAt);
            tombstone.Parameters.AddWithValue("$expired_at", now);
            await tombstone.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var forget = Command(connection, transaction, "DELETE FROM expired_tasks WHERE ended_at < $forget;"))
        {
            forget.Parameters.AddWithValue("$forget", before - ExpiredTaskKeptSeconds);
            await forget.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var transitions = Command(connection, transaction, $"DELETE FROM task_transitions WHERE token IN (SELECT token FROM tasks WHERE {Expired});"))
        {
            transitions.Parameters.AddWithValue("$before", before);
            await transitions.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var callbacks = Command(connection, transaction, $"DELETE FROM task_callbacks WHERE token IN (SELECT token FROM tasks WHERE {Expired});"))
        {
            callbacks.Parameters.AddWithValue("$before", before);
            await callbacks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        int deleted;
        await using (var tasks = Command(connection, transaction, $"DELETE FROM tasks WHERE {Expired};"))
        {
            tasks.Parameters.AddWithValue("$before", before);
            deleted = await tasks.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>How long past the history's own retention the store remembers that a task expired: 90 days, then its token reads as unknown.</summary>
    public const double ExpiredTaskKeptSeconds = 90 * 24 * 3600;

    /// <inheritdoc />
    public async Task<ExpiredTask?> FindExpiredAsync(string token, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "SELECT id, user_id, ended_at, expired_at FROM expired_tasks WHERE token_hash = $hash;");
        command.Parameters.AddWithValue("$hash", _hasher.Hash(token));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new ExpiredTask(reader.GetString(0), reader.GetString(1), reader.GetDouble(2), reader.GetDouble(3))
            : null;
    }

    /// <inheritdoc />
    public async Task<IdempotencyRecord?> ClaimIdempotencyKeyAsync(IdempotencyRecord claim, double notBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (var prune = Command(connection, null, "DELETE FROM idempotency_keys WHERE created_at < $not_before;"))
        {
            prune.Parameters.AddWithValue("$not_before", notBefore);
            await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // One statement: a stale claim (older than the window) is replaced, a live one kept; RETURNING tells which.
        await using var command = Command(connection, null, """
            INSERT INTO idempotency_keys (user_id, key, pipeline_hash, token, public_key, created_at)
            VALUES ($user_id, $key, $pipeline_hash, $token, $public_key, $created_at)
            ON CONFLICT (user_id, key) DO UPDATE SET
                pipeline_hash = excluded.pipeline_hash, token = excluded.token, public_key = excluded.public_key,
                created_at = excluded.created_at
            WHERE idempotency_keys.created_at < $not_before
            RETURNING token;
            """);
        var p = command.Parameters;
        p.AddWithValue("$user_id", claim.UserId);
        p.AddWithValue("$key", claim.Key);
        p.AddWithValue("$pipeline_hash", claim.PipelineHash);
        p.AddWithValue("$token", claim.Token);
        p.AddWithValue("$public_key", (object?)claim.PublicKey ?? DBNull.Value);
        p.AddWithValue("$created_at", claim.CreatedAt);
        p.AddWithValue("$not_before", notBefore);
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string)
        {
            return null;
        }

        await using var existing = Command(connection, null, "SELECT pipeline_hash, token, created_at, public_key FROM idempotency_keys WHERE user_id = $user_id AND key = $key;");
        existing.Parameters.AddWithValue("$user_id", claim.UserId);
        existing.Parameters.AddWithValue("$key", claim.Key);
        await using var reader = await existing.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? claim with { PipelineHash = reader.GetString(0), Token = reader.GetString(1), CreatedAt = reader.GetDouble(2), PublicKey = reader.IsDBNull(3) ? null : reader.GetString(3) }
            : null;
    }

    /// <inheritdoc />
    public async Task ReleaseIdempotencyKeyAsync(string userId, string key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM idempotency_keys WHERE user_id = $user_id AND key = $key;");
        command.Parameters.AddWithValue("$user_id", userId);
        command.Parameters.AddWithValue("$key", key);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
            INSERT INTO task_callbacks ({StoredRecords.CallbackColumns})
            VALUES ($token, $created_at, $url, $delivery_id, $state, $attempts, $payload)
            ON CONFLICT (token) DO UPDATE SET
                created_at = excluded.created_at, url = excluded.url, delivery_id = excluded.delivery_id,
                state = excluded.state, attempts = excluded.attempts, payload = excluded.payload
            WHERE excluded.created_at >= task_callbacks.created_at;
            """);
        var p = command.Parameters;
        p.AddWithValue("$token", record.Token is { } token ? _hasher.Hash(token) : record.TokenHash ?? throw new ArgumentException("The record has neither a token nor its hash.", nameof(record)));
        p.AddWithValue("$created_at", record.CreatedAt);
        p.AddWithValue("$url", record.Url);
        p.AddWithValue("$delivery_id", record.DeliveryId);
        p.AddWithValue("$state", CallbackRecord.StateName(record.State));
        p.AddWithValue("$attempts", record.AttemptsJson().ToJsonString());
        p.AddWithValue("$payload", (object?)record.Payload ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<CallbackRecord?> GetCallbackAsync(string token, CancellationToken cancellationToken) =>
        GetCallbackByHashAsync(_hasher.Hash(token), cancellationToken);

    /// <inheritdoc />
    public async Task<CallbackRecord?> GetCallbackByHashAsync(string tokenHash, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.CallbackColumns} FROM task_callbacks WHERE token = $token;");
        command.Parameters.AddWithValue("$token", tokenHash);
        var list = await StoredRecords.CallbacksAsync(command, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<CallbackRecord>> ListPendingCallbacksAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.CallbackColumns} FROM task_callbacks WHERE state = 'pending' ORDER BY created_at, token;");
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
            INSERT INTO deployments ({StoredRecords.DeploymentColumns})
            VALUES ($project_id, $pipeline, $schedule, $state, $created_by, $created_at, $updated_at, $last_run_at,
                    $next_run_at, $last_token, $last_run_skipped, $last_error, $time_zone)
            ON CONFLICT (project_id) DO NOTHING;
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
            UPDATE deployments SET
                pipeline = $pipeline, schedule = $schedule, state = $state, created_by = $created_by,
                created_at = $created_at, updated_at = $updated_at, last_run_at = $last_run_at,
                next_run_at = $next_run_at, last_token = $last_token, last_run_skipped = $last_run_skipped,
                last_error = $last_error, time_zone = $time_zone
            WHERE project_id = $project_id;
            """);
        BindDeployment(command, deployment);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<bool> RemoveDeploymentAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, "DELETE FROM deployments WHERE project_id = $project_id;");
        command.Parameters.AddWithValue("$project_id", projectId);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 1;
    }

    /// <inheritdoc />
    public async Task<DeploymentRecord?> GetDeploymentAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.DeploymentColumns} FROM deployments WHERE project_id = $project_id;");
        command.Parameters.AddWithValue("$project_id", projectId);
        var list = await StoredRecords.DeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
        return list.Count == 0 ? null : list[0];
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<DeploymentRecord>> ListDeploymentsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = Command(connection, null, $"SELECT {StoredRecords.DeploymentColumns} FROM deployments ORDER BY created_at, project_id;");
        return await StoredRecords.DeploymentsAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Releases pooled connections so the file is closed.</summary>
    public ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }

        _initLock.Dispose();
        return ValueTask.CompletedTask;
    }

    // The key a task record is stored under: its token's hash (a record read back carries the hash instead).
    private string TaskKey(TaskRecord record) =>
        record.Token is { } token ? _hasher.Hash(token) : record.TokenHash ?? throw new ArgumentException("The record has neither a token nor its hash.", nameof(record));

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await InitializeAsync(cancellationToken).ConfigureAwait(false);
        return await OpenRawAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenRawAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // A pooled handle can come back inside a transaction: SQLite keeps a transaction open when its COMMIT
            // fails with SQLITE_BUSY, and the next BEGIN on that handle then fails with "cannot start a transaction
            // within a transaction" (seen once under load in Concurrent_writers_on_two_stores_all_succeed).
            if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
            {
                await ExecuteAsync(connection, null, "ROLLBACK;", cancellationToken).ConfigureAwait(false);
            }

            // Per-connection settings (a pooled connection may be new or reused: set them every time).
            await ExecuteAsync(
                connection,
                null,
                string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;"),
                cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static async Task ExecuteAsync(SqliteConnection connection, SqliteTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, sql);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    // One filter for lists and counts, the same rules as TaskQuery.Matches.
    private const string QueryFilter = """
        ($state IS NULL OR state = $state)
          AND ($project_id IS NULL OR project_id = $project_id)
          AND ($user_id IS NULL OR user_id = $user_id)
          AND ($name IS NULL OR instr(lower(name), lower($name)) > 0)
          AND ($source IS NULL OR source = $source)
          AND ($prefix IS NULL OR substr(id, 1, length($prefix)) = $prefix)
          AND ($from IS NULL OR created_at >= $from)
          AND ($to IS NULL OR created_at < $to)
          AND ($tokens IS NULL OR token IN (SELECT value FROM json_each($tokens)))
        """;

    // Binds the filters; returns the query's tokens by their hashes, so the records found can carry them back.
    private Dictionary<string, string> BindQuery(SqliteCommand command, TaskQuery query)
    {
        var known = query.Tokens?.Distinct(StringComparer.Ordinal).ToDictionary(_hasher.Hash, t => t, StringComparer.Ordinal) ?? [];
        var p = command.Parameters;
        p.AddWithValue("$state", query.State is { } state ? (int)state : DBNull.Value);
        p.AddWithValue("$project_id", (object?)query.ProjectId ?? DBNull.Value);
        p.AddWithValue("$user_id", (object?)query.UserId ?? DBNull.Value);
        p.AddWithValue("$name", string.IsNullOrEmpty(query.NameContains) ? DBNull.Value : query.NameContains);
        p.AddWithValue("$source", (object?)query.Source ?? DBNull.Value);
        p.AddWithValue("$prefix", string.IsNullOrEmpty(query.TokenPrefix) ? DBNull.Value : query.TokenPrefix);
        p.AddWithValue("$from", (object?)query.CreatedFrom ?? DBNull.Value);
        p.AddWithValue("$to", (object?)query.CreatedTo ?? DBNull.Value);
        p.AddWithValue("$tokens", query.Tokens is null ? DBNull.Value : new JsonArray(known.Keys.Select(h => (JsonNode?)JsonValue.Create(h)).ToArray()).ToJsonString());
        return known;
    }

    private void BindDeployment(SqliteCommand command, DeploymentRecord d)
    {
        var p = command.Parameters;
        p.AddWithValue("$project_id", d.ProjectId);
        p.AddWithValue("$pipeline", d.Pipeline.ToJsonString());
        p.AddWithValue("$schedule", d.Schedule);
        p.AddWithValue("$state", d.State);
        p.AddWithValue("$created_by", d.CreatedBy);
        p.AddWithValue("$created_at", d.CreatedAt);
        p.AddWithValue("$updated_at", d.UpdatedAt);
        p.AddWithValue("$last_run_at", (object?)d.LastRunAt ?? DBNull.Value);
        p.AddWithValue("$next_run_at", (object?)d.NextRunAt ?? DBNull.Value);
        p.AddWithValue("$last_token", d.LastToken is { } token ? _hasher.Hash(token) : (object?)d.LastTokenHash ?? DBNull.Value);
        p.AddWithValue("$last_run_skipped", d.LastRunSkipped is { } skipped ? (skipped ? 1 : 0) : DBNull.Value);
        p.AddWithValue("$last_error", (object?)d.LastError ?? DBNull.Value);
        p.AddWithValue("$time_zone", d.TimeZone);
    }
}
