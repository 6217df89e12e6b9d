using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PipelineHost.Engine.Storage;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// A full disk (a store that fails its writes): history writes are kept and retried until they succeed and are shown
/// as pending in GET /status, requests that must write answer "no space left", reads go on working.
/// </summary>
public sealed class FullDiskTests
{
    [Fact]
    public async Task History_writes_wait_for_space_while_writing_requests_say_no_space_left_and_reads_go_on()
    {
        FullDiskTaskStore? faulty = null;
        await using var server = await TestServer.StartAsync(services: s => s.Replace(ServiceDescriptor.Singleton<ITaskStore>(sp =>
            faulty = new FullDiskTaskStore(new SqliteTaskStore(Path.Combine(sp.GetRequiredService<Hosting.ServerOptions>().DataDirectory, SqliteTaskStore.FileName))))));
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();
        _ = server.Services.GetRequiredService<ITaskStore>();
        faulty!.Full = true;

        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        Assert.True((await client.RequestAsync("terminate", new() { ["token"] = token })).Success);
        var deploy = await client.RequestAsync("rrext_deploy_add", new() { ["pipeline"] = TestPipelines.Echo() });
        var read = await client.StatusAsync(token);
        var during = await StatusAsync(http);

        Assert.False(deploy.Success);
        Assert.Equal(DiskFull.Message, deploy.Message);
        Assert.Equal(6, read["state"]!.GetValue<int>());
        Assert.True(during["history"]!["pendingWrites"]!.GetValue<int>() > 0);
        Assert.Equal("no space left on the disk", during["history"]!["failure"]!.GetValue<string>());

        faulty.Full = false;
        var recorder = server.Services.GetRequiredService<TaskHistoryRecorder>();
        await recorder.FlushAsync().WaitAsync(TestTimeouts.Default);
        var stored = await faulty.FindTaskAsync(token, CancellationToken.None);
        var after = await StatusAsync(http);

        Assert.Equal(Engine.Tasks.TaskState.Cancelled, stored!.State);
        Assert.Equal(0, after["history"]!["pendingWrites"]!.GetValue<int>());
        Assert.Null(after["history"]!["failure"]);
    }

    private static async Task<JsonNode> StatusAsync(HttpClient http)
    {
        var (status, _, body) = await http.SendRawAsync(HttpMethod.Get, "/status", $"Bearer {TestServer.ApiKey}");
        Assert.Equal(HttpStatusCode.OK, status);
        return JsonNode.Parse(body)!["data"]!;
    }
}
