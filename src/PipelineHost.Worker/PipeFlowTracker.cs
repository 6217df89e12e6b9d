using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Worker;

/// <summary>
/// Each pipe's component stack, as the reference keeps it for status <c>pipeflow.byPipe</c>: <c>begin</c> →
/// <c>[object name]</c>, entering a component pushes its id, leaving pops it, <c>end</c> → <c>[]</c>. The stacks
/// are always kept (a push and a pop per component call) and reported only when they changed; flow records
/// (<c>apaevt_flow</c>) are built only at a trace level above none, so a task without one pays nothing for them.
/// </summary>
internal sealed class PipeFlowTracker(FlowTraceLevel level, Action<FlowRecord> sendRecord)
{
    /// <summary>Largest serialised result an <c>end</c> record carries; a bigger one is summarised.</summary>
    internal const int MaxResultChars = 16 * 1024;

    /// <summary>Largest preview of an item entering a component, at <see cref="FlowTraceLevel.Full"/>.</summary>
    internal const int MaxPreviewChars = 256;

    private readonly Lock _lock = new();
    private readonly SortedDictionary<int, List<string>> _stacks = [];
    private bool _dirty;
    private long _version;

    /// <summary>An object started on <paramref name="pipe"/>; the returned flow hears its way through the components.</summary>
    public IObjectFlow Begin(int pipe, ObjectContext context)
    {
        string[]? stack;
        lock (_lock)
        {
            _stacks[pipe] = [context.Name];
            _dirty = true;
            stack = Snapshot(pipe);
        }

        Record(pipe, "begin", stack, () => new JsonObject
        {
            ["object"] = context.Name,
            ["objectId"] = context.ObjectId,
            ["mimeType"] = context.MimeType,
        });
        return new Flow(this, pipe);
    }

    /// <summary>The object on <paramref name="pipe"/> ended, failed when <paramref name="failure"/> is set.</summary>
    public void End(int pipe, ObjectContext context, string? failure)
    {
        string[]? stack;
        lock (_lock)
        {
            _stacks[pipe] = [];
            _dirty = true;
            stack = Snapshot(pipe);
        }

        Record(pipe, "end", stack, () =>
        {
            var trace = new JsonObject { ["object"] = context.Name, ["objectId"] = context.ObjectId };
            if (failure is not null)
            {
                trace["error"] = failure;
            }
            else if (level >= FlowTraceLevel.Summary)
            {
                trace["result"] = BoundedResult(context.Result);
            }

            return trace;
        });
    }

    /// <summary>The stacks as a <see cref="PipeFlow"/> message, or null when nothing changed since the last call.</summary>
    public PipeFlow? TakeIfChanged(bool force = false)
    {
        lock (_lock)
        {
            if (!_dirty && !force)
            {
                return null;
            }

            _dirty = false;
            var byPipe = _stacks.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)[.. p.Value]);
            return new PipeFlow(++_version, byPipe);
        }
    }

    private void Enter(int pipe, string componentId, string? lane, LanePayload? payload)
    {
        string[]? stack;
        lock (_lock)
        {
            if (_stacks.TryGetValue(pipe, out var list))
            {
                list.Add(componentId);
                _dirty = true;
            }

            stack = Snapshot(pipe);
        }

        Record(pipe, "enter", stack, () =>
        {
            var trace = new JsonObject { ["component"] = componentId };
            if (lane is not null)
            {
                trace["lane"] = lane;
            }

            if (level >= FlowTraceLevel.Full && payload is not null)
            {
                trace["data"] = Preview(payload);
            }

            return trace;
        });
    }

    private void Leave(int pipe, string componentId)
    {
        string[]? stack;
        lock (_lock)
        {
            if (_stacks.TryGetValue(pipe, out var list) && list.LastIndexOf(componentId) is var index and > 0)
            {
                list.RemoveAt(index);
                _dirty = true;
            }

            stack = Snapshot(pipe);
        }

        Record(pipe, "leave", stack, () => new JsonObject { ["component"] = componentId });
    }

    /// <summary>A copy of the stack for a record; null (and no copy) when no records are sent.</summary>
    private string[]? Snapshot(int pipe) =>
        level == FlowTraceLevel.None ? null : [.. _stacks[pipe]];

    private void Record(int pipe, string op, string[]? stack, Func<JsonObject> trace)
    {
        if (stack is null)
        {
            return;
        }

        sendRecord(new FlowRecord(pipe, op, stack, WorkerJson.Encode(trace())));
    }

    private static JsonNode BoundedResult(ObjectResult result)
    {
        var body = new JsonObject();
        result.WriteTo(body);
        var json = body.ToJsonString();
        if (json.Length <= MaxResultChars)
        {
            return body;
        }

        // Too big for a trace record: say what there was, not all of it.
        return new JsonObject
        {
            ["truncated"] = true,
            ["chars"] = json.Length,
            ["result_types"] = body["result_types"]?.DeepClone(),
        };
    }

    private static JsonNode? Preview(LanePayload payload)
    {
        switch (payload)
        {
            case TextPayload text:
                return JsonValue.Create(text.Text.Length > MaxPreviewChars ? text.Text[..MaxPreviewChars] : text.Text);
            case BytesPayload bytes:
                // Base64 of this many bytes is MaxPreviewChars characters.
                return JsonValue.Create(Convert.ToBase64String(bytes.Bytes.Span[..Math.Min(bytes.Bytes.Length, MaxPreviewChars / 4 * 3)]));
            default:
                // Structured items: their JSON, cut to a string of MaxPreviewChars when longer.
                var node = LanePayloadJson.ToJson(payload);
                var json = node?.ToJsonString() ?? "null";
                return json.Length <= MaxPreviewChars ? node : JsonValue.Create(json[..MaxPreviewChars]);
        }
    }

    private sealed class Flow(PipeFlowTracker tracker, int pipe) : IObjectFlow
    {
        public void Enter(string componentId, string? lane, LanePayload? payload) => tracker.Enter(pipe, componentId, lane, payload);

        public void Leave(string componentId) => tracker.Leave(pipe, componentId);
    }
}
