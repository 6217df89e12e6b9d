using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>
/// The host killed with SIGKILL in the middle of a batch: its worker does not outlive it, and a new host on the same
/// data folder starts and reports the task from the history as ended.
/// </summary>
[Collection(nameof(Serial))]
public sealed class HostKillTests
{
    private const string Key = "reliability-host-kill-key-0123456789";

    [ProcFdFact]
    public async Task A_host_killed_mid_batch_leaves_no_worker_and_its_successor_reports_the_task_ended()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        try
        {
            string token;
            int worker;
            using (var host = await HostProcess.StartAsync(dataDirectory))
            {
                using var http = host.Client();
                var batch = new JsonObject
                {
                    ["source"] = "synthetic_1",
                    ["components"] = new JsonArray(
                        new JsonObject { ["id"] = "synthetic_1", ["provider"] = "synthetic", ["config"] = new JsonObject { ["mode"] = "Source", ["count"] = 1_000_000, ["size"] = 1024, ["mimeType"] = "text/plain", ["seed"] = 1 } },
                        new JsonObject { ["id"] = "words_1", ["provider"] = "wordcount", ["config"] = new JsonObject(), ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "synthetic_1" }) },
                        new JsonObject { ["id"] = "null_1", ["provider"] = "null", ["config"] = new JsonObject(), ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "words_1" }) }),
                };
                var started = await SendAsync(http, HttpMethod.Post, "/task", batch);
                Assert.True(started["data"] is JsonObject, started.ToJsonString());
                token = started["data"]!["token"]!.GetValue<string>();
                await Eventually.TrueAsync(
                    () => SendAsync(http, HttpMethod.Get, $"/task?token={token}").Result["data"]?["completedCount"]?.GetValue<long>() > 0,
                    "the batch never got going");
                worker = ChildProcesses.Workers(host.Id).Single();

                host.Kill();
            }

            await Eventually.TrueAsync(() => !Alive(worker), "the worker outlived its host");

            using var successor = await HostProcess.StartAsync(dataDirectory);
            using var client = successor.Client();
            var status = await SendAsync(client, HttpMethod.Get, $"/task?token={token}");
            var state = status["data"]!["state"]!.GetValue<int>();
            Assert.True(state is 5 or 6, $"the task reads state {state} after the restart: {status.ToJsonString()}");
        }
        finally
        {
            try
            {
                Directory.Delete(dataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<JsonObject> SendAsync(HttpClient http, HttpMethod method, string url, JsonNode? body = null)
    {
        using var request = new HttpRequestMessage(method, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
    }

    /// <summary>The server as its own process (<c>dotnet PipelineHost.Server.dll</c>), so it can be killed for real.</summary>
    private sealed class HostProcess : IDisposable
    {
        private readonly Process _process;

        private HostProcess(Process process, int port)
        {
            _process = process;
            Port = port;
        }

        public int Id => _process.Id;

        public int Port { get; }

        public static async Task<HostProcess> StartAsync(string dataDirectory)
        {
            var port = FreePort();
            var server = Path.Combine(AppContext.BaseDirectory, "PipelineHost.Server.dll");
            var info = new ProcessStartInfo("dotnet", [server, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dataDirectory, "--api-key", Key, "--worker-pool-size", "0"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var process = Process.Start(info)!;
            var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("PipelineHost listening on", StringComparison.Ordinal) == true)
                {
                    listening.TrySetResult();
                }
            };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var host = new HostProcess(process, port);
            try
            {
                await Task.WhenAny(listening.Task, process.WaitForExitAsync()).Unwrap().WaitAsync(TestTimeouts.Default);
                Assert.False(process.HasExited, $"the host exited with {(process.HasExited ? process.ExitCode : 0)}");
                return host;
            }
            catch
            {
                host.Dispose();
                throw;
            }
        }

        public HttpClient Client() => new() { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };

        public void Kill()
        {
            ChildProcesses.Signal(_process.Id, "KILL");
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit();
            }

            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
