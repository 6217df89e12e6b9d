using PipelineHost.Engine.Callbacks;
using PipelineHost.Engine;
using PipelineHost.Engine.Metrics;

namespace PipelineHost.Server.Hosting;

/// <summary>Everything the host can be told at start. Defaults make <c>dotnet run</c> work with no setup.</summary>
public sealed record ServerOptions
{
    /// <summary>The port of the WebSocket and HTTP API (RocketRide's default).</summary>
    public int Port { get; init; } = 5565;

    /// <summary>The address to bind; loopback unless told otherwise.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Accepted API keys. Empty: a key is generated on first start and kept in the data folder.</summary>
    public IReadOnlyList<string> ApiKeys { get; init; } = [];

    /// <summary>Where the server keeps its state.</summary>
    public string DataDirectory { get; init; } = Path.GetFullPath(".pipelinehost");

    /// <summary>Largest WebSocket message accepted (250 MiB, as the RocketRide clients).</summary>
    public long MaxMessageSize { get; init; } = 250L * 1024 * 1024;

    /// <summary>
    /// Largest WebSocket message read before <c>auth</c> succeeds (<c>--preauth-max-message-bytes</c>, 64 KiB); a larger
    /// one closes the connection with 1009 (message too big) without being buffered.
    /// </summary>
    public long PreAuthMaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>
    /// Largest body of one HTTP data request (<c>POST /webhook</c>, <c>POST /task/data</c>), all multipart parts together
    /// (<c>--request-max-bytes</c>, 256 MiB); a larger one is answered 413.
    /// </summary>
    public long RequestMaxBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Most bytes of object results one HTTP data request's reply carries (<c>--reply-max-bytes</c>, 64 MiB); the
    /// results of further objects are replaced by a note.
    /// </summary>
    public long ReplyMaxBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Failed authentications from one address before each further attempt waits (<see cref="AuthBackoff"/>).</summary>
    public int AuthFailuresBeforeBackoff { get; init; } = 10;

    /// <summary>Unauthenticated sockets one IP address may hold at once.</summary>
    public int MaxUnauthenticatedPerIp { get; init; } = 10;

    /// <summary>Distinct IP addresses that may hold unauthenticated sockets at once.</summary>
    public int MaxUnauthenticatedIps { get; init; } = 10_000;

    /// <summary>Authentication attempts allowed over one socket's life.</summary>
    public int MaxAuthAttempts { get; init; } = 5;

    /// <summary>Requests one connection may have in flight; further frames wait (back-pressure).</summary>
    public int MaxInFlightPerConnection { get; init; } = 256;

    /// <summary>Events that may wait in one connection's send queue before it is dropped as hopelessly behind.</summary>
    public int MaxQueuedEvents { get; init; } = 4096;

    /// <summary>
    /// Events kept per task for clients that resume a subscription (<c>rrext_monitor sinceSeq</c>, SSE
    /// <c>Last-Event-ID</c>); the final status is kept besides. 0 keeps only the final status.
    /// </summary>
    public int EventJournalSize { get; init; } = 10_000;

    /// <summary>
    /// How often a task's changed status is published between its state changes (which go out at once): once a
    /// second, RocketRide's cadence. Shorter only for tests and benchmarks; no command-line option.
    /// </summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>WebSocket keep-alive ping interval.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long a missing pong is tolerated.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Folders a <c>filesys</c> source may read (<c>--allow-root</c>). Empty: none.</summary>
    public IReadOnlyList<string> AllowedRoots { get; init; } = [];

    /// <summary>Programs an <c>exec</c> component may run (<c>--allow-exec</c>). Empty: <c>exec</c> is refused.</summary>
    public IReadOnlyList<string> ExecAllowList { get; init; } = [];

    /// <summary>
    /// The components folder whose plug-ins the host and its workers load (<c>--components-dir</c>,
    /// <c>PIPELINEHOST_COMPONENTS_DIR</c>, or configuration <c>PipelineHost:ComponentsDir</c>); null: built-ins only.
    /// </summary>
    public string? ComponentsDirectory { get; init; }

