using System.Globalization;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Engine.Workers;

/// <summary>
/// The worker's typed figures in the JSON shapes the task's status and events keep them in (the names the
/// RocketRide status and <c>apaevt_*</c> events use).
/// </summary>
internal static class WorkerFigures
{
    /// <summary>The <c>apaevt_status_counts</c> body, with <c>version</c> (and <c>sourceTotal</c> when known).</summary>
    public static JsonObject ToJson(Counters counts)
    {
        var json = new JsonObject
        {
            ["version"] = counts.Version,
            ["totalSize"] = counts.TotalSize,
            ["totalCount"] = counts.TotalCount,
            ["completedSize"] = counts.CompletedSize,
            ["completedCount"] = counts.CompletedCount,
            ["failedSize"] = counts.FailedSize,
            ["failedCount"] = counts.FailedCount,
            ["wordsSize"] = counts.WordsSize,
            ["wordsCount"] = counts.WordsCount,
            ["rateSize"] = counts.RateSize,
            ["rateCount"] = counts.RateCount,
            ["retried"] = counts.Retries.Retried,
            ["nextProcessAt"] = counts.Retries.NextProcessAt,
            ["lastError"] = counts.Retries.LastError,
            ["lastErrorAt"] = counts.Retries.LastErrorAt,
            ["failedItems"] = counts.Retries.FailedItems,
        };
        if (counts.SourceTotal is { } total)
        {
            json[WorkerProtocol.SourceTotalCounter] = total;
        }

        return json;
    }

    /// <summary><c>{version, byPipe:{"&lt;pipe&gt;":[stack]}}</c>, pipes in order.</summary>
    public static JsonObject ToJson(PipeFlow pipeflow)
    {
        var byPipe = new JsonObject();
        foreach (var (pipe, stack) in pipeflow.ByPipe.OrderBy(p => p.Key))
        {
            byPipe[pipe.ToString(CultureInfo.InvariantCulture)] = Strings(stack);
        }

        return new JsonObject { ["version"] = pipeflow.Version, ["byPipe"] = byPipe };
    }

    /// <summary>The <c>apaevt_flow</c> record <c>{id, op, pipes, trace}</c>.</summary>
    /// <exception cref="WorkerProtocolException">The trace is not a JSON object.</exception>
    public static JsonObject ToJson(FlowRecord record) => new()
    {
        ["id"] = record.PipeId,
        ["op"] = record.Op,
        ["pipes"] = Strings(record.Pipes),
        ["trace"] = WorkerJson.ParseObject(record.Trace, "trace"),
    };

    /// <summary>The <c>apaevt_sse</c> body <c>{pipe_id, type, data?}</c>.</summary>
    /// <exception cref="WorkerProtocolException">The data is not JSON.</exception>
    public static JsonObject ToJson(SseMessage sse)
    {
        var body = new JsonObject { ["pipe_id"] = sse.PipeId, ["type"] = sse.Type };
        if (sse.Data is { } data)
        {
            body["data"] = WorkerJson.Parse(data, "data");
        }

        return body;
    }

    private static JsonArray Strings(IReadOnlyList<string> values) => new([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
}
