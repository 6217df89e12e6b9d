using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary><c>rrext_deploy_*</c> as the SDK tests drive them (§4.3 "Deploy"), and the scheduler on a manual clock.</summary>
public class DeploymentTests
{
    /// <summary>2025-01-01T00:00:00Z, a Wednesday.</summary>
    private static readonly DateTimeOffset Start = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Task<TestServer> StartAsync(ManualTimeProvider? clock = null, string? dataDirectory = null) =>
        TestServer.StartAsync(
            options: o => o with { StopGrace = TimeSpan.FromSeconds(3) },
            services: s =>
            {
                if (clock is not null)
                {
                    s.AddSingleton<TimeProvider>(clock);
                }
            },
            dataDirectory: dataDirectory);

    private static async Task<JsonObject> OkAsync(DapTestClient client, string command, JsonObject arguments)
    {
        var response = await client.RequestAsync(command, arguments);
        Assert.True(response.Success, response.Message);
        return response.Body!.AsObject();
    }

    private static Task<JsonObject> AddAsync(DapTestClient client, JsonObject pipeline, string? schedule = null, string? timeZone = null)
    {
        var arguments = new JsonObject { ["pipeline"] = pipeline.DeepClone() };
        if (schedule is not null)
        {
            arguments["schedule"] = schedule;
        }

        if (timeZone is not null)
        {
            arguments["timeZone"] = timeZone;
        }

        return OkAsync(client, "rrext_deploy_add", arguments);
    }

    private static Task<JsonObject> StatusAsync(DapTestClient client, string projectId) =>
        OkAsync(client, "rrext_deploy_status", new() { ["projectId"] = projectId });

