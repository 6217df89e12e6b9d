using PipelineHost.Cluster.Storage;
using PipelineHost.Cluster.Tests.Support;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests;

// The namespace of the linked TaskStoreSpecification: its [Fact]s bind to the FactAttribute below (a type of the
// enclosing namespace wins over the one imported by `using Xunit`), so the contract is skipped, not failed, when
// there is no PostgreSQL, exactly as a [RequiresPostgresFact] would be.
namespace PipelineHost.Engine.Tests.Storage;

/// <summary>The store contract's facts, here: skipped when PIPELINEHOST_TEST_POSTGRES is unset.</summary>
public sealed class FactAttribute : Xunit.FactAttribute
{
    public FactAttribute()
    {
        Skip = new RequiresPostgresFactAttribute().Skip;
    }
}

/// <summary>The store contract against the cluster's PostgreSQL store, each test on a fresh database.</summary>
public sealed class PostgresTaskStoreTests : TaskStoreSpecification
{
    private TestDatabase? _database;

    protected override ITaskStore CreateStore() => new PostgresTaskStore(_database!.ConnectionString, "127.0.0.1:11111");

    public override async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }
}

/// <summary>What is particular to the cluster: one database, many hosts.</summary>
public sealed class PostgresTaskStoreClusterTests
{
    [RequiresPostgresFact]
    public async Task A_restarted_host_marks_only_its_own_open_tasks_interrupted()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var hostA = new PostgresTaskStore(database.ConnectionString, "10.0.0.1:11111");
        await using var hostB = new PostgresTaskStore(database.ConnectionString, "10.0.0.2:11111");
        await hostA.UpsertTaskAsync(TaskStoreSpecification.Record("token-a"), CancellationToken.None);
        await hostB.UpsertTaskAsync(TaskStoreSpecification.Record("token-b"), CancellationToken.None);

        var changed = await hostA.MarkInterruptedAsync("The server stopped.", 2000, CancellationToken.None);

        Assert.Equal(TaskStoreSpecification.Record("token-a").Id, Assert.Single(changed).Id);
        Assert.Equal(TaskState.Running, (await hostA.FindTaskAsync("token-b", CancellationToken.None))!.State);
        Assert.Equal(TaskState.Cancelled, (await hostB.FindTaskAsync("token-a", CancellationToken.None))!.State);
    }
}
