using System.Globalization;
using System.Text;

namespace PipelineHost.Server.Hosting;

/// <summary>
/// Every server option, once: its command-line name, from which its environment variable and configuration key are
/// derived (<c>--max-concurrent-tasks</c>, <c>PIPELINEHOST_MAX_CONCURRENT_TASKS</c>,
/// <c>PipelineHost:MaxConcurrentTasks</c>), its default and meaning for the documentation, and how its value is read.
/// Adding an option is one line in <see cref="All"/>; <see cref="ServerOptionsParser"/> and the README table follow.
/// </summary>
public static class ServerOptionTable
{
    /// <summary>The options, in the order the README lists them.</summary>
    public static IReadOnlyList<ServerOption> All { get; } =
    [
        ServerOption.Int("port", 0, 65535, "`5565`", "the port of the WebSocket and HTTP API", (o, v) => o with { Port = v }),
        ServerOption.Text("host", "`127.0.0.1`", "the address to bind", (o, v) => o with { Host = v }),
        ServerOption.List("api-key", "generated on first start", "API keys accepted (repeatable, or comma-separated)", (o, v) => o with { ApiKeys = v }),
        ServerOption.Path("data-dir", "`./.pipelinehost`", "where the server keeps its state", (o, v) => o with { DataDirectory = v }),
        ServerOption.PathList("allow-root", "none", "folders a `filesys` source may read (repeatable)", (o, v) => o with { AllowedRoots = v }),
        ServerOption.PathList("allow-exec", "none", "programs an `exec` component may run (repeatable)", (o, v) => o with { ExecAllowList = v }),
        ServerOption.Seconds("retention", "`3600`", "how long finished tasks stay in memory", (o, v) => o with { Retention = v }),
        ServerOption.Seconds("stop-grace", "`5`", "how long a stopping worker gets before it is killed", (o, v) => o with { StopGrace = v }),
        ServerOption.Bytes("failed-item-max-bytes", "`16777216` (16 MiB)", "the most input kept for one failed item, and buffered to replay a data-path object on a retry", (o, v) => o with { FailedItemMaxBytes = v }),
        ServerOption.Bytes("failed-task-max-bytes", "`268435456` (256 MiB)", "the most input kept for all of one task's failed items", (o, v) => o with { FailedTaskMaxBytes = v }),
        ServerOption.Bytes("task-output-max-bytes", "`1073741824` (1 GiB)", "the most a task's writer components may write in all; past it an object fails with a clear message", (o, v) => o with { TaskOutputMaxBytes = v }),
        ServerOption.Bytes("object-output-max-bytes", "`268435456` (256 MiB)", "the most a writer component may write for one object", (o, v) => o with { ObjectOutputMaxBytes = v }),
        ServerOption.Int("worker-pool-size", 0, ServerOptionsParser.MaxWorkerPoolSize, "`2`", "workers kept started and warm ahead of tasks, each used by one task only; `0` starts every task's worker when the task starts ([protocol-spec/tasks.md §6](protocol-spec/tasks.md#6-worker-channel-internal))", (o, v) => o with { WorkerPoolSize = v }),
        ServerOption.Path("components-dir", "none", "folder of component plug-ins to load ([protocol-spec/plugins.md](protocol-spec/plugins.md))", (o, v) => o with { ComponentsDirectory = v }),
        ServerOption.Seconds("history-retention", "`604800` (7 days)", "how long finished tasks stay in the task history", (o, v) => o with { HistoryRetention = v }),
        ServerOption.PositiveSeconds("pipe-idle-timeout", "`60`", "a data pipe idle this long is closed as failed", (o, v) => o with { PipeIdleTimeout = v }),
        ServerOption.PositiveSeconds("worker-heartbeat-timeout", "`10`", "a task's worker that sends nothing on its channel this long while its process lives (frozen, deadlocked) is killed; the task ends CANCELLED with exitReason `unresponsive` ([protocol-spec/worker-ipc.md](protocol-spec/worker-ipc.md#5-liveness))", (o, v) => o with { WorkerHeartbeatTimeout = v }),
        ServerOption.PositiveBytes("preauth-max-message-bytes", "`65536`", "the largest WebSocket message read before `auth` succeeds; a larger one closes the socket (1009)", (o, v) => o with { PreAuthMaxMessageBytes = v }),
        ServerOption.PositiveBytes("request-max-bytes", "`268435456` (256 MiB)", "the largest HTTP data request (`/task/data`, `/webhook`), all parts together (413)", (o, v) => o with { RequestMaxBytes = v }),
        ServerOption.PositiveBytes("reply-max-bytes", "`67108864` (64 MiB)", "the most object results one HTTP data reply carries; further results are replaced by a note", (o, v) => o with { ReplyMaxBytes = v }),
        ServerOption.FilePath("log-json", "none", "also write the log to this file as compact JSON lines, for log shippers", (o, v) => o with { LogJsonFile = v }),
        ServerOption.Bool("metrics-public", "`false`", "`GET /metrics` answers without the API key (`--metrics-public` alone means true)", (o, v) => o with { MetricsPublic = v }),
        ServerOption.Int("max-concurrent-tasks", 1, int.MaxValue, "logical processors × 4", "tasks running at once; the rest queue ([tasks.md §2.1](protocol-spec/tasks.md))", (o, v) => o with { MaxConcurrentTasks = v }),
        ServerOption.Secret("cluster", "CONNECTION", "an Npgsql connection string (Host=...;Database=...) or a postgres://user:pw@host:port/db URI", "none: one host, SQLite", "join the cluster whose PostgreSQL database this is ([Run a cluster](#run-a-cluster), [protocol-spec/cluster.md](protocol-spec/cluster.md))", v => Cluster.ClusterConnectionString.Normalize(v, out _), (o, v) => o with { ClusterConnectionString = v }),
        ServerOption.Text("cluster-id", "`pipelinehost`", "hosts with the same id and database form one cluster", (o, v) => o with { ClusterId = v }),
        ServerOption.Text("advertise", "`--host`, else the machine's first IPv4 address", "the address other hosts of the cluster reach this one on", (o, v) => o with { ClusterAdvertise = v }),
        ServerOption.Int("silo-port", 1, 65535, "`11111`", "the port the hosts of a cluster talk to each other on", (o, v) => o with { ClusterSiloPort = v }),
        ServerOption.Int("gateway-port", 1, 65535, "`30000`", "the cluster's Orleans gateway port (for Orleans clients)", (o, v) => o with { ClusterGatewayPort = v }),
        ServerOption.PositiveSeconds("cluster-probe-timeout", "`1`", "a host that misses 3 probes of this long is declared dead (its running tasks end `lost`)", (o, v) => o with { ClusterProbeTimeout = v }),
        ServerOption.Int("event-journal-size", 0, int.MaxValue, "`10000`", "events kept per task (and its final status always) for clients that resume with `sinceSeq` or `Last-Event-ID`; older ones are reported as a `gap` ([tasks.md §5](protocol-spec/tasks.md#5-events))", (o, v) => o with { EventJournalSize = v }),
    ];

