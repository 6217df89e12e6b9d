using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using PipelineHost.Benchmarks.Baselines;
using PipelineHost.Protocol;
using PipelineHost.Protocol.Framing;
using PipelineHost.Protocol.Json;
using PipelineHost.Engine;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Connections;
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

    /// <summary>The server's data folder (the history scenario fills its database).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>The server's task manager (the launch scenario waits for its worker pool to be full).</summary>
    public TaskManager Tasks => _app.Services.GetRequiredService<TaskManager>();

    /// <summary>Watches every task event before the server's own observers see it (state-change stamps).</summary>
    public StateChangeStamps Stamps => _app.Services.GetRequiredService<StateChangeStamps>();

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts the real server; <paramref name="options"/> and <paramref name="engine"/> adjust its settings. No worker
    /// pool unless asked: scenarios other than launch start no workers while measuring, and a pool refilling in their
    /// window would only add noise.
    /// </summary>
    public static async Task<SubjectServer> StartAsync(Func<ServerOptions, ServerOptions>? options = null, Func<EngineOptions, EngineOptions>? engine = null)
    {
        var dataDirectory = Path.Combine(Path.GetTempPath(), "pipelinehost-bench", Guid.NewGuid().ToString("N"));
        // Warnings and errors only: the routine Information lines (a task created, a connection opened) would be console noise.
        var quiet = new ConfigurationBuilder().AddInMemoryCollection([KeyValuePair.Create("Serilog:MinimumLevel:Default", (string?)"Warning")]).Build();
        var serverOptions = new ServerOptions { Port = 0, ApiKeys = [ApiKey], DataDirectory = dataDirectory, WorkerPoolSize = 0, LoggingConfiguration = quiet };
        var app = PipelineHostApp.Build(options?.Invoke(serverOptions) ?? serverOptions, builder =>
        {
            if (engine is not null)
            {
                var descriptor = builder.Services.Single(d => d.ServiceType == typeof(EngineOptions));
                builder.Services.Remove(descriptor);
                builder.Services.AddSingleton(engine((EngineOptions)descriptor.ImplementationInstance!));
            }

            // First in line, so a stamp is taken before the event hub publishes the change.
            var stamps = new StateChangeStamps();
            builder.Services.AddSingleton(stamps);
            builder.Services.Insert(0, ServiceDescriptor.Singleton<ITaskObserver>(stamps));
        });
        await app.StartAsync();
        return new SubjectServer(app, dataDirectory);
    }

    /// <summary>Starts <paramref name="count"/> echo tasks (sequentially: each answers once RUNNING); answers their tokens.</summary>
    public async Task<List<string>> StartEchoTasksAsync(MiniClient client, int count, int threads = 1)
    {
        var tokens = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var arguments = EchoExecuteArguments();
            arguments["threads"] = threads;
            tokens.Add((await client.RequestAsync("execute", arguments)).Body!["token"]!.GetValue<string>());
        }

        return tokens;
    }

    /// <summary>GET /status's event counts.</summary>
    public EventDeliveryStats EventStats => _app.Services.GetRequiredService<ConnectionRegistry>().Stats;

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

    /// <summary>Sends <paramref name="request"/> as it is and waits for its successful answer.</summary>
    public async Task<ResponseMessage> RequestAsync(RequestMessage request)
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

/// <summary>Monotonic stamps (Stopwatch ticks, comparable across processes on Linux) of state changes, by project id and state.</summary>
public sealed class StateChangeStamps : ITaskObserver
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(string ProjectId, int State), long> _stamps = new();

    public void OnTaskEvent(TaskEvent taskEvent)
    {
        if (taskEvent is TaskStatusChanged { StateChanged: true } change)
            _stamps.TryAdd((change.Task.Identity.ProjectId, (int)change.Task.State), System.Diagnostics.Stopwatch.GetTimestamp());
    }

    public bool TryGet(string projectId, int state, out long stamp) => _stamps.TryGetValue((projectId, state), out stamp);
}

