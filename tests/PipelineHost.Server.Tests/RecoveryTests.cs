using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text.RegularExpressions;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// A host killed outright (SIGKILL, no shutdown code runs) and started again on the same data folder: the task it
/// was running is reported as ended by the restart, and its orphaned worker does not linger. Linux: the worker
/// processes are found and watched through /proc.
/// </summary>
public partial class RecoveryTests
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
            Assert.Equal((token, 6), (entry!["token"]!.GetValue<string>(), entry["state"]!.GetValue<int>()));
        }
        finally
        {
            foreach (var host in new[] { first, second })
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
    }

    /// <summary>Processes whose parent is <paramref name="parentId"/>, from /proc.</summary>
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

    [GeneratedRegex(@"PipelineHost listening on (?<url>http://\S+)")]
    private static partial Regex BannerPattern();

    /// <summary>The real server, <c>dotnet PipelineHost.Server.dll</c>, as its own process on an OS-chosen port.</summary>
    private sealed class HostProcess : IAsyncDisposable
    {
        private HostProcess(Process process, Uri address)
        {
            Process = process;
            Address = address;
        }

        public Process Process { get; }

        public Uri Address { get; }

        public static async Task<HostProcess> StartAsync(string dataDirectory)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "PipelineHost.Server.dll"),
                "--port", "0",
                "--data-dir", dataDirectory,
                "--api-key", TestServer.ApiKey,
                "--stop-grace", "3",
            })
            {
                start.ArgumentList.Add(arg);
            }

            start.Environment.Remove("PIPELINEHOST_API_KEY");
            start.Environment.Remove("PIPELINEHOST_PORT");
            var process = Process.Start(start)!;
            var banner = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
            var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is null)
                {
                    banner.TrySetException(new InvalidOperationException("The host exited before listening:\n" + string.Join('\n', output)));
                    return;
                }

                output.Enqueue(e.Data);
                if (BannerPattern().Match(e.Data) is { Success: true } match)
                {
                    banner.TrySetResult(new Uri(match.Groups["url"].Value));
                }
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    output.Enqueue(e.Data);
                }
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            try
            {
                return new HostProcess(process, await banner.Task.WaitAsync(TestTimeouts.Default));
            }
            catch
            {
                process.Kill(entireProcessTree: true);
                process.Dispose();
                throw;
            }
        }

        public async Task<DapTestClient> ConnectAsync()
        {
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new UriBuilder(Address) { Scheme = "ws", Path = "/task/service" }.Uri, CancellationToken.None).WaitAsync(TestTimeouts.Default);
            var client = new DapTestClient(socket);
            var auth = await client.RequestAsync("auth", new() { ["auth"] = TestServer.ApiKey });
            Assert.True(auth.Success, auth.Message);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync().WaitAsync(TestTimeouts.Default);
            }

            Process.Dispose();
        }
    }
}
