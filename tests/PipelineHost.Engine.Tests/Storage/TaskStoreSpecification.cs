using System.Text.Json.Nodes;
using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;

namespace PipelineHost.Engine.Tests.Storage;

/// <summary>
/// The contract of <see cref="ITaskStore"/>, written once for every implementation: a store test class derives
/// from this and says how to open a store on its own fresh database. Every store <see cref="CreateStore"/>
/// returns within one test instance must reach the same database (that is how durability is checked).
/// </summary>
public abstract class TaskStoreSpecification : IAsyncLifetime
{
    private static readonly JsonObject Blank = [];
    private readonly List<ITaskStore> _stores = [];

    /// <summary>A folder private to this test instance, deleted after it.</summary>
    protected string TempDirectory { get; } = Path.Combine(Path.GetTempPath(), "pipelinehost-store-tests", Guid.NewGuid().ToString("N"));

    /// <summary>A store on this test instance's database.</summary>
    protected abstract ITaskStore CreateStore();

    private ITaskStore Store { get; set; } = null!;

    public virtual Task InitializeAsync()
    {
        Directory.CreateDirectory(TempDirectory);
        Store = Open();
        return Task.CompletedTask;
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        try
        {
            Directory.Delete(TempDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private ITaskStore Open()
    {
        var store = CreateStore();
        _stores.Add(store);
        return store;
    }

    private static CancellationToken None => CancellationToken.None;

    public static TaskRecord Record(string token, double createdAt = 1000, TaskState state = TaskState.Running, string projectId = "p-1", string userId = "local") => new()
    {
        Token = token,
        PublicKey = "pk_" + token,
        Id = token[..Math.Min(8, token.Length)] + ".webhook_1",
        ProjectId = projectId,
        Source = "webhook_1",
        Provider = "webhook",
        Name = "echo.webhook_1",
        UserId = userId,
        Pipeline = new JsonObject
        {
            ["project_id"] = projectId,
            ["components"] = new JsonArray(new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["key"] = "${ROCKETRIDE_SECRET}" } }),
        },
        CreatedAt = createdAt,
        StartedAt = state >= TaskState.Running ? createdAt + 1 : null,
        EndedAt = state.IsTerminal() ? createdAt + 10 : null,
        State = state,
        StatusText = state.IsTerminal() ? "Stopped" : "Ready - accepting data",
        Status = new JsonObject
        {
            ["state"] = (int)state,
            ["completedCount"] = 3,
            ["errors"] = new JsonArray("boom ☃"),
            ["metrics"] = new JsonObject { ["cpu_percent"] = 1.5 },
            ["tokens"] = new JsonObject { ["total"] = 0.25 },
        },
        ExitCode = state.IsTerminal() ? 0 : null,
        ExitMessage = state.IsTerminal() ? "Stopped" : string.Empty,
    };

    public static DeploymentRecord Deployment(string projectId, double createdAt = 2000) => new()
    {
        ProjectId = projectId,
        Pipeline = new JsonObject { ["pipeline"] = new JsonObject { ["project_id"] = projectId, ["components"] = new JsonArray() } },
        Schedule = "*/15 * * * *",
        CreatedBy = "local",
        CreatedAt = createdAt,
        UpdatedAt = createdAt,
        NextRunAt = createdAt + 900,
    };

    // Credentials read back are the store's business (hashed, carried back only when named): compared by the tests that say so.
    private static void AssertSame(TaskRecord expected, TaskRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(
            expected with { Pipeline = Blank, Status = null, Token = null, PublicKey = null, TokenHash = null, PublicKeyHash = null },
            actual with { Pipeline = Blank, Status = null, Token = null, PublicKey = null, TokenHash = null, PublicKeyHash = null });
        Assert.True(JsonNode.DeepEquals(expected.Pipeline, actual.Pipeline), actual.Pipeline.ToJsonString());
        Assert.True(JsonNode.DeepEquals(expected.Status, actual.Status), actual.Status?.ToJsonString());
    }

    public static CallbackRecord Callback(string token, double createdAt = 1000, CallbackState state = CallbackState.Pending, string? payload = null, params int?[] statusCodes) => new()
    {
        Token = token,
        CreatedAt = createdAt,
        Url = "https://user:secret@example.com:8443/hooks/done?sig=s3cret",
        DeliveryId = "delivery-" + token,
        State = state,
        Attempts = statusCodes.Select((code, i) => new CallbackAttempt(
            i + 1,
            DateTimeOffset.FromUnixTimeMilliseconds(1_735_689_600_000 + (i * 1_500)),
            code,
            code is null ? "Connection refused ☃" : null,
            10 + i)).ToList(),
        Payload = payload,
    };

    // A listed record has no token (the store keeps its hash): the tests' records are told apart by their ids,
    // whose first part is the token's first 8 characters (Record), or by the token where the query named it.
    private static string Name(TaskRecord record) => record.Token ?? record.Id[..record.Id.IndexOf('.', StringComparison.Ordinal)];

    private static void AssertSame(CallbackRecord expected, CallbackRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Attempts = [], Token = null, TokenHash = null }, actual with { Attempts = [], Token = null, TokenHash = null });
        Assert.Equal(expected.Attempts, actual.Attempts);
    }

    private static void AssertSame(DeploymentRecord expected, DeploymentRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(
            expected with { Pipeline = Blank, LastToken = null, LastTokenHash = null },
            actual with { Pipeline = Blank, LastToken = null, LastTokenHash = null });
        Assert.Equal(expected.LastToken is null, actual.LastTokenHash is null);
        Assert.True(JsonNode.DeepEquals(expected.Pipeline, actual.Pipeline), actual.Pipeline.ToJsonString());
    }

    [Fact]
    public async Task A_task_reads_back_field_for_field_by_token_and_by_public_key()
    {
        var record = Record("tk_aaaa1111", state: TaskState.Cancelled);

        await Store.UpsertTaskAsync(record, None);

        AssertSame(record, await Store.FindTaskAsync("tk_aaaa1111", None));
        AssertSame(record, await Store.FindTaskAsync("pk_tk_aaaa1111", None));
        Assert.Null(await Store.FindTaskAsync("tk_unknown", None));
    }

    [Fact]
    public async Task Credentials_are_kept_as_keyed_hashes_and_given_back_only_to_who_names_the_task_by_them()
    {
        var record = Record("tk_secret1", state: TaskState.Completed);
        await Store.UpsertTaskAsync(record, None);
        await Store.UpsertCallbackAsync(Callback("tk_secret1"), None);

        var byToken = await Store.FindTaskAsync("tk_secret1", None);
        var byPublicKey = await Store.FindTaskAsync("pk_tk_secret1", None);
        var byId = await Store.FindTaskAsync(record.Id, None);
        var listed = Assert.Single(await Store.ListTasksAsync(new TaskQuery(), None));

        Assert.Equal(("tk_secret1", (string?)null), (byToken!.Token, byToken.PublicKey));
        Assert.Equal(((string?)null, "pk_tk_secret1"), (byPublicKey!.Token, byPublicKey.PublicKey));
        Assert.Equal(((string?)null, (string?)null), (byId!.Token, byId.PublicKey));
        Assert.Equal(((string?)null, (string?)null), (listed.Token, listed.PublicKey));
        Assert.NotNull(listed.TokenHash);
        Assert.DoesNotContain("tk_secret1", listed.TokenHash, StringComparison.Ordinal);
        Assert.DoesNotContain("secret1", listed.PublicKeyHash!, StringComparison.Ordinal);
        AssertSame(record, await Store.FindTaskByHashAsync(listed.TokenHash, None));
        AssertSame(Callback("tk_secret1"), await Store.GetCallbackByHashAsync(listed.TokenHash, None));
        Assert.Null(await Store.FindTaskByHashAsync("tk_secret1", None));
        Assert.Null((await Store.GetCallbackAsync("tk_secret1", None))!.Token);
    }

    [Fact]
    public async Task Nullable_fields_stay_null()
    {
        var record = Record("tk_nulls", state: TaskState.None) with { Status = null, ExitCode = null, StartedAt = null, EndedAt = null };

        await Store.UpsertTaskAsync(record, None);

        AssertSame(record, await Store.FindTaskAsync("tk_nulls", None));
    }

    [Fact]
    public async Task Transitions_are_kept_in_order_across_updates_of_the_same_run_and_dropped_when_the_token_runs_again()
    {
        await Store.UpsertTaskAsync(Record("tk_again", createdAt: 1000, state: TaskState.None), None);
        foreach (var (state, at) in new[] { (TaskState.Starting, 1001.0), (TaskState.Initializing, 1002.0), (TaskState.Running, 1003.5) })
        {
            await Store.AppendTransitionAsync("tk_again", state, at, None);
        }

        await Store.UpsertTaskAsync(Record("tk_again", createdAt: 1000, state: TaskState.Running), None);
        var firstRun = await Store.ListTransitionsAsync("tk_again", None);

        await Store.UpsertTaskAsync(Record("tk_again", createdAt: 5000, state: TaskState.None), None);
        var secondRun = await Store.ListTransitionsAsync("tk_again", None);

        Assert.Equal(
            [new TaskTransition("tk_again", TaskState.Starting, 1001), new("tk_again", TaskState.Initializing, 1002), new("tk_again", TaskState.Running, 1003.5)],
            firstRun);
        Assert.Empty(secondRun);
        Assert.Equal(5000, (await Store.FindTaskAsync("tk_again", None))!.CreatedAt);
    }

    [Fact]
    public async Task Lists_are_newest_first_filtered_and_limited()
    {
        await Store.UpsertTaskAsync(Record("tk_1", createdAt: 100, state: TaskState.Completed, projectId: "a"), None);
        await Store.UpsertTaskAsync(Record("tk_2", createdAt: 300, state: TaskState.Cancelled, projectId: "b"), None);
        await Store.UpsertTaskAsync(Record("tk_3", createdAt: 200, state: TaskState.Running, projectId: "a"), None);
        await Store.UpsertTaskAsync(Record("tk_4", createdAt: 400, state: TaskState.Completed, projectId: "a", userId: "someone-else"), None);

        static IEnumerable<string> Tokens(IReadOnlyList<TaskRecord> records) => records.Select(Name);

        Assert.Equal(["tk_4", "tk_2", "tk_3", "tk_1"], Tokens(await Store.ListTasksAsync(new TaskQuery(), None)));
        Assert.Equal(["tk_2", "tk_3"], Tokens(await Store.ListTasksAsync(new TaskQuery { UserId = "local", Limit = 2 }, None)));
        Assert.Equal(["tk_3", "tk_1"], Tokens(await Store.ListTasksAsync(new TaskQuery { UserId = "local", ProjectId = "a" }, None)));
        Assert.Equal(["tk_4", "tk_1"], Tokens(await Store.ListTasksAsync(new TaskQuery { State = TaskState.Completed }, None)));
        Assert.Empty(await Store.ListTasksAsync(new TaskQuery { ProjectId = "nope" }, None));
    }

    [Fact]
    public async Task Lists_filter_by_name_source_token_prefix_and_time_page_sort_and_count()
    {
        await Store.UpsertTaskAsync(Record("tk_aa1", createdAt: 100, state: TaskState.Completed) with { Name = "Word Count" }, None);
        await Store.UpsertTaskAsync(Record("tk_ab2", createdAt: 200, state: TaskState.Cancelled) with { Name = "echo", Source = "other_1" }, None);
        await Store.UpsertTaskAsync(Record("tk_bb3", createdAt: 300, state: TaskState.Running) with { Name = "wordcount nightly" }, None);
        await Store.UpsertTaskAsync(Record("tk_bb4", createdAt: 400, state: TaskState.Completed) with { Name = "alpha" }, None);

        async Task<string[]> Tokens(TaskQuery query) => (await Store.ListTasksAsync(query, None)).Select(Name).ToArray();

        Assert.Equal(["tk_bb3", "tk_aa1"], await Tokens(new TaskQuery { NameContains = "WORD" }));
        Assert.Equal(["tk_ab2"], await Tokens(new TaskQuery { Source = "other_1" }));
        Assert.Equal(["tk_ab2", "tk_aa1"], await Tokens(new TaskQuery { TokenPrefix = "tk_a" }));
        Assert.Equal(["tk_bb3"], await Tokens(new TaskQuery { TokenPrefix = "tk_bb3.web" }));
        Assert.Equal(["tk_bb3", "tk_ab2"], await Tokens(new TaskQuery { CreatedFrom = 200, CreatedTo = 400 }));
        Assert.Equal(["tk_ab2", "tk_aa1"], await Tokens(new TaskQuery { Offset = 2, Limit = 5 }));
        Assert.Equal(["tk_bb4", "tk_ab2", "tk_aa1", "tk_bb3"], await Tokens(new TaskQuery { Sort = TaskSort.Name, Descending = false }));
        Assert.Equal(["tk_ab2", "tk_bb4", "tk_aa1", "tk_bb3"], await Tokens(new TaskQuery { Sort = TaskSort.State, Descending = true }));
        Assert.Equal(["tk_bb4", "tk_ab2"], await Tokens(new TaskQuery { Tokens = ["tk_ab2", "tk_bb4", "tk_none"] }));
        Assert.Equal(2, await Store.CountTasksAsync(new TaskQuery { State = TaskState.Completed, Limit = 1, Offset = 1 }, None));
        Assert.Equal(4, await Store.CountTasksAsync(new TaskQuery(), None));

        // The in-memory rule is the store's rule, record for record.
        foreach (var query in new[] { new TaskQuery { NameContains = "word" }, new TaskQuery { TokenPrefix = "tk_b" }, new TaskQuery { CreatedFrom = 150, Source = "webhook_1" } })
        {
            var all = await Store.ListTasksAsync(new TaskQuery(), None);
            Assert.Equal(await Tokens(query), all.Where(query.Matches).Select(Name).ToArray());
        }
    }

    [Fact]
    public async Task Marking_interrupted_ends_exactly_the_tasks_not_in_a_final_state()
    {
        await Store.UpsertTaskAsync(Record("tk_running", state: TaskState.Running), None);
        await Store.UpsertTaskAsync(Record("tk_starting", state: TaskState.Starting), None);
        await Store.UpsertTaskAsync(Record("tk_done", state: TaskState.Completed), None);

        var changed = await Store.MarkInterruptedAsync("The host stopped", 7777.5, None);
        var again = await Store.MarkInterruptedAsync("The host stopped", 8888, None);

        Assert.Equal(["tk_runni", "tk_start"], changed.Select(Name).Order(StringComparer.Ordinal));
        Assert.Empty(again);
        var running = await Store.FindTaskAsync("tk_running", None);
        Assert.Equal((TaskState.Cancelled, 7777.5, "The host stopped", TaskRecord.InterruptedStatusText), (running!.State, running.EndedAt, running.ExitMessage, running.StatusText));
        Assert.Equal([new TaskTransition("tk_running", TaskState.Cancelled, 7777.5)], await Store.ListTransitionsAsync("tk_running", None));
        var done = await Store.FindTaskAsync("tk_done", None);
        Assert.Equal((TaskState.Completed, "Stopped"), (done!.State, done.ExitMessage));

        var status = running.ToStatus();
        Assert.Equal(6, status["state"]!.GetValue<int>());
        Assert.True(status["completed"]!.GetValue<bool>());
        Assert.Equal("The host stopped", status["exitMessage"]!.GetValue<string>());
        Assert.Equal(7777.5, status["endTime"]!.GetValue<double>());
        Assert.Equal(3, status["completedCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task Expired_tasks_and_their_transitions_are_deleted_and_nothing_else()
    {
        await Store.UpsertTaskAsync(Record("tk_old", createdAt: 100, state: TaskState.Completed), None); // ended 110
        await Store.UpsertTaskAsync(Record("tk_recent", createdAt: 500, state: TaskState.Cancelled), None); // ended 510
        await Store.UpsertTaskAsync(Record("tk_live", createdAt: 50, state: TaskState.Running), None);
        await Store.AppendTransitionAsync("tk_old", TaskState.Completed, 110, None);

        var deleted = await Store.DeleteExpiredAsync(200, None);

        Assert.Equal(1, deleted);
        Assert.Null(await Store.FindTaskAsync("tk_old", None));
        Assert.Empty(await Store.ListTransitionsAsync("tk_old", None));
        Assert.NotNull(await Store.FindTaskAsync("tk_recent", None));
        Assert.NotNull(await Store.FindTaskAsync("tk_live", None));
    }

    [Fact]
    public async Task Deployments_add_once_read_back_update_and_remove()
    {
        var first = Deployment("proj-1", createdAt: 10);
        var second = Deployment("proj-2", createdAt: 20) with { Schedule = "manual", NextRunAt = null };

        Assert.True(await Store.AddDeploymentAsync(second, None));
        Assert.True(await Store.AddDeploymentAsync(first, None));
        Assert.False(await Store.AddDeploymentAsync(first with { Schedule = "@hourly" }, None));
        AssertSame(first, await Store.GetDeploymentAsync("proj-1", None));
        Assert.Equal(["proj-1", "proj-2"], (await Store.ListDeploymentsAsync(None)).Select(d => d.ProjectId));

        var ran = first with { UpdatedAt = 30, LastRunAt = 40, LastToken = "tk_run", LastRunSkipped = true, LastError = "nope", NextRunAt = 50 };
        Assert.True(await Store.UpdateDeploymentAsync(ran, None));
        Assert.False(await Store.UpdateDeploymentAsync(Deployment("proj-unknown"), None));
        AssertSame(ran, await Store.GetDeploymentAsync("proj-1", None));

        Assert.True(await Store.RemoveDeploymentAsync("proj-1", None));
        Assert.False(await Store.RemoveDeploymentAsync("proj-1", None));
        Assert.Null(await Store.GetDeploymentAsync("proj-1", None));
        Assert.Equal(["proj-2"], (await Store.ListDeploymentsAsync(None)).Select(d => d.ProjectId));
    }

    [Fact]
    public async Task What_one_store_wrote_another_on_the_same_database_reads_after_initialising_again()
    {
        await Store.UpsertTaskAsync(Record("tk_durable", state: TaskState.Completed), None);
        await Store.AddDeploymentAsync(Deployment("proj-durable"), None);

        var other = Open();
        await other.InitializeAsync(None);
        await other.InitializeAsync(None);

        AssertSame(Record("tk_durable", state: TaskState.Completed), await other.FindTaskAsync("tk_durable", None));
        AssertSame(Deployment("proj-durable"), await other.GetDeploymentAsync("proj-durable", None));
    }

    [Fact]
    public async Task Concurrent_writers_on_two_stores_all_succeed()
    {
        var other = Open();
        var writes = Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? Store : other;
            var token = $"tk_concurrent_{i:D2}";
            await store.UpsertTaskAsync(Record(token, createdAt: i), None);
            await store.AppendTransitionAsync(token, TaskState.Running, i, None);
        }));

        await Task.WhenAll(writes);

        Assert.Equal(40, (await Store.ListTasksAsync(new TaskQuery { Limit = 100 }, None)).Count);
    }

    [Fact]
    public async Task A_callback_record_reads_back_field_for_field_and_is_updated_in_place()
    {
        var created = Callback("tk_cb");
        var delivered = Callback("tk_cb", state: CallbackState.Delivered, payload: "{\"state\":5,\"name\":\"é\"}", statusCodes: [null, 503, 200]);

        await Store.UpsertCallbackAsync(created, None);
        var first = await Store.GetCallbackAsync("tk_cb", None);
        await Store.UpsertCallbackAsync(delivered, None);

        AssertSame(created, first);
        AssertSame(delivered, await Store.GetCallbackAsync("tk_cb", None));
        Assert.Null(await Store.GetCallbackAsync("tk_none", None));
    }

    [Fact]
    public async Task Pending_callbacks_are_listed_oldest_run_first_and_a_store_opened_later_on_the_same_database_sees_them()
    {
        await Store.UpsertCallbackAsync(Callback("tk_later", createdAt: 200, payload: "{}", statusCodes: [500]), None);
        await Store.UpsertCallbackAsync(Callback("tk_earlier", createdAt: 100), None);
        await Store.UpsertCallbackAsync(Callback("tk_delivered", createdAt: 50, state: CallbackState.Delivered, payload: "{}", statusCodes: [200]), None);
        await Store.UpsertCallbackAsync(Callback("tk_failed", createdAt: 60, state: CallbackState.Failed, payload: "{}", statusCodes: [500, 500]), None);

        // As after a restart: a new store on the same file.
        var restarted = Open();
        await restarted.InitializeAsync(None);
        var pending = await restarted.ListPendingCallbacksAsync(None);

        Assert.Equal(["delivery-tk_earlier", "delivery-tk_later"], pending.Select(c => c.DeliveryId));
        AssertSame(Callback("tk_later", createdAt: 200, payload: "{}", statusCodes: [500]), pending[1]);
    }

    [Fact]
    public async Task An_earlier_runs_callback_never_replaces_a_later_runs_and_a_new_run_of_the_token_drops_the_old_one()
    {
        await Store.UpsertTaskAsync(Record("tk_rerun", createdAt: 1000), None);
        await Store.UpsertCallbackAsync(Callback("tk_rerun", createdAt: 1000), None);

        // The new run's callback is written at its creation, before (or after) the recorder writes the new run's task.
        await Store.UpsertCallbackAsync(Callback("tk_rerun", createdAt: 2000), None);
        await Store.UpsertCallbackAsync(Callback("tk_rerun", createdAt: 1000, state: CallbackState.Failed, statusCodes: [500]), None);
        var afterLateWrite = await Store.GetCallbackAsync("tk_rerun", None);
        await Store.UpsertTaskAsync(Record("tk_rerun", createdAt: 2000), None);
        var afterSameRun = await Store.GetCallbackAsync("tk_rerun", None);
        await Store.UpsertTaskAsync(Record("tk_rerun", createdAt: 3000), None);

        AssertSame(Callback("tk_rerun", createdAt: 2000), afterLateWrite);
        AssertSame(Callback("tk_rerun", createdAt: 2000), afterSameRun);
        Assert.Null(await Store.GetCallbackAsync("tk_rerun", None));
    }

    [Fact]
    public async Task Expired_tasks_take_their_callbacks_with_them()
    {
        await Store.UpsertTaskAsync(Record("tk_old_cb", createdAt: 100, state: TaskState.Completed), None); // ended 110
        await Store.UpsertCallbackAsync(Callback("tk_old_cb", createdAt: 100, state: CallbackState.Delivered, payload: "{}", statusCodes: [200]), None);
        await Store.UpsertTaskAsync(Record("tk_recent_cb", createdAt: 500, state: TaskState.Completed), None);
        await Store.UpsertCallbackAsync(Callback("tk_recent_cb", createdAt: 500), None);

        await Store.DeleteExpiredAsync(200, None);

        Assert.Null(await Store.GetCallbackAsync("tk_old_cb", None));
        Assert.NotNull(await Store.GetCallbackAsync("tk_recent_cb", None));
    }

    [Fact]
    public async Task A_cancelled_token_cancels_the_call()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Store.FindTaskAsync("tk_x", cancelled.Token));
    }
}
