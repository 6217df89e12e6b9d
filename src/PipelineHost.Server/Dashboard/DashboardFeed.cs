using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using PipelineHost.Engine;
using PipelineHost.Engine.Security;
using PipelineHost.Engine.Tasks;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Server.Dashboard;

/// <summary>
/// The dashboard's one live feed: an overview snapshot per user, built on the server at most once per
/// <see cref="Interval"/> and only while something changed and someone watches, then pushed to every open
/// dashboard of that user. An idle server with a dashboard open does nothing but a cheap timer tick.
/// </summary>
public sealed class DashboardFeed : IDisposable
{
    /// <summary>How often a changed overview is sent at most.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const int RecentFailures = 10;
    private const int RunningListed = 50;
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);

    private readonly TaskManager _tasks;
    private readonly EngineOptions _engine;
    private readonly ServerInfo _info;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, Watcher> _watchers = new();
    private readonly ITimer _timer;
    private readonly DashboardChanges _changes;
    private long _sentAt;
    private long _nextWatcher;

    /// <summary>Creates the feed; it ticks every <see cref="Interval"/>.</summary>
    public DashboardFeed(TaskManager tasks, DashboardChanges changes, EngineOptions engine, ServerInfo info, TimeProvider time)
    {
        _changes = changes;
        _tasks = tasks;
        _engine = engine;
        _info = info;
        _time = time;
        _timer = time.CreateTimer(_ => Tick(), null, Interval, Interval);
    }

    /// <summary>
    /// Starts watching for <paramref name="caller"/>: the reader gets the current snapshot at once, then each
    /// changed one. Only the newest unread snapshot is kept: a slow reader skips, it never queues.
    /// </summary>
    public (ChannelReader<string> Reader, IDisposable Subscription) Watch(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var channel = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var id = Interlocked.Increment(ref _nextWatcher);
        var watcher = new Watcher(caller, channel.Writer);
        _watchers[id] = watcher;
        channel.Writer.TryWrite(Snapshot(caller.UserId).ToJsonString());
        return (channel.Reader, new Unsubscribe(() =>
        {
            _watchers.TryRemove(id, out _);
            channel.Writer.TryComplete();
        }));
    }

    /// <summary>The overview of <paramref name="userId"/>'s tasks as it is now.</summary>
    public JsonObject Snapshot(string userId)
    {
        var now = _time.GetUtcNow();
        var nowSeconds = now.ToUnixTimeMilliseconds() / 1000.0;
        var since = nowSeconds - Window.TotalSeconds;
        var counts = Enum.GetValues<TaskState>().ToDictionary(s => s, _ => 0);
        double cpu = 0, memory = 0, tokens = 0, rate = 0;
        long completed = 0, failed = 0;
        var running = new List<JsonObject>();
        var failures = new List<(double At, JsonObject Entry)>();
        foreach (var task in _tasks.Tasks.Where(t => t.Identity.UserId == userId))
        {
            var status = task.Status();
            var state = (TaskState)Int(status["state"]);
            var endTime = Number(status["endTime"]);
            counts[state]++;
            if (!state.IsTerminal())
            {
                cpu += Number(status["metrics"]?["cpu_percent"]);
                memory += Number(status["metrics"]?["cpu_memory_mb"]);
                rate += Number(status["rateCount"]) / 100;
                if (running.Count < RunningListed)
                {
                    running.Add(Brief(task, status));
                }
            }

            if (!state.IsTerminal() || endTime >= since)
            {
                completed += Int(status["completedCount"]);
                failed += Int(status["failedCount"]);
                tokens += Number(status["tokens"]?["total"]);
            }

            if (state == TaskState.Cancelled && status["exitReason"]?.GetValue<string>() is "failed" or "timeout" or "expired" && endTime >= since)
            {
                failures.Add((endTime, Brief(task, status)));
            }
        }

        var queue = _tasks.QueueStats;
        var host = new JsonObject
        {
            ["name"] = Environment.MachineName,
            ["local"] = true,
            ["processors"] = Environment.ProcessorCount,
            ["slots"] = _engine.MaxConcurrentTasks,
            ["activeWorkers"] = queue.Active,
            ["freeSlots"] = Math.Max(0, _engine.MaxConcurrentTasks - queue.Active),
            ["queueDepth"] = queue.QueueDepth,
        };
        return new JsonObject
        {
            ["at"] = nowSeconds,
            ["version"] = _info.Version,
            ["uptime"] = (long)(now - _info.StartedAt).TotalSeconds,
            ["mode"] = "single",
            ["hosts"] = new JsonArray(host),
            ["states"] = new JsonObject(counts.Select(c => KeyValuePair.Create(c.Key.ToString().ToUpperInvariant(), (JsonNode?)c.Value))),
            ["queueDepth"] = queue.QueueDepth,
            ["activeWorkers"] = queue.Active,
            ["freeSlots"] = host["freeSlots"]!.GetValue<int>(),
            ["throughput"] = new JsonObject
            {
                ["objectsPerSecond"] = Math.Round(rate, 2),
                ["lastHourObjects"] = completed + failed,
                ["lastHourPerSecond"] = Math.Round((completed + failed) / Window.TotalSeconds, 3),
                ["lastHourFailureRate"] = completed + failed == 0 ? 0 : Math.Round((double)failed / (completed + failed), 4),
            },
            ["resources"] = new JsonObject
            {
                ["cpuPercent"] = Math.Round(cpu, 1),
                ["memoryMb"] = Math.Round(memory, 1),
                ["lastHourTokens"] = Math.Round(tokens, 1),
            },
            ["recentFailures"] = new JsonArray(failures.OrderByDescending(f => f.At).Take(RecentFailures).Select(f => (JsonNode)f.Entry).ToArray()),
            ["running"] = new JsonArray(running.Select(r => (JsonNode)r).ToArray()),
        };
    }

    private static JsonObject Brief(PipelineTask task, JsonObject status) => new()
    {
        ["token"] = task.Token,
        ["id"] = task.Id,
        ["name"] = task.Identity.Name,
        ["projectId"] = task.Identity.ProjectId,
        ["source"] = task.Identity.Source,
        ["state"] = status["state"]?.DeepClone(),
        ["statusName"] = status["statusName"]?.DeepClone(),
        ["status"] = status["status"]?.DeepClone(),
        ["startTime"] = status["startTime"]?.DeepClone(),
        ["endTime"] = status["endTime"]?.DeepClone(),
        ["completedCount"] = status["completedCount"]?.DeepClone(),
        ["failedCount"] = status["failedCount"]?.DeepClone(),
        ["rateCount"] = status["rateCount"]?.DeepClone(),
        ["cpuPercent"] = status["metrics"]?["cpu_percent"]?.DeepClone(),
        ["memoryMb"] = status["metrics"]?["cpu_memory_mb"]?.DeepClone(),
        ["tokens"] = status["tokens"]?["total"]?.DeepClone(),
        ["exitMessage"] = status["exitMessage"]?.DeepClone(),
    };

    private void Tick()
    {
        var changes = _changes.Count;
        if (_watchers.IsEmpty || changes == Interlocked.Read(ref _sentAt))
        {
            return;
        }

        Interlocked.Exchange(ref _sentAt, changes);
        foreach (var group in _watchers.Values.GroupBy(w => w.Caller.UserId))
        {
            var text = Snapshot(group.Key).ToJsonString();
            foreach (var watcher in group)
            {
                watcher.Writer.TryWrite(text);
            }
        }
    }

    // A status built in memory holds ints, longs and doubles alike: read any of them as a double.
    private static double Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            ? double.Parse(v.ToJsonString(), System.Globalization.CultureInfo.InvariantCulture)
            : 0;

    private static int Int(JsonNode? node) => (int)Number(node);

    /// <inheritdoc />
    public void Dispose()
    {
        _timer.Dispose();
        foreach (var watcher in _watchers.Values)
        {
            watcher.Writer.TryComplete();
        }
    }

    private sealed record Watcher(Caller Caller, ChannelWriter<string> Writer);

    private sealed class Unsubscribe(Action action) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                action();
            }
        }
    }
}
