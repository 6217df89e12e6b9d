using PipelineHost.Engine.Tasks;
using Microsoft.Data.Sqlite;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Engine.Tests.Storage;

public sealed class SqliteTaskStoreTests : TaskStoreSpecification
{
    protected override ITaskStore CreateStore() => new SqliteTaskStore(Path.Combine(TempDirectory, SqliteTaskStore.FileName));
}

/// <summary>What is particular to the SQLite file: its journal, its schema versioning.</summary>
public sealed class SqliteTaskStoreSchemaTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-store-tests", Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_directory, "nested", SqliteTaskStore.FileName);

    [Fact]
    public async Task A_new_database_is_created_with_its_folder_in_wal_mode_at_the_current_schema_version()
    {
        await using (var store = new SqliteTaskStore(DatabasePath))
        {
            await store.InitializeAsync(CancellationToken.None);
            await store.InitializeAsync(CancellationToken.None);
        }

        Assert.Equal("wal", await ScalarAsync("PRAGMA journal_mode;"));
        Assert.Equal((long)SqliteTaskStore.SchemaVersion, await ScalarAsync("SELECT MAX(version) FROM schema_version;"));
        Assert.Equal((long)SqliteTaskStore.SchemaVersion, await ScalarAsync("SELECT COUNT(*) FROM schema_version;"));
    }

    [Fact]
    public async Task A_database_from_a_newer_server_is_refused_and_left_alone()
    {
        await using (var store = new SqliteTaskStore(DatabasePath))
        {
            await store.InitializeAsync(CancellationToken.None);
        }

        await ScalarAsync("INSERT INTO schema_version (version, applied_at) VALUES (999, 0); SELECT 1;");

        await using var newer = new SqliteTaskStore(DatabasePath);
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => newer.InitializeAsync(CancellationToken.None));
        Assert.Contains("schema version 999", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pooled_connection_returned_inside_a_transaction_does_not_break_the_next_write()
    {
        await using var store = new SqliteTaskStore(DatabasePath);
        await store.InitializeAsync(CancellationToken.None);

        // As a COMMIT that failed with SQLITE_BUSY leaves it: the handle goes back to the pool still in a transaction.
        await using (var leaking = new SqliteConnection(store.ConnectionString))
        {
            await leaking.OpenAsync();
            await using var begin = leaking.CreateCommand();
            begin.CommandText = "BEGIN;";
            await begin.ExecuteNonQueryAsync();
        }

        await store.UpsertTaskAsync(TaskStoreSpecification.Record("tk_after_leak"), CancellationToken.None);

        Assert.NotNull(await store.FindTaskAsync("tk_after_leak", CancellationToken.None));
    }

    [Fact]
    public async Task The_database_file_holds_no_token_bytes_and_the_key_file_is_owner_only()
    {
        await using (var store = new SqliteTaskStore(DatabasePath))
        {
            await store.UpsertTaskAsync(TaskStoreSpecification.Record("tk_0123456789abcdef") with { State = TaskState.Completed }, CancellationToken.None);
            await store.AppendTransitionAsync("tk_0123456789abcdef", TaskState.Completed, 5, CancellationToken.None);
            await store.UpsertCallbackAsync(TaskStoreSpecification.Callback("tk_0123456789abcdef") with { DeliveryId = "delivery-1" }, CancellationToken.None);
            await store.AddDeploymentAsync(TaskStoreSpecification.Deployment("proj-1") with { LastToken = "tk_0123456789abcdef" }, CancellationToken.None);
            Assert.NotNull(await store.FindTaskAsync("tk_0123456789abcdef", CancellationToken.None));
        }

        AssertNoTokenBytes("0123456789abcdef");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Path.GetDirectoryName(DatabasePath)!, TokenHasher.FileName)));
        }
    }

    [Fact]
    public async Task Migrating_a_database_with_clear_tokens_hashes_them_keeps_every_lookup_and_leaves_no_byte_of_them()
    {
        // A database as schema 4 left it: every credential in clear.
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        var legacy = new System.Text.StringBuilder("PRAGMA journal_mode = WAL; CREATE TABLE schema_version (version INTEGER NOT NULL PRIMARY KEY, applied_at REAL NOT NULL);");
        for (var version = 0; version < SqliteMigrations.HashedTokensVersion - 1; version++)
        {
            legacy.Append(SqliteMigrations.Scripts[version]).Append($"INSERT INTO schema_version VALUES ({version + 1}, 0);");
        }

        legacy.Append(
            """
            INSERT INTO tasks (token, public_key, id, project_id, source, provider, name, user_id, pipeline, created_at, state, status_text, exit_message, ended_at)
              VALUES ('tk_feedfacecafebeef', 'pk_deadbeefdeadbeef', 'aaaa1111.webhook_1', 'p', 'webhook_1', 'webhook', 'n', 'local', '{}', 10, 5, 'Completed', '', 20);
            INSERT INTO task_transitions (token, state, at) VALUES ('tk_feedfacecafebeef', 5, 20);
            INSERT INTO task_callbacks (token, created_at, url, delivery_id, state, attempts) VALUES ('tk_feedfacecafebeef', 10, 'https://example.com/', 'd', 'pending', '[]');
            INSERT INTO deployments (project_id, pipeline, schedule, state, created_by, created_at, updated_at, last_token)
              VALUES ('proj', '{}', 'manual', 'active', 'local', 1, 1, 'tk_feedfacecafebeef');
            SELECT 1;
            """);
        await ScalarAsync(legacy.ToString());
        SqliteConnection.ClearAllPools();

        await using (var store = new SqliteTaskStore(DatabasePath))
        {
            var found = await store.FindTaskAsync("tk_feedfacecafebeef", CancellationToken.None);
            Assert.Equal("aaaa1111.webhook_1", found!.Id);
            Assert.Equal("aaaa1111.webhook_1", (await store.FindTaskAsync("pk_deadbeefdeadbeef", CancellationToken.None))!.Id);
            Assert.Single(await store.ListTransitionsAsync("tk_feedfacecafebeef", CancellationToken.None));
            Assert.NotNull(await store.GetCallbackAsync("tk_feedfacecafebeef", CancellationToken.None));
            Assert.Equal(found.TokenHash, (await store.GetDeploymentAsync("proj", CancellationToken.None))!.LastTokenHash);
        }

        AssertNoTokenBytes("feedfacecafebeef");
        AssertNoTokenBytes("deadbeefdeadbeef");
    }

    // Every file SQLite keeps (the database, its journal and shared memory), searched for the token's bytes.
    private void AssertNoTokenBytes(string secret)
    {
        SqliteConnection.ClearAllPools();
        var needle = System.Text.Encoding.UTF8.GetBytes(secret);
        foreach (var file in Directory.EnumerateFiles(Path.GetDirectoryName(DatabasePath)!, SqliteTaskStore.FileName + "*"))
        {
            var bytes = File.ReadAllBytes(file);
            Assert.True(bytes.AsSpan().IndexOf(needle) < 0, $"{Path.GetFileName(file)} holds the token's bytes");
        }
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Issue 20 in the SQLite store: idempotency-key claims (atomic, per user, 24 h).</summary>
public sealed class SqliteIdempotencyKeyTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-store-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Of_concurrent_claims_of_one_key_one_wins_other_users_keys_never_meet_and_a_stale_claim_is_replaced()
    {
        await using var store = new SqliteTaskStore(Path.Combine(_directory, SqliteTaskStore.FileName));
        var claims = Enumerable.Range(0, 8).Select(i => new IdempotencyRecord("alice", "k1", "hash", $"tk_{i}", 1000)).ToList();

        var results = await Task.WhenAll(claims.Select(c => store.ClaimIdempotencyKeyAsync(c, 0, CancellationToken.None)));
        var otherUser = await store.ClaimIdempotencyKeyAsync(new IdempotencyRecord("bob", "k1", "other", "tk_bob", 1000), 0, CancellationToken.None);
        var stale = await store.ClaimIdempotencyKeyAsync(new IdempotencyRecord("alice", "k1", "new", "tk_new", 1000 + 86_401), 1001, CancellationToken.None);
        var afterStale = await store.ClaimIdempotencyKeyAsync(new IdempotencyRecord("alice", "k1", "new", "tk_late", 1000 + 86_402), 1001, CancellationToken.None);

        Assert.Single(results, r => r is null);
        var winner = claims[Array.IndexOf(results, null)].Token;
        Assert.All(results.Where(r => r is not null), r => Assert.Equal(winner, r!.Token));
        Assert.Null(otherUser);
        Assert.Null(stale);
        Assert.Equal("tk_new", afterStale!.Token);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
