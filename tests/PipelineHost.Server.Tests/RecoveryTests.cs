using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// A host killed outright (SIGKILL, no shutdown code runs) and started again on the same data folder: the task it
/// was running is reported as ended by the restart, and its orphaned worker does not linger. Linux: the worker
/// processes are found and watched through /proc.
/// </summary>
public class RecoveryTests
{
    [Fact]
    public async Task A_task_running_when_the_host_was_killed_reads_as_cancelled_after_a_restart_and_its_worker_exits()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        HostProcess? first = null;
        HostProcess? second = null;
        try
        {
            first = await HostProcess.StartAsync(dataDirectory);
            string token;
            await using (var client = await first.ConnectAsync())
            {
                token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
                Assert.Equal(3, (await client.StatusAsync(token))["state"]!.GetValue<int>());
            }

            // The recorder writes behind the engine: wait until the store (read from this process) has the task running.
            await using (var store = new SqliteTaskStore(Path.Combine(dataDirectory, SqliteTaskStore.FileName)))
            {
                using var timeout = new CancellationTokenSource(TestTimeouts.Default);
                while ((await store.FindTaskAsync(token, timeout.Token))?.State != TaskState.Running)
                {
                    await Task.Delay(20, timeout.Token);
                }
            }

            var workers = ChildProcessIds(first.Process.Id);
            Assert.NotEmpty(workers);
            first.Process.Kill(entireProcessTree: false);
            await first.Process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);

            // The worker exits when its stdin (the dead host's pipe) closes.
            using (var timeout = new CancellationTokenSource(TestTimeouts.Default))
            {
                while (workers.Any(IsAlive))
                {
                    await Task.Delay(20, timeout.Token);
                }
            }

            second = await HostProcess.StartAsync(dataDirectory);
            await using var again = await second.ConnectAsync();
            var status = await again.StatusAsync(token);
            var history = await again.RequestAsync("rrext_get_history", []);

            Assert.Equal(6, status["state"]!.GetValue<int>());
            Assert.True(status["completed"]!.GetValue<bool>());
            Assert.Equal(TaskHistoryService.InterruptedMessage, status["exitMessage"]!.GetValue<string>());
            Assert.True(status["endTime"]!.GetValue<double>() >= status["startTime"]!.GetValue<double>());
            Assert.False(status["serviceUp"]!.GetValue<bool>());
            Assert.Equal(("failed", "FAILED"), (status["exitReason"]!.GetValue<string>(), status["statusName"]!.GetValue<string>()));
            Assert.NotNull(status["completedAt"]);
            Assert.Equal(0, status["queuePosition"]!.GetValue<int>());
            var entry = Assert.Single(history.Body!["tasks"]!.AsArray());

            // Known only from the history now: listed by its id, without its token (the store keeps only a hash).
            Assert.Equal((status["id"]!.GetValue<string>(), 6), (entry!["id"]!.GetValue<string>(), entry["state"]!.GetValue<int>()));
            Assert.Null(entry["token"]);
        }
        finally
        {
            await CleanUpAsync(dataDirectory, first, second);
        }
    }

    [Fact]
    public async Task After_a_host_kill_recovered_tasks_keep_their_last_figures_and_a_queued_one_says_it_was_queued()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        HostProcess? first = null;
        HostProcess? second = null;
        try
        {
            first = await HostProcess.StartAsync(dataDirectory, "--max-concurrent-tasks", "1");
            string running;
            string queued;
            await using (var client = await first.ConnectAsync())
            {
                running = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
                for (var i = 0; i < 5; i++)
                {
                    Assert.True((await client.SendAsync(running, "object " + i)).Success);
                }

                var waiting = await client.RequestAsync("execute", new() { ["pipeline"] = TestPipelines.Echo(), ["token"] = "queued-at-the-kill" });
                Assert.True(waiting.Success, waiting.Message);
                queued = "queued-at-the-kill";
            }

            // Figures reach the store within a second or so while they change: wait for the five objects there.
            JsonObject persisted;
            await using (var store = new SqliteTaskStore(Path.Combine(dataDirectory, SqliteTaskStore.FileName)))
            {
                using var timeout = new CancellationTokenSource(TestTimeouts.Default);
                while ((await store.FindTaskAsync(running, timeout.Token))?.Status is not { } status || status["completedCount"]!.GetValue<long>() != 5)
                {
                    await Task.Delay(50, timeout.Token);
                }

                persisted = (await store.FindTaskAsync(running, timeout.Token))!.Status!;
            }

            await first.KillAsync();
            second = await HostProcess.StartAsync(dataDirectory);
            await using var again = await second.ConnectAsync();
            var recovered = await again.StatusAsync(running);
            var recoveredQueued = await again.StatusAsync(queued);

            Assert.Equal(5, recovered["completedCount"]!.GetValue<long>());
            Assert.Equal(persisted["tokens"]!.ToJsonString(), recovered["tokens"]!.ToJsonString());
            Assert.Equal(TaskHistoryService.InterruptedMessage, recovered["exitMessage"]!.GetValue<string>());
            Assert.Null(recovered["exitCode"]);
            Assert.Equal(TaskRecord.InterruptedQueuedMessage, recoveredQueued["exitMessage"]!.GetValue<string>());
            Assert.Null(recoveredQueued["exitCode"]);
            foreach (var status in new[] { recovered, recoveredQueued })
            {
                Assert.True(string.CompareOrdinal(status["updatedAt"]!.GetValue<string>(), status["completedAt"]!.GetValue<string>()) >= 0);
            }
        }
        finally
        {
            await CleanUpAsync(dataDirectory, first, second);
        }
    }

    /// <summary>Processes whose parent is <paramref name="parentId"/>, from /proc.</summary>
    /// <summary>Stops whichever hosts started and removes their data folder.</summary>
    private static async Task CleanUpAsync(string dataDirectory, params HostProcess?[] hosts)
    {
        foreach (var host in hosts)
        {
            if (host is not null)
            {
                await host.DisposeAsync();
            }
        }

        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static List<int> ChildProcessIds(int parentId)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && ReadStat(pid) is { } stat
                && stat.ParentId == parentId)
            {
                children.Add(pid);
            }
        }

        return children;
    }

    /// <summary>True while the process exists and is not a zombie waiting to be reaped.</summary>
    private static bool IsAlive(int pid) => ReadStat(pid) is { } stat && stat.State != 'Z' && stat.State != 'X';

    private static (char State, int ParentId)? ReadStat(int pid)
    {
        try
        {
            // "pid (comm) S ppid ...": comm may contain spaces and parentheses, so read after the last ')'.
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