    /// <summary>How long finished tasks stay queryable.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How long finished tasks stay in the task history (<c>--history-retention</c>, seconds).</summary>
    public TimeSpan HistoryRetention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Workers kept started and warmed up ahead of tasks (<c>--worker-pool-size</c>, or configuration
    /// <c>PipelineHost:WorkerPoolSize</c>); 0 turns the pool off. Null: <see cref="EngineOptions.DefaultWorkerPoolSize"/>.
    /// </summary>
    public int? WorkerPoolSize { get; init; }

    /// <summary>Time a stopping worker gets before it is killed.</summary>
    public TimeSpan StopGrace { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Largest input kept for one failed item (see <see cref="Engine.EngineOptions.FailedItemMaxBytes"/>).</summary>
    public long FailedItemMaxBytes { get; init; } = Pipelines.Runtime.WorkerStartSettings.DefaultFailedItemMaxBytes;

    /// <summary>Largest total input kept for one task's failed items.</summary>
    public long FailedTaskMaxBytes { get; init; } = Pipelines.Runtime.WorkerStartSettings.DefaultFailedTaskMaxBytes;

    /// <summary>Most a task's <c>writer</c> components may write in all (<c>--task-output-max-bytes</c>).</summary>
    public long TaskOutputMaxBytes { get; init; } = Pipelines.Components.OutputQuota.DefaultTaskMaxBytes;

    /// <summary>Most one object may make a <c>writer</c> write (<c>--object-output-max-bytes</c>).</summary>
    public long ObjectOutputMaxBytes { get; init; } = Pipelines.Components.OutputQuota.DefaultObjectMaxBytes;

    /// <summary>A data pipe with no activity this long is closed as failed (<c>--pipe-idle-timeout</c>, seconds).</summary>
    public TimeSpan PipeIdleTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>A worker silent this long while alive is killed (<c>--worker-heartbeat-timeout</c>, seconds).</summary>
    public TimeSpan WorkerHeartbeatTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Billing token rates: configuration section <c>PipelineHost:TokenRates</c>.</summary>
    public TokenRates TokenRates { get; init; } = new();

    /// <summary>
    /// Task-end callbacks (configuration <c>PipelineHost:Callbacks:*</c>): the signing key (generated and kept in
    /// the data folder when none is configured), retries, and whether private networks may be called.
    /// </summary>
    public CallbackOptions Callbacks { get; init; } = new();

    /// <summary>
    /// Tasks that may be active at once host-wide (<c>--max-concurrent-tasks</c>, <c>PIPELINEHOST_MAX_CONCURRENT_TASKS</c>,
    /// or configuration <c>PipelineHost:MaxConcurrentTasks</c>); the rest queue. Null: four per logical processor.
    /// </summary>
    public int? MaxConcurrentTasks { get; init; }

    /// <summary>
    /// Also write the log as compact JSON lines (Serilog's CLEF) to this file, for log shippers
    /// (<c>--log-json FILE</c>, <c>PIPELINEHOST_LOG_JSON</c>). Null: console only.
    /// </summary>
    public string? LogJsonFile { get; init; }

    /// <summary>
    /// The layered configuration (<c>appsettings.json</c>, environment, command line) whose <c>Serilog</c> section
    /// sets log levels and sinks (Serilog.Settings.Configuration). Null: the built-in defaults only.
    /// </summary>
    public IConfiguration? LoggingConfiguration { get; init; }

    /// <summary><c>GET /metrics</c> answers without the API key (<c>--metrics-public</c>, <c>PIPELINEHOST_METRICS_PUBLIC</c>).</summary>
    public bool MetricsPublic { get; init; }

    /// <summary>
    /// The request log and the metrics pipeline (OpenTelemetry, <c>GET /metrics</c>). Off only to measure what they
    /// cost (the benchmarks); no command-line option.
    /// </summary>
    public bool Telemetry { get; init; } = true;

    /// <summary>
    /// The cluster's PostgreSQL database as an Npgsql connection string (<c>--cluster</c>, <c>PIPELINEHOST_CLUSTER</c>;
    /// a <c>postgres://</c> URI is converted when read). Null: single-host mode, exactly as without cluster support.
    /// </summary>
    public string? ClusterConnectionString { get; init; }

    /// <summary>The cluster id (<c>--cluster-id</c>).</summary>
    public string ClusterId { get; init; } = PipelineHost.Cluster.ClusterHostOptions.DefaultClusterId;

    /// <summary>The address other hosts reach this one on (<c>--advertise</c>); null: chosen at start.</summary>
    public string? ClusterAdvertise { get; init; }

    /// <summary>The silo port (<c>--silo-port</c>).</summary>
    public int ClusterSiloPort { get; init; } = PipelineHost.Cluster.ClusterHostOptions.DefaultSiloPort;

    /// <summary>The Orleans gateway port (<c>--gateway-port</c>).</summary>
    public int ClusterGatewayPort { get; init; } = PipelineHost.Cluster.ClusterHostOptions.DefaultGatewayPort;

    /// <summary>The membership probe timeout (<c>--cluster-probe-timeout</c>).</summary>
    public TimeSpan ClusterProbeTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The cluster settings, or null in single-host mode.</summary>
    public PipelineHost.Cluster.ClusterHostOptions? Cluster => ClusterConnectionString is { } connection
        ? new()
        {
            ConnectionString = connection,
            ClusterId = ClusterId,
            AdvertiseAddress = ClusterAdvertise,
            SiloPort = ClusterSiloPort,
            GatewayPort = ClusterGatewayPort,
            ProbeTimeout = ClusterProbeTimeout,
        }
        : null;

    /// <summary>The URL the server listens on.</summary>
    public string Url => $"http://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";
}
