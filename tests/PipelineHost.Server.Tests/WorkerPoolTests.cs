using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Engine;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>The pre-started worker pool, with real worker processes.</summary>
public class WorkerPoolTests
{
    private const string Shell = "/bin/sh";

    private static Task<TestServer> StartServerAsync(int poolSize, RecordingObserver? observer = null) =>
        TestServer.StartAsync(
            options: o => o with { WorkerPoolSize = poolSize, StopGrace = TimeSpan.FromSeconds(3), ExecAllowList = [Shell] },
            services: s =>
            {
                if (observer is not null)
                {
                    s.AddSingleton<ITaskObserver>(observer);
                }
            });

    [Fact]
    public async Task A_task_launched_from_the_pool_runs_and_completes_like_any_other()
    {
        var observer = new RecordingObserver();
        await using var server = await StartServerAsync(1, observer);
        var idle = await WaitForIdleAsync(server, 1);
        await using var client = await server.ConnectAsync();

        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var pid = WorkerPid(server, token);
        var echoed = await client.SendAsync(token, "from the pool");
        var running = await client.StatusAsync(token);
        var terminate = await client.RequestAsync("terminate", new() { ["token"] = token });
        var final = await client.StatusAsync(token);

        Assert.Equal(idle[0], pid);
        Assert.True(echoed.Success, echoed.Message);
        Assert.Equal("from the pool\n\n", echoed.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(1, running["completedCount"]!.GetValue<int>());
        Assert.Empty(running["errors"]!.AsArray());
        Assert.True(terminate.Success, terminate.Message);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal("Stopped", final["exitMessage"]!.GetValue<string>());
        Assert.Equal(0, final["exitCode"]!.GetValue<int>());
        Assert.Equal([1, 2, 3, 4, 6], observer.States(token));
        Assert.False(IsLiveWorker(pid));
    }

    [Fact]
    public async Task A_pool_worker_that_idled_before_its_task_counts_rates_from_the_task_start_and_its_source_total_from_the_first_status()
    {
        await using var server = await StartServerAsync(1);
        await WaitForIdleAsync(server, 1);
        await using var client = await server.ConnectAsync();
        var beforeExecute = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

        var token = (await client.ExecuteAsync(TestPipelines.SyntheticBatch(50)))["token"]!.GetValue<string>();
        var final = await client.WaitForStateAsync(token, 5, 6);

        var (start, end) = (final["startTime"]!.GetValue<double>(), final["endTime"]!.GetValue<double>());
        var completed = final["completedCount"]!.GetValue<long>();
        Assert.True(start >= beforeExecute - 0.001, $"startTime {start} is before the task was started ({beforeExecute})");
        Assert.Equal(5, final["state"]!.GetValue<int>());
        Assert.Equal((50L, 50L), (completed, final["totalCount"]!.GetValue<long>()));

        // The worker counted over part of [startTime, endTime]; had its clock started when the pool started the
        // process, its rate would be over a longer span than the task's own and so below this.
        var taskRate = completed / (end - start) * 100;
        Assert.True(final["rateCount"]!.GetValue<double>() >= Math.Floor(taskRate) - 1, $"rateCount {final["rateCount"]} < {taskRate:0} (objects/s x100 over the task's own time)");
    }

    [Fact]
    public async Task A_pool_worker_that_exits_with_a_code_ends_its_task_with_that_code_and_its_last_words()
    {
        await using var server = await StartServerAsync(1);
        var idle = await WaitForIdleAsync(server, 1);
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty("exit", exitCode: 3)))["token"]!.GetValue<string>();
        var pid = WorkerPid(server, token);

        var send = await client.SendAsync(token, "boom");
        var final = await client.WaitForStateAsync(token, 5, 6);

        Assert.Equal(idle[0], pid);
        Assert.False(send.Success);
        Assert.Equal(3, final["exitCode"]!.GetValue<int>());

