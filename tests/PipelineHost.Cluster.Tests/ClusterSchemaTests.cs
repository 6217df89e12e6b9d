using Npgsql;
using PipelineHost.Cluster.Tests.Support;
using PipelineHost.Server.Tests;

namespace PipelineHost.Cluster.Tests;

/// <summary>The first host creates the schema once, under the advisory lock; each test in a fresh database.</summary>
public sealed class ClusterSchemaTests
{
    [RequiresPostgresFact]
    public async Task Hosts_starting_together_create_the_schema_once()
    {
        await using var database = await TestDatabase.CreateAsync();

        var found = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => ClusterDatabase.PrepareAsync(database.ConnectionString, CancellationToken.None))));

        // One of them found an empty database and created it all; every other one waited and found it done.
        Assert.Single(found, v => v == 0);
        Assert.Equal(5, found.Count(v => v == ClusterSchema.CurrentVersion));
        Assert.Equal(ClusterSchema.Steps.Select(s => s.Version), await VersionsAsync(database));
        Assert.True(await ScalarAsync<long>(database, "SELECT count(*) FROM OrleansQuery WHERE QueryKey IN ('InsertMembershipKey', 'UpsertReminderRowKey')") == 2);
        Assert.True(await ScalarAsync<bool>(database, "SELECT to_regclass('pipelinehost_task_owner') IS NOT NULL"));
    }

    [RequiresPostgresFact]
    public async Task A_newer_host_on_an_older_schema_applies_only_the_steps_it_lacks()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using (var connection = new NpgsqlConnection(database.ConnectionString))
        {
            await connection.OpenAsync();
            Assert.Equal(0, await ClusterSchema.EnsureAsync(connection, ClusterSchema.Steps.Take(1).ToList(), CancellationToken.None));
        }

        var found = await ClusterDatabase.PrepareAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(1, found);
        Assert.Equal(ClusterSchema.Steps.Select(s => s.Version), await VersionsAsync(database));
    }

    [RequiresPostgresFact]
    public async Task A_prepared_database_is_left_as_it_is()
    {
        await using var database = await TestDatabase.CreateAsync();
        await ClusterDatabase.PrepareAsync(database.ConnectionString, CancellationToken.None);

        var found = await ClusterDatabase.PrepareAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(ClusterSchema.CurrentVersion, found);
        Assert.Equal(ClusterSchema.Steps.Select(s => s.Version), await VersionsAsync(database));
    }

    private static async Task<List<int>> VersionsAsync(TestDatabase database)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT version FROM pipelinehost_schema_version ORDER BY version", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var versions = new List<int>();
        while (await reader.ReadAsync())
        {
            versions.Add(reader.GetInt32(0));
        }

        return versions;
    }

    private static async Task<T> ScalarAsync<T>(TestDatabase database, string sql)
    {
        await using var connection = new NpgsqlConnection(database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
