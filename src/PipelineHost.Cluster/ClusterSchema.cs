using System.Globalization;
using Npgsql;

namespace PipelineHost.Cluster;

/// <summary>
/// The cluster's tables: Orleans' ADO.NET membership and reminder tables and queries (the scripts of the Orleans
/// repository, embedded) and ours. Applied by whichever host starts first, once: every host takes the same
/// PostgreSQL advisory lock before it reads <c>pipelinehost_schema_version</c>, so hosts starting together wait for
/// one another, and a newer host on an older schema applies only the steps it lacks. Each step is one transaction
/// (PostgreSQL's DDL is transactional): a host killed half-way leaves the schema as it was.
/// </summary>
public static class ClusterSchema
{
    /// <summary>The advisory lock key every host of every version takes ("PHSCHEMA" as 8 bytes).</summary>
    public const long LockKey = 0x5048_5343_4845_4D41;

    /// <summary>The steps, oldest first; a step never changes once released (add a new one instead).</summary>
    internal static IReadOnlyList<SchemaStep> Steps { get; } =
    [
        new(1, "Orleans membership and reminders", ["PostgreSQL-Main.sql", "PostgreSQL-Clustering.sql", "PostgreSQL-Reminders.sql"]),
        new(2, "PipelineHost hosts and task owners", ["PipelineHost-2-Hosts.sql"]),
        new(3, "PipelineHost task history, callbacks and deployments", ["PipelineHost-3-Store.sql"]),
        new(4, "PipelineHost token hash key", ["PipelineHost-4-TokenKey.sql"]),
    ];

    /// <summary>The schema version this build creates.</summary>
    public static int CurrentVersion => Steps[^1].Version;

    /// <summary>Brings the schema to <see cref="CurrentVersion"/>; returns the version found before (0: empty database).</summary>
    public static Task<int> EnsureAsync(NpgsqlConnection connection, CancellationToken cancellationToken) =>
        EnsureAsync(connection, Steps, cancellationToken);

    /// <summary>Brings the schema to the last of <paramref name="steps"/> (tests stop at an older version with fewer).</summary>
    internal static async Task<int> EnsureAsync(NpgsqlConnection connection, IReadOnlyList<SchemaStep> steps, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Transaction-scoped: released by the commit, or by the server if this host dies holding it.
        await ExecuteAsync(connection, transaction, string.Create(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({LockKey})"), cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, transaction, """
            CREATE TABLE IF NOT EXISTS pipelinehost_schema_version (
                version integer PRIMARY KEY,
                description text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """, cancellationToken).ConfigureAwait(false);
        await using var read = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM pipelinehost_schema_version", connection, transaction);
        var found = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        foreach (var step in steps.Where(s => s.Version > found))
        {
            foreach (var script in step.Scripts)
            {
                await ExecuteAsync(connection, transaction, Script(script), cancellationToken).ConfigureAwait(false);
            }

            await using var record = new NpgsqlCommand("INSERT INTO pipelinehost_schema_version (version, description) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter { Value = step.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = step.Description });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return found;
    }

    /// <summary>An embedded script's text.</summary>
    internal static string Script(string name)
    {
        using var stream = typeof(ClusterSchema).Assembly.GetManifestResourceStream("schema/" + name)
            ?? throw new InvalidOperationException($"The schema script {name} is not embedded.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>One versioned schema change: its scripts run in order, in one transaction.</summary>
internal sealed record SchemaStep(int Version, string Description, IReadOnlyList<string> Scripts);
