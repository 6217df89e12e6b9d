using System.Net;
using System.Reflection;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Storage;
using PipelineHost.Engine.Workers;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary><c>GET /healthz</c> and <c>GET /readyz</c>, as a load balancer or orchestrator calls them: no credential.</summary>
public class HealthTests
{
    private static async Task<(HttpStatusCode Status, JsonObject Body, string? ContentType)> GetAsync(TestServer server, string path)
    {
        using var http = server.CreateHttpClient();
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative));
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        return (response.StatusCode, body, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Healthz_answers_200_without_a_credential_while_the_process_is_up()
    {
        await using var server = await TestServer.StartAsync();

        var (status, body, contentType) = await GetAsync(server, "/healthz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("application/json", contentType);
        Assert.Equal("Healthy", body["status"]!.GetValue<string>());
        Assert.Empty(body["checks"]!.AsObject());
    }

    [Fact]
    public async Task Readyz_reports_each_check_and_is_200_when_the_store_answers_and_the_pool_is_off()
    {
        await using var server = await TestServer.StartAsync();

        var (status, body, _) = await GetAsync(server, "/readyz");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Healthy", body["status"]!.GetValue<string>());
        Assert.Equal("Healthy", body["checks"]!["store"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", body["checks"]!["workerPool"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readyz_is_503_naming_the_store_while_the_store_does_not_answer_and_200_again_after()
    {
        var dataDirectory = TestServer.NewDataDirectory();
        var store = FlakyStore.Create(new SqliteTaskStore(Path.Combine(dataDirectory, SqliteTaskStore.FileName)));
        await using var server = await TestServer.StartAsync(services: s => s.AddSingleton(store), dataDirectory: dataDirectory);

        ((FlakyStore)(object)store).Failing = true;
        var (down, downBody, _) = await GetAsync(server, "/readyz");
        var (live, _, _) = await GetAsync(server, "/healthz");
        ((FlakyStore)(object)store).Failing = false;
        var (up, _, _) = await GetAsync(server, "/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, down);
        Assert.Equal("Unhealthy", downBody["status"]!.GetValue<string>());
        Assert.Equal("Unhealthy", downBody["checks"]!["store"]!["status"]!.GetValue<string>());
        Assert.Equal("The task store does not answer.", downBody["checks"]!["store"]!["description"]!.GetValue<string>());
        Assert.Equal("Healthy", downBody["checks"]!["workerPool"]!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, live);
        Assert.Equal(HttpStatusCode.OK, up);
        await server.DisposeAsync();
        Directory.Delete(dataDirectory, recursive: true);
    }

    [Fact]
    public async Task Readyz_is_503_while_the_worker_pool_cannot_start_workers()
    {
        await using var server = await TestServer.StartAsync(
            options: o => o with { WorkerPoolSize = 1 },
            services: s => s.AddSingleton(sp => PipelineHostApp.EngineOptionsFrom(sp.GetRequiredService<ServerOptions>()) with
            {
                Worker = new WorkerLaunchOptions { WorkerPath = "/nonexistent/pipelinehost-worker" },
            }));

        var (status, body, _) = await GetAsync(server, "/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("Unhealthy", body["checks"]!["workerPool"]!["status"]!.GetValue<string>());
        Assert.Equal("Healthy", body["checks"]!["store"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Readyz_becomes_200_once_a_pooled_worker_is_warm()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { WorkerPoolSize = 1 });

        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        HttpStatusCode status;
        JsonObject body;
        while (((status, body, _) = await GetAsync(server, "/readyz")).status != HttpStatusCode.OK)
            await Task.Delay(50, timeout.Token);

        Assert.Equal("Healthy", body["checks"]!["workerPool"]!["status"]!.GetValue<string>());
    }

    /// <summary>An <see cref="ITaskStore"/> that forwards to a real one, or throws while <see cref="Failing"/>.</summary>
    public class FlakyStore : DispatchProxy
    {
        private ITaskStore? _inner;

        public bool Failing { get; set; }

        public static ITaskStore Create(ITaskStore inner)
        {
            var proxy = Create<ITaskStore, FlakyStore>();
            ((FlakyStore)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
            Failing
                ? throw new IOException("disk I/O error")
                : targetMethod!.Invoke(_inner, args);
    }
}
