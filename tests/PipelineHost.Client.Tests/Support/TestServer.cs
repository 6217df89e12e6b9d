using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Client.Tests.Support;

/// <summary>
/// A real PipelineHost in the test process on a Kestrel socket bound to 127.0.0.1 with an OS-chosen port, with
/// real worker processes: the SDK speaks to it exactly as to a server started from the command line.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public const string ApiKey = "test-api-key";

    private TestServer(WebApplication app, string dataDirectory)
    {
        App = app;
        DataDirectory = dataDirectory;
    }

    public WebApplication App { get; }

    public string DataDirectory { get; }

    public static async Task<TestServer> StartAsync(Func<ServerOptions, ServerOptions>? options = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "pipelinehost-client-tests", Guid.NewGuid().ToString("N"));
        var serverOptions = new ServerOptions
        {
            Port = 0,
            ApiKeys = [ApiKey],
            DataDirectory = dataDirectory,
            StopGrace = TimeSpan.FromSeconds(3),
            // The test-only `fault` plug-in (tests/plugins), copied next to the tests by TestPlugins.targets.
            ComponentsDirectory = Path.Combine(AppContext.BaseDirectory, "components"),
        };
        serverOptions = options?.Invoke(serverOptions) ?? serverOptions;
        var app = PipelineHostApp.Build(serverOptions);
        await app.StartAsync().WaitAsync(TestTimeouts.Default);
        return new TestServer(app, dataDirectory);
    }

    /// <summary>The base HTTP address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public Uri BaseAddress => new(App.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public int Port => BaseAddress.Port;

    /// <summary>What a user would type: <c>ws://127.0.0.1:PORT</c>.</summary>
    public Uri WebSocketUri => new UriBuilder(BaseAddress) { Scheme = "ws" }.Uri;

    public Task<PipelineHostClient> ConnectAsync(PipelineHostClientOptions? options = null) =>
        PipelineHostClient.ConnectAsync(WebSocketUri, ApiKey, options).WaitAsync(TestTimeouts.Default);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TestTimeouts.Default);
        await App.DisposeAsync();
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
