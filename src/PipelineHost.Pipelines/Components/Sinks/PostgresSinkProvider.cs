using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Npgsql;
using NpgsqlTypes;
using PipelineHost.Pipelines.Lanes;

namespace PipelineHost.Pipelines.Components.Sinks;

/// <summary>
/// Writes the rows of the <c>table</c> lane into a PostgreSQL table, every column as <c>text</c>, in batches of
/// <c>batchSize</c> rows (one binary <c>COPY</c> each). With <c>createTable</c> (the default) the table is created
/// when absent and columns it lacks are added. Schema and table names must be plain identifiers; column names come
/// from the data and are always quoted. The connection string is the config's, or the environment variable that
/// <c>connectionStringEnv</c> names; it is never logged or repeated in an error.
/// </summary>
public sealed partial class PostgresSinkProvider : IComponentProvider
{
    private const string Name = "db_postgres";

    /// <inheritdoc />
    public ServiceDefinition Definition { get; } = new(
        Name: Name,
        Title: "PostgreSQL table",
        Description: "Writes table rows into a PostgreSQL table (created if absent), batched, every column as text.",
        ClassTypes: ["sink"],
        Lanes: new Dictionary<string, IReadOnlyList<string>> { [LaneNames.Table] = [] },
        ConfigSchema: new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["connectionString"] = new JsonObject { ["type"] = "string", ["description"] = "Npgsql connection string; or use connectionStringEnv." },
                ["connectionStringEnv"] = new JsonObject { ["type"] = "string", ["pattern"] = "^[A-Za-z_][A-Za-z0-9_]{0,127}$", ["description"] = "Name of the environment variable holding the connection string." },
                ["schema"] = new JsonObject { ["type"] = "string", ["pattern"] = IdentifierPattern, ["default"] = "public" },
                ["table"] = new JsonObject { ["type"] = "string", ["pattern"] = IdentifierPattern },
                ["batchSize"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1, ["maximum"] = 100_000, ["default"] = 1000 },
                ["createTable"] = new JsonObject { ["type"] = "boolean", ["default"] = true, ["description"] = "Create the table and add missing columns." },
            },
            ["required"] = new JsonArray("table"),
            ["additionalProperties"] = false,
        })
    {
        Example = JsonNode.Parse("""{"id":"db_1","provider":"db_postgres","config":{"connectionStringEnv":"PG_CONNECTION","table":"rows","batchSize":500},"input":[{"lane":"table","from":"parse_1"}]}""")!.AsObject(),
    };

    private const string IdentifierPattern = "^[A-Za-z_][A-Za-z0-9_]{0,62}$";

    [GeneratedRegex(IdentifierPattern, RegexOptions.CultureInvariant)]
    private static partial Regex Identifier();

    /// <inheritdoc />
    public IComponent Create(JsonObject config, ComponentEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(config);
        var connectionString = ConfigValues.GetString(config, Name, "connectionString");
        var variable = ConfigValues.GetString(config, Name, "connectionStringEnv");
        if ((connectionString is null) == (variable is null))
        {
            throw new ComponentConfigException($"{Name}: give exactly one of config.connectionString and config.connectionStringEnv.");
        }

        if (connectionString is not null)
        {
            Check(connectionString, "config.connectionString");
        }

        var schema = ConfigValues.GetString(config, Name, "schema", "public")!;
        var table = ConfigValues.GetRequiredString(config, Name, "table");
        if (!Identifier().IsMatch(schema) || !Identifier().IsMatch(table))
        {
            throw new ComponentConfigException($"{Name}: config.schema and config.table must be letters, digits and '_', not starting with a digit.");
        }

        return new Sink(new Settings(
            connectionString,
            variable,
            $"{Quote(schema)}.{Quote(table)}",
            ConfigValues.GetInt32(config, Name, "batchSize", 1000, 1, 100_000),
            ConfigValues.GetBoolean(config, Name, "createTable", true)));
    }

    /// <summary>A PostgreSQL quoted identifier: any text but NUL, with its double quotes doubled.</summary>
    internal static string Quote(string identifier) =>
        identifier.Length == 0 || identifier.Contains('\0', StringComparison.Ordinal)
            ? throw new InvalidOperationException($"{Name}: a column name is empty or holds a NUL character.")
            : "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // Parsed only, never shown: an invalid string must not end up in an error message.
    private static void Check(string connectionString, string what)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            throw new ComponentConfigException($"{Name}: {what} is not a valid PostgreSQL connection string.");
        }
    }

    private sealed record Settings(string? ConnectionString, string? Variable, string Table, int BatchSize, bool CreateTable);

    private sealed class Sink(Settings settings) : IComponent
    {
        // Column sets already created or extended in this task, so each costs one round of DDL.
        private readonly ConcurrentDictionary<string, Task> _ensured = new(StringComparer.Ordinal);
        private readonly Lazy<NpgsqlDataSource> _source = new(() => NpgsqlDataSource.Create(ResolveConnectionString(settings)));

        public IObjectProcessor Begin(ObjectContext context) => new Processor(this, settings);

        public NpgsqlDataSource Source => _source.Value;

        /// <summary>Creates the table or adds missing columns once per column set, when <c>createTable</c>.</summary>
        public Task EnsureColumnsAsync(IReadOnlyList<string> columns, CancellationToken cancellationToken)
        {
            if (!settings.CreateTable)
            {
                return Task.CompletedTask;
            }

            var key = string.Join('\0', columns);
            var ensured = _ensured.GetOrAdd(key, _ => CreateAsync(columns, cancellationToken));
            if (ensured.IsFaulted || ensured.IsCanceled)
            {
                _ensured.TryRemove(key, out _); // the next object tries again
            }

            return ensured;
        }

        private async Task CreateAsync(IReadOnlyList<string> columns, CancellationToken cancellationToken)
        {
            var definitions = string.Join(", ", columns.Select(c => Quote(c) + " text"));
            var sql = $"CREATE TABLE IF NOT EXISTS {settings.Table} ({definitions});"
                + string.Concat(columns.Select(c => $" ALTER TABLE {settings.Table} ADD COLUMN IF NOT EXISTS {Quote(c)} text;"));
            await using var command = Source.CreateCommand(sql);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        private static string ResolveConnectionString(Settings settings)
        {
            if (settings.ConnectionString is { } given)
            {
                return given;
            }

            var value = Environment.GetEnvironmentVariable(settings.Variable!);
            if (string.IsNullOrEmpty(value))
            {
                throw new InvalidOperationException($"{Name}: config.connectionStringEnv names {settings.Variable}, which is not set for this task.");
            }

            Check(value, $"the variable {settings.Variable}");
            return value;
        }
    }

    private sealed class Processor(Sink sink, Settings settings) : IObjectProcessor
    {
        private readonly List<IReadOnlyList<string?>> _rows = [];
        private IReadOnlyList<string>? _columns;

        public async ValueTask WriteAsync(string lane, LanePayload payload, IComponentOutput output, CancellationToken cancellationToken)
        {
            if (payload is not TablePayload table)
            {
                throw new InvalidOperationException($"{Name}: lane '{lane}' carries {payload.GetType().Name}; it reads 'table'.");
            }

            if (_columns is not null && !_columns.SequenceEqual(table.Columns, StringComparer.Ordinal))
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false); // a new column set starts a new batch
            }

            _columns = table.Columns;
            foreach (var row in table.Rows)
            {
                _rows.Add(row);
                if (_rows.Count >= settings.BatchSize)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public async ValueTask CloseAsync(IComponentOutput output, CancellationToken cancellationToken) =>
            await FlushAsync(cancellationToken).ConfigureAwait(false);

        private async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_rows.Count == 0 || _columns is not { Count: > 0 } columns)
            {
                _rows.Clear();
                return;
            }

            try
            {
                await sink.EnsureColumnsAsync(columns, cancellationToken).ConfigureAwait(false);
                var connection = await sink.Source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    var copy = $"COPY {settings.Table} ({string.Join(", ", columns.Select(Quote))}) FROM STDIN (FORMAT BINARY)";
                    var importer = await connection.BeginBinaryImportAsync(copy, cancellationToken).ConfigureAwait(false);
                    await using (importer.ConfigureAwait(false))
                    {
                        foreach (var row in _rows)
                        {
                            await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                            foreach (var cell in row)
                            {
                                if (cell is null)
                                {
                                    await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
                                }
                                else
                                {
                                    await importer.WriteAsync(cell, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                                }
                            }
                        }

                        await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
                    }
                }
            }
            catch (NpgsqlException ex)
            {
                // PostgreSQL's own message (no connection string in it) names what went wrong.
                throw new InvalidOperationException($"{Name}: writing {_rows.Count} row(s) failed: {ex.Message}", ex);
            }

            _rows.Clear();
        }
    }
}
