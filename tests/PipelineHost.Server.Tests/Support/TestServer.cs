using System.Net.WebSockets;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.TestHost;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Tests.Support;

/// <summary>
/// A PipelineHost in the test process: in memory (TestHost) where that is faithful, or on a real Kestrel
/// socket bound to 127.0.0.1 with an OS-chosen port where frame limits and handshakes matter.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";

    private readonly bool _ownsDataDirectory;

    private TestServer(WebApplication app, string dataDirectory, bool kestrel, bool ownsDataDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
        IsKestrel = kestrel;
        _ownsDataDirectory = ownsDataDirectory;
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public bool IsKestrel { get; }

    public IServiceProvider Services => App.Services;

    public static async Task<TestServer> StartAsync(
        bool kestrel = false,
        Func<ServerOptions, ServerOptions>? options = null,
        Action<IServiceCollection>? services = null,
        string? dataDirectory = null)
    {
        // A caller-supplied folder (to restart on the same data) is the caller's to delete.
        var ownsDataDirectory = dataDirectory is null;
        dataDirectory ??= NewDataDirectory();
        // No worker pool unless a test asks: this suite starts dozens of servers on a small shared machine, and
        // with the pool off every task's worker is started for it, as before the pool (WorkerPoolTests cover it on).
        var serverOptions = new ServerOptions { Port = 0, ApiKeys = [ApiKey], DataDirectory = dataDirectory, WorkerPoolSize = 0, ComponentsDirectory = ComponentsDirectory };
        serverOptions = options?.Invoke(serverOptions) ?? serverOptions;
        var app = PipelineHostApp.Build(serverOptions, builder =>
        {
            if (!kestrel)
            {
                builder.WebHost.UseTestServer();
            }

            services?.Invoke(builder.Services);
        });
        await app.StartAsync().WaitAsync(TestTimeouts.Default);
        return new TestServer(app, dataDirectory, kestrel, ownsDataDirectory);
    }

    /// <summary>The components folder every test server loads: the test-only <c>fault</c> plug-in (tests/plugins).</summary>
    public static string ComponentsDirectory => PluginFolder("components");

    /// <summary>A folder of test plug-ins copied next to the tests by tests/plugins/TestPlugins.targets.</summary>
    public static string PluginFolder(string set) => Path.Combine(AppContext.BaseDirectory, set);

    /// <summary>A fresh, unused data folder path.</summary>
    public static string NewDataDirectory() => Path.Combine(Path.GetTempPath(), "pipelinehost-tests", Guid.NewGuid().ToString("N"));

    /// <summary>The base HTTP address of a Kestrel server.</summary>
    public Uri BaseAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public Uri WebSocketUri => new UriBuilder(BaseAddress) { Scheme = "ws", Path = "/task/service" }.Uri;

    public HttpClient CreateHttpClient() => IsKestrel
        ? new HttpClient { BaseAddress = BaseAddress }
        : App.GetTestServer().CreateClient();

    public async Task<WebSocket> OpenSocketAsync(params string[] subProtocols)
    {
        if (IsKestrel)
        {
            var socket = new ClientWebSocket();
            foreach (var p in subProtocols)
            {
                socket.Options.AddSubProtocol(p);
            }

            await socket.ConnectAsync(WebSocketUri, CancellationToken.None).WaitAsync(TestTimeouts.Default);
            return socket;
        }

        var client = App.GetTestServer().CreateWebSocketClient();
        foreach (var p in subProtocols)
        {
            client.SubProtocols.Add(p);
        }

        return await client.ConnectAsync(new Uri("ws://localhost/task/service"), CancellationToken.None).WaitAsync(TestTimeouts.Default);
    }

    public async Task<DapTestClient> ConnectAsync(string? credential = ApiKey)
    {
        var client = new DapTestClient(await OpenSocketAsync());
        if (credential is not null)
        {
            var response = await client.RequestAsync("auth", new() { ["auth"] = credential, ["clientName"] = "xunit" });
            Assert.True(response.Success, response.Message);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TestTimeouts.Default);
        await App.DisposeAsync();
        if (!_ownsDataDirectory)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

public static class TestTimeouts
{
    /// <summary>A hang guard, never a speed assertion.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(30);
}