    /// <summary>The option named <paramref name="name"/> (without <c>--</c>), or null.</summary>
    public static ServerOption? Find(string name) =>
        All.FirstOrDefault(o => string.Equals(o.Name, name, StringComparison.Ordinal));

    /// <summary>The README's options table, generated from <see cref="All"/> (a test keeps the README equal to it).</summary>
    public static string Markdown()
    {
        var table = new StringBuilder()
            .Append("| command line | environment | appsettings.json | default: meaning |\n")
            .Append("|---|---|---|---|\n");
        foreach (var option in All)
        {
            table.Append(CultureInfo.InvariantCulture, $"| `--{option.Name} {option.Placeholder}` | `{option.EnvironmentVariable}` | `{option.ConfigurationKey}` | {option.Default}: {option.Description} |\n");
        }

        return table.ToString();
    }
}

/// <summary>One server option: its names in the three sources, its documentation and how its text value is applied.</summary>
public sealed record ServerOption
{
    private const string ConfigurationSection = "PipelineHost";

    private ServerOption(string name, string placeholder, string rule, string @default, string description, bool isList, Func<ServerOptions, string, ServerOptions?> apply)
    {
        Name = name;
        Placeholder = placeholder;
        Rule = rule;
        Default = @default;
        Description = description;
        IsList = isList;
        TryApply = apply;
        EnvironmentVariable = "PIPELINEHOST_" + name.Replace('-', '_').ToUpperInvariant();
        ConfigurationKey = ConfigurationSection + ":" + string.Concat(name.Split('-').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
    }

    /// <summary>The command-line name without <c>--</c> (<c>max-concurrent-tasks</c>).</summary>
    public string Name { get; }

    /// <summary>The environment variable (<c>PIPELINEHOST_MAX_CONCURRENT_TASKS</c>).</summary>
    public string EnvironmentVariable { get; }

    /// <summary>The configuration key (<c>PipelineHost:MaxConcurrentTasks</c>; <c>PipelineHost__MaxConcurrentTasks</c> as a variable).</summary>
    public string ConfigurationKey { get; }

    /// <summary>What the value looks like (<c>N</c>, <c>SECONDS</c>...).</summary>
    public string Placeholder { get; }

    /// <summary>What a good value is, for the error message (<c>a whole number from 0 to 65535</c>).</summary>
    public string Rule { get; }

    /// <summary>The default, as documented.</summary>
    public string Default { get; }

    /// <summary>What the option does, as documented.</summary>
    public string Description { get; }

    /// <summary>True when the option takes several values: repeated on the command line, comma-separated, or a JSON array.</summary>
    public bool IsList { get; }

    /// <summary>Applies a text value; null when it is not a good value.</summary>
    internal Func<ServerOptions, string, ServerOptions?> TryApply { get; }

    internal static ServerOption Int(string name, int min, int max, string @default, string description, Func<ServerOptions, int, ServerOptions> set) =>
        new(name, "N", max == int.MaxValue ? $"a whole number of at least {min}" : $"a whole number from {min} to {max}", @default, description, false, (o, v) =>
            int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max ? set(o, n) : null);

    internal static ServerOption Bytes(string name, string @default, string description, Func<ServerOptions, long, ServerOptions> set) =>
        new(name, "N", "a number of bytes", @default, description, false, (o, v) =>
            long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? set(o, n) : null);

    internal static ServerOption PositiveBytes(string name, string @default, string description, Func<ServerOptions, long, ServerOptions> set) =>
        new(name, "N", "a number of bytes greater than 0", @default, description, false, (o, v) =>
            long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? set(o, n) : null);

    internal static ServerOption Seconds(string name, string @default, string description, Func<ServerOptions, TimeSpan, ServerOptions> set) =>
        new(name, "SECONDS", "a number of seconds", @default, description, false, (o, v) =>
            ParseSeconds(v) is { } s && s >= 0 ? set(o, TimeSpan.FromSeconds(s)) : null);

    internal static ServerOption PositiveSeconds(string name, string @default, string description, Func<ServerOptions, TimeSpan, ServerOptions> set) =>
        new(name, "SECONDS", "a number of seconds greater than 0", @default, description, false, (o, v) =>
            ParseSeconds(v) is { } s && s > 0 ? set(o, TimeSpan.FromSeconds(s)) : null);

    internal static ServerOption Bool(string name, string @default, string description, Func<ServerOptions, bool, ServerOptions> set) =>
        new(name, "true/false", "true or false", @default, description, false, (o, v) =>
            bool.TryParse(v, out var b) ? set(o, b) : v is "1" or "0" ? set(o, v == "1") : null)
        {
            IsFlag = true,
        };

    /// <summary>True for a boolean option, which may stand alone on the command line, meaning true.</summary>
    public bool IsFlag { get; private init; }

    internal static ServerOption Text(string name, string @default, string description, Func<ServerOptions, string, ServerOptions> set) =>
        new(name, "TEXT", "not empty", @default, description, false, (o, v) => v.Length > 0 ? set(o, v) : null);

    /// <summary>A value that may hold a password: converted by <paramref name="convert"/> (null: bad) and never echoed in an error.</summary>
    internal static ServerOption Secret(string name, string placeholder, string rule, string @default, string description, Func<string, string?> convert, Func<ServerOptions, string, ServerOptions> set) =>
        new(name, placeholder, rule, @default, description, false, (o, v) => convert(v) is { } converted ? set(o, converted) : null)
        {
            IsSecret = true,
        };

    /// <summary>True when the value may hold a password: error messages do not repeat it.</summary>
    public bool IsSecret { get; private init; }

    internal static ServerOption Path(string name, string @default, string description, Func<ServerOptions, string, ServerOptions> set) =>
        new(name, "DIR", "a path", @default, description, false, (o, v) => v.Length > 0 ? set(o, System.IO.Path.GetFullPath(v)) : null);

    internal static ServerOption FilePath(string name, string @default, string description, Func<ServerOptions, string, ServerOptions> set) =>
        new(name, "FILE", "a path", @default, description, false, (o, v) => v.Length > 0 ? set(o, System.IO.Path.GetFullPath(v)) : null);

    internal static ServerOption List(string name, string @default, string description, Func<ServerOptions, IReadOnlyList<string>, ServerOptions> set) =>
        new(name, "VALUE", "a comma-separated list", @default, description, true, (o, v) => set(o, Split(v)));

    internal static ServerOption PathList(string name, string @default, string description, Func<ServerOptions, IReadOnlyList<string>, ServerOptions> set) =>
        new(name, "PATH", "a comma-separated list of paths", @default, description, true, (o, v) => set(o, Split(v).Select(System.IO.Path.GetFullPath).ToList()));

    private static double? ParseSeconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) ? seconds : null;

    private static List<string> Split(string value) =>
        [.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
