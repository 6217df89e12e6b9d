using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// The host ↔ worker channel with real worker processes (protocol-spec/worker-ipc.md): a worker that breaks the
/// contract is a crashed worker, never a fault of the host.
/// </summary>
public class WorkerChannelTests
{
    [Theory]
    [InlineData("garble", "an undecodable message")]
    [InlineData("impersonate", "a StopWorker, which only the host sends")]
    public async Task A_worker_that_breaks_the_channel_contract_ends_its_task_cancelled_and_the_host_serves_on(string fault, string said)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Faulty(fault)))["token"]!.GetValue<string>();

        var send = await client.SendAsync(token, "boom");
        var final = await client.WaitForStateAsync(token, 5, 6);
        var echo = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var after = await client.SendAsync(echo, "still here");

        Assert.False(send.Success);
        Assert.Equal(6, final["state"]!.GetValue<int>());
        Assert.Equal("failed", final["exitReason"]!.GetValue<string>());
        var message = final["exitMessage"]!.GetValue<string>();
        Assert.StartsWith("The worker broke the channel protocol and was stopped: it sent ", message, StringComparison.Ordinal);
        Assert.Contains(said, message, StringComparison.Ordinal);
        Assert.True(after.Success, after.Message);
    }

    [LinuxFact]
    public async Task A_worker_frozen_by_sigstop_is_killed_after_the_heartbeat_timeout_and_its_task_ends_unresponsive()
    {
        var workers = new RunningWorkers();
        await using var server = await TestServer.StartAsync(
            options: o => o with { WorkerHeartbeatTimeout = TimeSpan.FromSeconds(5) },
            services: s => s.AddSingleton<ITaskObserver>(workers));
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        var beating = await client.WaitForStatusAsync(token, s => s["lastHeartbeatAt"] is JsonValue);
        var pid = await workers.Running.Task.WaitAsync(TestTimeouts.Default);
        try
        {
            Signal("-STOP", pid);

            var final = await client.WaitForStateAsync(token, 5, 6);

            Assert.True(DateTimeOffset.TryParse(beating["lastHeartbeatAt"]!.GetValue<string>(), CultureInfo.InvariantCulture, out _));
            Assert.Equal(6, final["state"]!.GetValue<int>());
            Assert.Equal("unresponsive", final["exitReason"]!.GetValue<string>());
            Assert.StartsWith("Stopped: the worker did not answer for 5 s (unresponsive)", final["exitMessage"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(IsGone(pid), "the frozen worker was not killed");
        }
        finally
        {
            if (!IsGone(pid))
            {
                Signal("-KILL", pid);
            }
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", [signal, pid.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.True(kill.ExitCode == 0, $"kill {signal} {pid} failed: the worker was already gone (a live worker taken for an unresponsive one?)");
    }

    private static bool IsGone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    /// <summary>The process id of the first task worker that reaches RUNNING.</summary>
    private sealed class RunningWorkers : ITaskObserver
    {
        public TaskCompletionSource<int> Running { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnTaskEvent(TaskEvent taskEvent)
        {
            if (taskEvent is TaskStatusChanged { StateChanged: true, Task: { State: TaskState.Running, Worker: { } worker } })
            {
                Running.TrySetResult(worker.ProcessId);
            }
        }
    }
}

/// <summary>A fact that needs Linux (signals sent with kill); skipped elsewhere.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "needs Linux (kill -STOP)";
        }
    }
}