        // The last stderr line reached the task: output is attached to the task once it takes the worker.
        Assert.StartsWith("The worker exited with code 3: ", final["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_that_finishes_before_execute_answers_was_still_started()
    {
        // From a warm worker, a one-object batch can complete before execute looks at its state: it ran, so
        // execute succeeds (it used to answer "Task has already completed").
        await using var server = await StartServerAsync(1);
        await using var client = await server.ConnectAsync();
        var batch = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "src", ["provider"] = "synthetic", ["config"] = new JsonObject { ["mode"] = "Source", ["count"] = 1, ["size"] = 100 } },
                new JsonObject { ["id"] = "out", ["provider"] = "null", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "src" }) }),
        };

        for (var i = 0; i < 3; i++)
        {
            await WaitForIdleAsync(server, 1);
            var token = (await client.ExecuteAsync(batch))["token"]!.GetValue<string>();
            var final = await client.WaitForStateAsync(token, 5, 6);

            Assert.Equal(5, final["state"]!.GetValue<int>());
            Assert.Equal(1, final["completedCount"]!.GetValue<int>());
        }
    }

    [Fact]
    public async Task Two_tasks_never_share_a_worker_process_and_a_restart_takes_a_fresh_one()
    {
        await using var server = await StartServerAsync(1);
        await using var client = await server.ConnectAsync();
        var pipeline = TestPipelines.Echo();

        var firstIdle = await WaitForIdleAsync(server, 1);
        var first = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();
        var firstPid = WorkerPid(server, first);
        await client.SendAsync(first, "first");

        var secondIdle = await WaitForIdleAsync(server, 1, ids => ids[0] != firstPid);
        var second = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var secondPid = WorkerPid(server, second);
        var secondStatus = await client.StatusAsync(second);

        var restartIdle = await WaitForIdleAsync(server, 1, ids => ids[0] != secondPid);
        var restart = await client.RequestAsync("restart", new() { ["token"] = first, ["pipeline"] = pipeline.DeepClone() });
        var restartedPid = WorkerPid(server, first);

        Assert.Equal(firstIdle[0], firstPid);
        Assert.Equal(secondIdle[0], secondPid);
        Assert.True(restart.Success, restart.Message);
        Assert.Equal(restartIdle[0], restartedPid);
        Assert.Equal(3, new[] { firstPid, secondPid, restartedPid }.Distinct().Count());
        Assert.Equal(0, secondStatus["completedCount"]!.GetValue<int>());

        // The first task's worker ended with it instead of going back to the pool.
        Assert.False(IsLiveWorker(firstPid));
        Assert.DoesNotContain(firstPid, server.Services.GetRequiredService<TaskManager>().Pool!.IdleProcessIds);
    }

    [Fact]
    public async Task An_idle_pool_worker_that_is_killed_is_replaced()
    {
        await using var server = await StartServerAsync(1);
        var idle = await WaitForIdleAsync(server, 1);

        using (var victim = Process.GetProcessById(idle[0]))
        {
            victim.Kill();
        }

        var replaced = await WaitForIdleAsync(server, 1, ids => ids[0] != idle[0]);
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var pid = WorkerPid(server, token);
        var echoed = await client.SendAsync(token, "still works");

        Assert.Equal(replaced[0], pid);
        Assert.Equal("still works\n\n", echoed.Body!["text"]![0]!.GetValue<string>());
        Assert.False(IsLiveWorker(idle[0]));
    }

    [Fact]
    public async Task Disposing_the_host_leaves_no_worker_processes()
    {
        var server = await StartServerAsync(2);
        var firstIdle = await WaitForIdleAsync(server, 2);
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var taskPid = WorkerPid(server, token);
        var refilled = await WaitForIdleAsync(server, 2, ids => !ids.Contains(taskPid));
        var pids = firstIdle.Concat(refilled).Append(taskPid).Distinct().ToList();
        var aliveBefore = pids.Count(IsLiveWorker);

        await server.DisposeAsync();

        Assert.Contains(taskPid, firstIdle);
        Assert.Equal(3, pids.Count);
        Assert.Equal(3, aliveBefore);
        Assert.All(pids, pid => Assert.False(IsLiveWorker(pid), $"worker {pid} outlived the host"));
    }

    [Fact]
    public async Task The_task_environment_and_placeholders_are_the_same_with_and_without_the_pool()
    {
        // Set after the pool worker started, so only the start request can have brought them to it.
        var late = "PIPELINEHOST_POOLTEST_LATE_" + Guid.NewGuid().ToString("N");
        var empty = "PIPELINEHOST_POOLTEST_EMPTY_" + Guid.NewGuid().ToString("N");
        await using var cold = await StartServerAsync(0);
        await using var pooled = await StartServerAsync(1);
        var idle = await WaitForIdleAsync(pooled, 1);
        Environment.SetEnvironmentVariable(late, "set after the pool filled");
        Environment.SetEnvironmentVariable(empty, string.Empty);
        string coldOutput;
        string pooledOutput;
        int pooledPid;
        try
        {
            (coldOutput, _) = await RunEnvironmentPipelineAsync(cold);
            (pooledOutput, pooledPid) = await RunEnvironmentPipelineAsync(pooled);
        }
        finally
        {
            Environment.SetEnvironmentVariable(late, null);
            Environment.SetEnvironmentVariable(empty, null);
        }

        var lines = pooledOutput.Split('\n');
        Assert.Equal(idle[0], pooledPid);
        Assert.Equal(coldOutput, pooledOutput);
        Assert.Contains($"{late}=set after the pool filled", lines);
        Assert.Contains($"{empty}=", lines);
        Assert.Contains("placeholder=from the caller", lines);
        Assert.Null(cold.Services.GetRequiredService<TaskManager>().Pool);
    }

    [Fact]
    public async Task Pool_size_0_keeps_no_pool_and_each_task_starts_its_own_worker()
    {
        await using var server = await StartServerAsync(0);
        var manager = server.Services.GetRequiredService<TaskManager>();
        await using var client = await server.ConnectAsync();

        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var pid = WorkerPid(server, token);
        var echoed = await client.SendAsync(token, "no pool");
        await client.RequestAsync("terminate", new() { ["token"] = token });

        Assert.Null(manager.Pool);
        Assert.Equal(0, manager.IdleWorkers);
        Assert.Equal("no pool\n\n", echoed.Body!["text"]![0]!.GetValue<string>());
        Assert.False(IsLiveWorker(pid));
    }

    [Fact]
    public async Task Without_a_configured_size_the_pool_has_the_default_size()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { WorkerPoolSize = null });

        Assert.Equal(EngineOptions.DefaultWorkerPoolSize, server.Services.GetRequiredService<EngineOptions>().WorkerPoolSize);
        Assert.Equal(2, server.Services.GetRequiredService<TaskManager>().Pool!.Size);
        await WaitForIdleAsync(server, 2);
    }

    private static async Task<(string Output, int Pid)> RunEnvironmentPipelineAsync(TestServer server)
    {
        var pipeline = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject
                {
                    ["id"] = "exec_1",
                    ["provider"] = "exec",
                    ["config"] = new JsonObject
                    {
                        ["command"] = Shell,
                        ["args"] = new JsonArray("-c", "env | LC_ALL=C sort; echo \"placeholder=$0\"", "${PIPELINEHOST_POOLTEST_PLACEHOLDER}"),
                    },
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
                },
                new JsonObject
                {
                    ["id"] = "response_1",
                    ["provider"] = "response",
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "exec_1" }),
                }),
            ["source"] = "webhook_1",
            ["project_id"] = Guid.NewGuid().ToString(),
        };
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(pipeline, new() { ["env"] = new JsonObject { ["PIPELINEHOST_POOLTEST_PLACEHOLDER"] = "from the caller" } }))["token"]!.GetValue<string>();
        var pid = WorkerPid(server, token);
        var result = await client.SendAsync(token, "x");
        await client.RequestAsync("terminate", new() { ["token"] = token });
        Assert.True(result.Success, result.Message);
        return (result.Body!["text"]![0]!.GetValue<string>(), pid);
    }

    private static int WorkerPid(TestServer server, string token) =>
        server.Services.GetRequiredService<TaskManager>().GetTask(token, Caller.ForApiKey(), Permissions.Monitor).Worker!.ProcessId;

    /// <summary>Waits until the pool holds <paramref name="count"/> warm workers (that also satisfy <paramref name="also"/>).</summary>
    private static async Task<IReadOnlyList<int>> WaitForIdleAsync(TestServer server, int count, Func<IReadOnlyList<int>, bool>? also = null)
    {
        var pool = server.Services.GetRequiredService<TaskManager>().Pool!;
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var ids = pool.IdleProcessIds;
            if (ids.Count == count && (also?.Invoke(ids) ?? true))
            {
                return ids;
            }

            await Task.Delay(20, timeout.Token);
        }
    }

    /// <summary>True while <paramref name="pid"/> is a running (not zombie) PipelineHost worker.</summary>
    private static bool IsLiveWorker(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[stat.LastIndexOf(')') + 2];
            return state != 'Z' && File.ReadAllText($"/proc/{pid}/cmdline").Contains("PipelineHost.Worker", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
