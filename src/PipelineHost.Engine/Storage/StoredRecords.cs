using System.Data.Common;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Storage;

/// <summary>
/// Rows of the durable store read back into records: one mapping for the SQLite store and the cluster's PostgreSQL
/// store, whose tables have the same columns in the same order (credentials as keyed hashes in both). A column
/// added to one store's table is added here once.
/// </summary>
public static class StoredRecords
{
    /// <summary>The task columns, in the order <see cref="TasksAsync"/> reads them.</summary>
    public const string TaskColumns =
        "token, public_key, id, project_id, source, provider, name, user_id, pipeline, created_at, started_at, " +
        "ended_at, state, status_text, status, exit_code, exit_message, task_key";

    /// <summary>The callback columns, in the order <see cref="CallbacksAsync"/> reads them.</summary>
    public const string CallbackColumns = "token, created_at, url, delivery_id, state, attempts, payload";

    /// <summary>The deployment columns, in the order <see cref="DeploymentsAsync"/> reads them.</summary>
    public const string DeploymentColumns =
        "project_id, pipeline, schedule, state, created_by, created_at, updated_at, last_run_at, next_run_at, " +
        "last_token, last_run_skipped, last_error, time_zone";

    /// <summary>The callback rows <paramref name="command"/> selects (<c>token, created_at, url, delivery_id, state, attempts, payload</c>).</summary>
    public static async Task<IReadOnlyList<CallbackRecord>> CallbacksAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var list = new List<CallbackRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new CallbackRecord
            {
                TokenHash = reader.GetString(0),
                CreatedAt = reader.GetDouble(1),
                Url = reader.GetString(2),
                DeliveryId = reader.GetString(3),
                State = CallbackRecord.ParseState(reader.GetString(4)),
                Attempts = CallbackRecord.ParseAttempts(reader.GetString(5)),
                Payload = reader.IsDBNull(6) ? null : reader.GetString(6),
            });
        }

        return list;
    }

    /// <summary>The task rows <paramref name="command"/> selects (the columns in the order both stores list them).</summary>
    public static async Task<IReadOnlyList<TaskRecord>> TasksAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var list = new List<TaskRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new TaskRecord
            {
                TokenHash = reader.GetString(0),
                PublicKeyHash = reader.GetString(1),
                Id = reader.GetString(2),
                ProjectId = reader.GetString(3),
                Source = reader.GetString(4),
                Provider = reader.GetString(5),
                Name = reader.GetString(6),
                UserId = reader.GetString(7),
                Pipeline = JsonNode.Parse(reader.GetString(8))!.AsObject(),
                CreatedAt = reader.GetDouble(9),
                StartedAt = NullableDouble(reader, 10),
                EndedAt = NullableDouble(reader, 11),
                State = (TaskState)reader.GetInt32(12),
                StatusText = reader.GetString(13),
                Status = reader.IsDBNull(14) ? null : JsonNode.Parse(reader.GetString(14))!.AsObject(),
                ExitCode = reader.IsDBNull(15) ? null : reader.GetInt32(15),
                ExitMessage = reader.GetString(16),
                Key = reader.IsDBNull(17) ? null : reader.GetString(17),
            });
        }

        return list;
    }

    /// <summary>The deployment rows <paramref name="command"/> selects.</summary>
    public static async Task<IReadOnlyList<DeploymentRecord>> DeploymentsAsync(DbCommand command, CancellationToken cancellationToken)
    {
        var list = new List<DeploymentRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new DeploymentRecord
            {
                ProjectId = reader.GetString(0),
                Pipeline = JsonNode.Parse(reader.GetString(1))!,
                Schedule = reader.GetString(2),
                State = reader.GetString(3),
                CreatedBy = reader.GetString(4),
                CreatedAt = reader.GetDouble(5),
                UpdatedAt = reader.GetDouble(6),
                LastRunAt = NullableDouble(reader, 7),
                NextRunAt = NullableDouble(reader, 8),
                LastTokenHash = reader.IsDBNull(9) ? null : reader.GetString(9),
                LastRunSkipped = reader.IsDBNull(10) ? null : reader.GetBoolean(10),
                LastError = reader.IsDBNull(11) ? null : reader.GetString(11),
                TimeZone = reader.GetString(12),
            });
        }

        return list;
    }

    private static double? NullableDouble(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetDouble(ordinal);
}