    private static async Task<JsonObject> WaitForDeploymentAsync(DapTestClient client, string projectId, Func<JsonObject, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var record = await StatusAsync(client, projectId);
            if (predicate(record))
            {
                return record;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    private static double Seconds(DateTimeOffset at) => at.ToUnixTimeMilliseconds() / 1000.0;

    private static IEnumerable<PipelineTask> TasksOf(TestServer server, string projectId) =>
        server.Services.GetRequiredService<TaskManager>().Tasks.Where(t => t.Identity.ProjectId == projectId);

    [Fact]
    public async Task A_paused_deployment_skips_its_due_times_runs_now_when_asked_and_resumes_from_now()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();
        await AddAsync(client, pipeline, "*/15 * * * *");

        var paused = await OkAsync(client, "rrext_deploy_pause", new() { ["projectId"] = projectId });
        clock.Advance(TimeSpan.FromMinutes(15));
        var ran = await OkAsync(client, "rrext_deploy_run", new() { ["projectId"] = projectId });
        var token = ran["lastToken"]!.GetValue<string>();
        await client.WaitForStateAsync(token, 3);
        var again = await client.RequestAsync("rrext_deploy_run", new() { ["projectId"] = projectId });
        clock.Advance(TimeSpan.FromMinutes(5));
        var resumed = await OkAsync(client, "rrext_deploy_resume", new() { ["projectId"] = projectId });
        await using var scoped = await server.ConnectAsync(token);
        var denied = await scoped.RequestAsync("rrext_deploy_run", new() { ["projectId"] = projectId });

        Assert.Equal("paused", paused["state"]!.GetValue<string>());
        Assert.Equal([token], TasksOf(server, projectId).Select(t => t.Token));
        Assert.Equal(Seconds(Start.AddMinutes(15)), ran["nextRunAt"]!.GetValue<double>());
        Assert.False(again.Success);
        Assert.Contains("still active", again.Message, StringComparison.Ordinal);
        Assert.Equal("active", resumed["state"]!.GetValue<string>());
        Assert.Equal(Seconds(Start.AddMinutes(30)), resumed["nextRunAt"]!.GetValue<double>());
        Assert.False(denied.Success);
    }

    [Fact]
    public async Task Add_answers_the_record_the_sdk_tests_expect()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = new JsonObject { ["pipeline"] = TestPipelines.Echo() };
        var cron = TestPipelines.Echo();

        var manual = await AddAsync(client, pipeline);
        var scheduled = await AddAsync(client, cron, "*/15 * * * *");
        var invalid = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = TestPipelines.Echo(), ["schedule"] = "not-a-cron" });
        var duplicate = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = cron.DeepClone() });
        var noProject = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = new JsonObject { ["components"] = new JsonArray() } });

        Assert.True(JsonNode.DeepEquals(pipeline, manual["pipeline"]));
        Assert.Equal("manual", manual["schedule"]!.GetValue<string>());
        Assert.Equal("active", manual["state"]!.GetValue<string>());
        Assert.Equal("local", manual["created_by"]!.GetValue<string>());
        Assert.True(manual["created_at"]!.GetValue<double>() > 0);
        Assert.True(manual["updated_at"]!.GetValue<double>() > 0);
        Assert.Null(manual["nextRunAt"]);
        Assert.Equal("*/15 * * * *", scheduled["schedule"]!.GetValue<string>());
        Assert.True(scheduled["nextRunAt"]!.GetValue<double>() > scheduled["created_at"]!.GetValue<double>());
        Assert.False(invalid.Success);
        Assert.StartsWith("Invalid schedule 'not-a-cron'", invalid.Message, StringComparison.Ordinal);
        Assert.False(duplicate.Success);
        Assert.Contains("already deployed", duplicate.Message, StringComparison.Ordinal);
        Assert.False(noProject.Success);
        Assert.Contains("project_id", noProject.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_status_update_and_remove_behave_as_the_sdk_tests_assert()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();
        var added = await AddAsync(client, pipeline);

        var listed = await OkAsync(client, "rrext_deploy_list", []);
        await OkAsync(client, "rrext_deploy_update", new() { ["projectId"] = projectId, ["schedule"] = "0 * * * *" });
        var hourly = await StatusAsync(client, projectId);
        await OkAsync(client, "rrext_deploy_update", new() { ["projectId"] = projectId, ["schedule"] = "@hourly" });
        var macro = await StatusAsync(client, projectId);
        var changed = (JsonObject)pipeline.DeepClone();
        changed["description"] = "changed";
        await OkAsync(client, "rrext_deploy_update", new() { ["projectId"] = projectId, ["pipeline"] = changed.DeepClone() });
        var withPipeline = await StatusAsync(client, projectId);
        var unknownStatus = await client.RequestAsync("rrext_deploy_status", new() { ["projectId"] = "nope" });
        var unknownUpdate = await client.RequestAsync("rrext_deploy_update", new() { ["projectId"] = "nope", ["schedule"] = "@daily" });
        var badUpdate = await client.RequestAsync("rrext_deploy_update", new() { ["projectId"] = projectId, ["schedule"] = "61 * * * *" });
        var otherProject = await client.RequestAsync("rrext_deploy_update", new() { ["projectId"] = projectId, ["pipeline"] = TestPipelines.Echo() });
        var unknownRemove = await client.RequestAsync("rrext_deploy_remove", new() { ["projectId"] = "nope" });
        var removed = await OkAsync(client, "rrext_deploy_remove", new() { ["projectId"] = projectId });
        var afterRemove = await client.RequestAsync("rrext_deploy_status", new() { ["projectId"] = projectId });
        var emptyList = await OkAsync(client, "rrext_deploy_list", []);

        var record = Assert.Single(listed["deployments"]!.AsArray());
        Assert.True(JsonNode.DeepEquals(added, record));
        Assert.Equal("0 * * * *", hourly["schedule"]!.GetValue<string>());
        Assert.Equal("@hourly", macro["schedule"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(changed, withPipeline["pipeline"]));
        Assert.Equal("@hourly", withPipeline["schedule"]!.GetValue<string>());
        Assert.True(hourly["updated_at"]!.GetValue<double>() >= added["updated_at"]!.GetValue<double>());
        Assert.True(withPipeline["updated_at"]!.GetValue<double>() >= macro["updated_at"]!.GetValue<double>());
        Assert.Equal(added["created_at"]!.GetValue<double>(), withPipeline["created_at"]!.GetValue<double>());
        Assert.All([unknownStatus, unknownUpdate, badUpdate, otherProject, unknownRemove, afterRemove], r => Assert.False(r.Success));
        Assert.Equal("Deployment 'nope' not found", unknownStatus.Message);
        Assert.Empty(removed);
        Assert.Empty(emptyList["deployments"]!.AsArray());
    }

    [Fact]
    public async Task A_task_credential_cannot_manage_deployments()
    {
        await using var server = await StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await using var scoped = await server.ConnectAsync(token);

        var add = await scoped.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = TestPipelines.Echo() });
        var list = await scoped.RequestAsync("rrext_deploy_list", []);

        Assert.Contains("a task credential cannot manage deployments", add.Message, StringComparison.Ordinal);
        Assert.False(list.Success);
    }

    [Fact]
    public async Task A_quarter_hourly_deployment_runs_its_pipeline_when_the_clock_passes_the_due_minute_and_manual_never_runs()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var scheduled = TestPipelines.Echo();
        var projectId = scheduled["project_id"]!.GetValue<string>();
        var manual = TestPipelines.Echo();
        var manualId = manual["project_id"]!.GetValue<string>();
        var added = await AddAsync(client, scheduled, "*/15 * * * *");
        await AddAsync(client, manual, "manual");

        clock.Advance(TimeSpan.FromMinutes(14));
        var early = await StatusAsync(client, projectId);
        clock.Advance(TimeSpan.FromMinutes(1));
        var fired = await WaitForDeploymentAsync(client, projectId, d => d["lastToken"] is not null);
        var token = fired["lastToken"]!.GetValue<string>();
        var status = await client.WaitForStateAsync(token, 3);
        var manualAfter = await StatusAsync(client, manualId);

        Assert.Equal(Seconds(Start.AddMinutes(15)), added["nextRunAt"]!.GetValue<double>());
        Assert.Null(early["lastRunAt"]);
        Assert.DoesNotContain(TasksOf(server, projectId), t => t.Token != token);
        Assert.Equal(Seconds(Start.AddMinutes(15)), fired["lastRunAt"]!.GetValue<double>());
        Assert.Equal(Seconds(Start.AddMinutes(30)), fired["nextRunAt"]!.GetValue<double>());
        Assert.False(fired["lastRunSkipped"]!.GetValue<bool>());
        Assert.Equal(projectId, status["project_id"]!.GetValue<string>());
        Assert.Single(TasksOf(server, projectId));

        // The manual deployment was looked at in the same pass that fired the other one, and left alone.
        Assert.Null(manualAfter["lastRunAt"]);
        Assert.Null(manualAfter["nextRunAt"]);
        Assert.Empty(TasksOf(server, manualId));
    }

    [Fact]
    public async Task A_due_time_while_the_previous_run_is_still_active_is_skipped_and_recorded()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();
        await AddAsync(client, pipeline, "* * * * *");

        clock.Advance(TimeSpan.FromMinutes(1));
        var first = await WaitForDeploymentAsync(client, projectId, d => d["lastToken"] is not null);
        var token = first["lastToken"]!.GetValue<string>();
        await client.WaitForStateAsync(token, 3);
        clock.Advance(TimeSpan.FromMinutes(1));
        var skipped = await WaitForDeploymentAsync(client, projectId, d => d["lastRunSkipped"]?.GetValue<bool>() == true);

        Assert.Equal(token, skipped["lastToken"]!.GetValue<string>());
        Assert.Equal(Seconds(Start.AddMinutes(2)), skipped["lastRunAt"]!.GetValue<double>());
        Assert.Equal(Seconds(Start.AddMinutes(3)), skipped["nextRunAt"]!.GetValue<double>());
        Assert.Single(TasksOf(server, projectId));

        // Once the run has ended, the next due time starts a new one.
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        clock.Advance(TimeSpan.FromMinutes(1));
        var next = await WaitForDeploymentAsync(client, projectId, d => d["lastToken"]!.GetValue<string>() != token);
        Assert.False(next["lastRunSkipped"]!.GetValue<bool>());
        await client.WaitForStateAsync(next["lastToken"]!.GetValue<string>(), 3);
    }

    [Fact]
    public async Task A_deployment_follows_its_time_zone_and_fires_once_on_the_spring_forward_day()
    {
        // 2025-03-30 in Paris: 02:00 CET becomes 03:00 CEST, so 02:30 does not exist that day; it fires at the jump.
        var clock = new ManualTimeProvider(new DateTimeOffset(2025, 3, 29, 12, 0, 0, TimeSpan.Zero));
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();
        var jump = new DateTimeOffset(2025, 3, 30, 1, 0, 0, TimeSpan.Zero);

        var added = await AddAsync(client, pipeline, "30 2 * * *", "Europe/Paris");
        clock.Advance(jump - clock.GetUtcNow());
        var fired = await WaitForDeploymentAsync(client, projectId, d => d["lastToken"] is not null);
        await client.WaitForStateAsync(fired["lastToken"]!.GetValue<string>(), 3);
        var listed = Assert.Single((await OkAsync(client, "rrext_deploy_list", []))["deployments"]!.AsArray());

        Assert.Equal("Europe/Paris", added["timeZone"]!.GetValue<string>());
        Assert.Equal(Seconds(jump), added["nextRunAt"]!.GetValue<double>());
        Assert.Equal(Seconds(jump), fired["lastRunAt"]!.GetValue<double>());
        Assert.Equal(Seconds(new DateTimeOffset(2025, 3, 31, 2, 30, 0, TimeSpan.FromHours(2))), fired["nextRunAt"]!.GetValue<double>());
        Assert.Equal("Europe/Paris", listed!["timeZone"]!.GetValue<string>());
        Assert.Single(TasksOf(server, projectId));
    }

    [Fact]
    public async Task The_time_zone_defaults_to_utc_is_validated_and_can_be_updated()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();
        var projectId = pipeline["project_id"]!.GetValue<string>();

        var added = await AddAsync(client, pipeline, "@daily");
        var badAdd = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = TestPipelines.Echo(), ["timeZone"] = "Mars/Olympus_Mons" });
        var badUpdate = await client.RequestAsync("rrext_deploy_update", new() { ["projectId"] = projectId, ["timeZone"] = "Europe/Nowhere" });
        await OkAsync(client, "rrext_deploy_update", new() { ["projectId"] = projectId, ["timeZone"] = "America/New_York" });
        var updated = await StatusAsync(client, projectId);

        Assert.Equal("UTC", added["timeZone"]!.GetValue<string>());
        Assert.Equal(Seconds(Start.AddDays(1)), added["nextRunAt"]!.GetValue<double>());
        Assert.False(badAdd.Success);
        Assert.Equal("Invalid timeZone 'Mars/Olympus_Mons': expected an IANA time zone id such as 'UTC' or 'Europe/Paris'.", badAdd.Message);
        Assert.False(badUpdate.Success);
        Assert.StartsWith("Invalid timeZone 'Europe/Nowhere'", badUpdate.Message, StringComparison.Ordinal);
        Assert.Equal("America/New_York", updated["timeZone"]!.GetValue<string>());
        Assert.Equal("@daily", updated["schedule"]!.GetValue<string>());
        Assert.Equal(Seconds(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.FromHours(-5))), updated["nextRunAt"]!.GetValue<double>());
    }

    [Fact]
    public async Task A_removed_deployment_no_longer_runs()
    {
        var clock = new ManualTimeProvider(Start);
        await using var server = await StartAsync(clock);
        await using var client = await server.ConnectAsync();
        var removed = TestPipelines.Echo();
        var removedId = removed["project_id"]!.GetValue<string>();
        var sentinel = TestPipelines.Echo();
        var sentinelId = sentinel["project_id"]!.GetValue<string>();
        await AddAsync(client, removed, "* * * * *");
        await OkAsync(client, "rrext_deploy_remove", new() { ["projectId"] = removedId });
        await AddAsync(client, sentinel, "* * * * *");

        clock.Advance(TimeSpan.FromMinutes(1));
        var fired = await WaitForDeploymentAsync(client, sentinelId, d => d["lastToken"] is not null);
        await client.WaitForStateAsync(fired["lastToken"]!.GetValue<string>(), 3);

        Assert.Empty(TasksOf(server, removedId));
    }

    [Fact]
    public async Task Deployments_survive_a_restart_and_run_on_the_new_host()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            var pipeline = TestPipelines.Echo();
            var projectId = pipeline["project_id"]!.GetValue<string>();
            await using (var first = await StartAsync(new ManualTimeProvider(Start), dataDirectory))
            {
                await using var client = await first.ConnectAsync();
                await AddAsync(client, pipeline, "@hourly", "Europe/Paris");
            }

            var clock = new ManualTimeProvider(Start.AddHours(5).AddMinutes(30));
            await using var second = await StartAsync(clock, dataDirectory);
            await using var again = await second.ConnectAsync();
            var reloaded = await StatusAsync(again, projectId);
            clock.Advance(TimeSpan.FromMinutes(30));
            var fired = await WaitForDeploymentAsync(again, projectId, d => d["lastToken"] is not null);

            // The due times missed while no host ran are not caught up: the next one is computed from the restart.
            Assert.Equal(Seconds(Start.AddHours(6)), reloaded["nextRunAt"]!.GetValue<double>());
            Assert.Equal("Europe/Paris", reloaded["timeZone"]!.GetValue<string>());
            Assert.True(JsonNode.DeepEquals(pipeline, reloaded["pipeline"]));
            Assert.Equal(Seconds(Start.AddHours(6)), fired["lastRunAt"]!.GetValue<double>());
            await again.WaitForStateAsync(fired["lastToken"]!.GetValue<string>(), 3);
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
