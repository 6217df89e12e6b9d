using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Engine.Tasks;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;
using PipelineHost.Protocol.Json;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Benchmarks;

/// <summary>The real PipelineHost, in this process, on 127.0.0.1 with an OS-chosen port and a temp data folder.</summary>
public sealed class SubjectServer : IAsyncDisposable
{
    public const string ApiKey = "bench-api-key";

    private readonly WebApplication _app;
    private readonly string _dataDirectory;

    private SubjectServer(WebApplication app, string dataDirectory)
    {
        _app = app;
        _dataDirectory = dataDirectory;
        Address = BareKestrel.AddressOf(app);
        WebSocketUri = new UriBuilder(Address) { Scheme = "ws", Path = "/task/service" }.Uri;
    }

    public Uri Address { get; }

    public Uri WebSocketUri { get; }

    /// <summary>The server's task manager (the launch scenario waits for its worker pool to be full).</summary>
    public TaskManager Tasks => _app.Services.GetRequiredService<TaskManager>();

    /// <param name="workerPoolSize">
    /// Pre-started workers; none unless asked: scenarios other than launch start no workers while measuring, and a
    /// pool refilling in their window would only add noise.
    /// </param>
    public static async Task<SubjectServer> StartAsync(int workerPoolSize = 0)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "pipelinehost-bench", Guid.NewGuid().ToString("N"));
        var app = PipelineHostApp.Build(new ServerOptions { Port = 0, ApiKeys = [ApiKey], DataDirectory = dataDirectory, WorkerPoolSize = workerPoolSize },
            builder => builder.Logging.ClearProviders()); // the real server's logging minus the console noise
        await app.StartAsync();
        return new SubjectServer(app, dataDirectory);
    }

    public async Task<MiniClient> ConnectAsync()
    {
        var client = new MiniClient(new ClientWebSocket());
        await client.Socket.ConnectAsync(WebSocketUri, CancellationToken.None);
        await client.RequestAsync("auth", new JsonObject { ["auth"] = ApiKey, ["clientName"] = "bench" });
        return client;
    }

    /// <summary>RocketRide's echo pipeline (webhook → response), with a fresh project id.</summary>
    public static JsonObject EchoExecuteArguments() => new()
    {
        ["pipeline"] = new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject
                {
                    ["id"] = "response_1",
                    ["provider"] = "response",
                    ["config"] = new JsonObject(),
                    ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
                }),
            ["source"] = "webhook_1",
            ["project_id"] = Guid.NewGuid().ToString(),
        },
        ["args"] = new JsonArray(),
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A sequential protocol client: one request at a time, events skipped. Keeps the raw bytes of the last response.</summary>
public sealed class MiniClient(ClientWebSocket socket) : IAsyncDisposable
{
    private readonly WebSocketFrameReceiver _receiver = new(socket, 64L * 1024 * 1024);
    private long _seq;

    public ClientWebSocket Socket { get; } = socket;

    public byte[] LastRawResponse { get; private set; } = [];

    public Task<ResponseMessage> RequestAsync(string command, JsonObject? arguments = null) =>
        RequestAsync(new RequestMessage(command) { Seq = ++_seq, Arguments = arguments });

    /// <summary>An <c>rrext_process</c> request carrying bytes (a binary frame).</summary>
    public Task<ResponseMessage> RequestWithDataAsync(JsonObject arguments, byte[] data) =>
        RequestAsync(new RequestMessage("rrext_process") { Seq = ++_seq, Arguments = arguments, Data = data });

    private async Task<ResponseMessage> RequestAsync(RequestMessage request)
    {
        var command = request.Command;
        var bytes = JsonMessageCodec.Instance.EncodeToArray(request, out var binary);
        await Socket.SendAsync(bytes, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, true, CancellationToken.None);
        while (true)
        {
            var frame = await _receiver.ReceiveAsync(CancellationToken.None) ?? throw new InvalidOperationException("socket closed");
            if (JsonMessageCodec.Instance.Decode(frame.Payload.Span, frame.Binary) is ResponseMessage response && response.RequestSeq == request.Seq)
            {
                if (!response.Success)
                    throw new InvalidOperationException($"{command} failed: {response.Message}");
                LastRawResponse = frame.Payload.ToArray();
                return response;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is WebSocketException or TimeoutException)
        {
        }

        Socket.Dispose();
    }
}
