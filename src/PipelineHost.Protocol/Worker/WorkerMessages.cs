using MessagePack;

namespace PipelineHost.Protocol.Worker;

// The host <-> worker channel's messages (protocol-spec/worker-ipc.md). Each travels as a MessagePack union:
// a two-element array [type code, [fields in key order]]. Codes and keys are the contract: never reuse one.

/// <summary>Any message of the host ↔ worker channel.</summary>
[Union(0, typeof(StartTask))]
[Union(1, typeof(WarmUp))]
[Union(2, typeof(OpenPipe))]
[Union(3, typeof(WritePipe))]
[Union(4, typeof(ClosePipe))]
[Union(5, typeof(StopWorker))]
[Union(20, typeof(Done))]
[Union(21, typeof(PipeOpened))]
[Union(22, typeof(PipeClosed))]
[Union(23, typeof(RequestFailed))]
[Union(30, typeof(ServiceState))]
[Union(31, typeof(Counters))]
[Union(32, typeof(PipeFlow))]
[Union(33, typeof(ObjectStarted))]
[Union(34, typeof(WorkerWarning))]
[Union(35, typeof(ObjectError))]
[Union(36, typeof(FileWritten))]
[Union(37, typeof(Usage))]
[Union(38, typeof(FlowRecord))]
[Union(39, typeof(SseMessage))]
[Union(40, typeof(WorkerLog))]
[Union(41, typeof(Heartbeat))]
[Union(42, typeof(Exiting))]
public abstract record WorkerMessage;

/// <summary>A host → worker request: answered by exactly one <see cref="WorkerReply"/> with its <see cref="Seq"/>
/// (a <see cref="WritePipe"/> with <c>Answer</c> false excepted).</summary>
public abstract record WorkerRequest : WorkerMessage
{
    /// <summary>The host's request number, unique per channel, echoed by the reply.</summary>
    [IgnoreMember]
    public abstract long Seq { get; init; }
}

/// <summary>A worker → host answer to the request numbered <see cref="Seq"/>.</summary>
public abstract record WorkerReply : WorkerMessage
{
    /// <summary>The <see cref="WorkerRequest.Seq"/> this answers.</summary>
    [IgnoreMember]
    public abstract long Seq { get; init; }
}

/// <summary>A worker → host message that answers nothing: figures, notes and liveness.</summary>
public abstract record WorkerEvent : WorkerMessage;

// ---- host → worker -------------------------------------------------------------------------------------------

/// <summary>Builds the task's pipeline; answered (<see cref="Done"/>) once it is built.</summary>
[MessagePackObject]
public sealed record StartTask([property: Key(0)] long Seq, [property: Key(1)] StartSettings Settings) : WorkerRequest;

/// <summary>What a worker needs to run its task.</summary>
/// <param name="Pipeline">The flat pipeline with placeholders resolved, as UTF-8 JSON. Never logged.</param>
/// <param name="Source">The source component id.</param>
/// <param name="Threads">How many objects may be open at once (pipe ids are 0..Threads-1).</param>
/// <param name="Environment">Host settings components depend on.</param>
/// <param name="ComponentsDirectory">The plug-in folder; null: built-ins only.</param>
/// <param name="TraceLevel">Which <see cref="FlowRecord"/>s to send: none, summary or full.</param>
/// <param name="Retry">The task's retry policy as UTF-8 JSON; null: none.</param>
/// <param name="FailedDirectory">Where failed items are kept; null: not kept.</param>
/// <param name="FailedItemMaxBytes">Largest input kept per failed item.</param>
/// <param name="FailedTaskMaxBytes">Largest input kept for all failed items.</param>
/// <param name="TraceParent">The task span's W3C traceparent; null: not traced.</param>
/// <param name="ProcessEnvironment">The task's environment variables, for a worker started before its task; null: keep the worker's own. Never logged.</param>
/// <param name="HeartbeatIntervalMs">How often the worker sends a <see cref="Heartbeat"/>; 0: never.</param>
[MessagePackObject]
public sealed record StartSettings(
    [property: Key(0)] byte[] Pipeline,
    [property: Key(1)] string Source,
    [property: Key(2)] int Threads,
    [property: Key(3)] ComponentSettings Environment,
    [property: Key(4)] string? ComponentsDirectory,
    [property: Key(5)] string? TraceLevel,
    [property: Key(6)] byte[]? Retry,
    [property: Key(7)] string? FailedDirectory,
    [property: Key(8)] long FailedItemMaxBytes,
    [property: Key(9)] long FailedTaskMaxBytes,
    [property: Key(10)] string? TraceParent,
    [property: Key(11)] IReadOnlyDictionary<string, string>? ProcessEnvironment,
    [property: Key(12)] int HeartbeatIntervalMs);

/// <summary>The host settings components depend on.</summary>
[MessagePackObject]
public sealed record ComponentSettings(
    [property: Key(0)] IReadOnlyList<string> AllowedRoots,
    [property: Key(1)] IReadOnlyList<string> ExecAllowList,
    [property: Key(2)] string OutputDirectory,
    [property: Key(3)] string? RetryInputDirectory,
    [property: Key(4)] long OutputTaskMaxBytes,
    [property: Key(5)] long OutputObjectMaxBytes);

/// <summary>Sent to a worker started before its task: load and run the start path once on a throwaway pipeline.</summary>
[MessagePackObject]
public sealed record WarmUp([property: Key(0)] long Seq) : WorkerRequest;

/// <summary>Opens a pipe for one object; answered by <see cref="PipeOpened"/>.</summary>
/// <param name="Seq">The request number.</param>
/// <param name="Object">The client's object description (<c>name</c>, <c>size</c>, metadata) as UTF-8 JSON.</param>
/// <param name="MimeType">The object's type as the client gave it; null: application/octet-stream.</param>
/// <param name="TraceParent">The object span's W3C traceparent; null: not traced.</param>
[MessagePackObject]
public sealed record OpenPipe([property: Key(0)] long Seq, [property: Key(1)] byte[] Object, [property: Key(2)] string? MimeType, [property: Key(3)] string? TraceParent) : WorkerRequest;

/// <summary>A chunk of a pipe's object. Only when <paramref name="Answer"/> is true does the worker reply; a failure
/// of an unanswered write is reported by the pipe's next answered write or its close.</summary>
[MessagePackObject]
public sealed record WritePipe([property: Key(0)] long Seq, [property: Key(1)] int PipeId, [property: Key(2)] bool Answer, [property: Key(3)] ReadOnlyMemory<byte> Data) : WorkerRequest;

/// <summary>Ends a pipe's object; answered by <see cref="PipeClosed"/>. With <paramref name="Fail"/> the host gave
/// up on the object (client gone, pipe idle): it fails with that reason.</summary>
[MessagePackObject]
public sealed record ClosePipe([property: Key(0)] long Seq, [property: Key(1)] int PipeId, [property: Key(2)] string? Fail) : WorkerRequest;

/// <summary>Finish now: open objects fail, the worker flushes its figures, sends <see cref="Exiting"/> and exits 0.</summary>
[MessagePackObject]
public sealed record StopWorker([property: Key(0)] long Seq) : WorkerRequest;

// ---- worker → host: replies ----------------------------------------------------------------------------------

/// <summary>The request succeeded and has nothing to return.</summary>
[MessagePackObject]
public sealed record Done([property: Key(0)] long Seq) : WorkerReply;

/// <summary>The pipe an <see cref="OpenPipe"/> got.</summary>
[MessagePackObject]
public sealed record PipeOpened([property: Key(0)] long Seq, [property: Key(1)] int PipeId) : WorkerReply;

/// <summary>The object's result (the client's close body) as UTF-8 JSON.</summary>
[MessagePackObject]
public sealed record PipeClosed([property: Key(0)] long Seq, [property: Key(1)] byte[] Result) : WorkerReply;

/// <summary>The request failed; <paramref name="Message"/> goes on to the client as is.</summary>
[MessagePackObject]
public sealed record RequestFailed([property: Key(0)] long Seq, [property: Key(1)] string Message) : WorkerReply;

// ---- worker → host: events -----------------------------------------------------------------------------------

/// <summary>The source accepts data (the task is RUNNING) when <paramref name="Up"/>.</summary>
[MessagePackObject]
public sealed record ServiceState([property: Key(0)] bool Up) : WorkerEvent;

/// <summary>
/// The task's object counters (rates are RocketRide's ×100 fixed point). <paramref name="Version"/> grows with each
/// snapshot; the host ignores one not newer than the last it applied.
/// </summary>
[MessagePackObject]
public sealed record Counters(
    [property: Key(0)] long Version,
    [property: Key(1)] long TotalSize,
    [property: Key(2)] long TotalCount,
    [property: Key(3)] long CompletedSize,
    [property: Key(4)] long CompletedCount,
    [property: Key(5)] long FailedSize,
    [property: Key(6)] long FailedCount,
    [property: Key(7)] long WordsSize,
    [property: Key(8)] long WordsCount,
    [property: Key(9)] long RateSize,
    [property: Key(10)] long RateCount,
    [property: Key(11)] RetryFigures Retries,
    [property: Key(12)] long? SourceTotal) : WorkerEvent;

/// <summary>The retry figures that travel with the counters; times are ISO-8601 UTC.</summary>
[MessagePackObject]
public sealed record RetryFigures(
    [property: Key(0)] long Retried,
    [property: Key(1)] string? NextProcessAt,
    [property: Key(2)] string? LastError,
    [property: Key(3)] string? LastErrorAt,
    [property: Key(4)] long FailedItems);

/// <summary>Each busy pipe's component stack (status <c>pipeflow.byPipe</c>); versioned like <see cref="Counters"/>.</summary>
[MessagePackObject]
public sealed record PipeFlow([property: Key(0)] long Version, [property: Key(1)] IReadOnlyDictionary<int, IReadOnlyList<string>> ByPipe) : WorkerEvent;

/// <summary>An object started (status <c>currentObject</c>).</summary>
[MessagePackObject]
public sealed record ObjectStarted([property: Key(0)] string Name, [property: Key(1)] long Size) : WorkerEvent;

/// <summary>A warning for the task's status.</summary>
[MessagePackObject]
public sealed record WorkerWarning([property: Key(0)] string Message) : WorkerEvent;

/// <summary>An error for the task's status; <paramref name="Reason"/> is the message without the object's name,
/// so equal failures of different objects count together.</summary>
[MessagePackObject]
public sealed record ObjectError([property: Key(0)] string Message, [property: Key(1)] string? Reason) : WorkerEvent;

/// <summary>A file a component finished in the task's output folder.</summary>
[MessagePackObject]
public sealed record FileWritten([property: Key(0)] string Name, [property: Key(1)] long Size, [property: Key(2)] string ContentType) : WorkerEvent;

/// <summary>Absolute usage snapshots for billing.</summary>
[MessagePackObject]
public sealed record Usage([property: Key(0)] IReadOnlyDictionary<string, double> Counters, [property: Key(1)] IReadOnlyDictionary<string, double> Timers) : WorkerEvent;

/// <summary>One <c>apaevt_flow</c> record; sent only at a trace level above none.</summary>
/// <param name="PipeId">The pipe.</param>
/// <param name="Op">begin, enter, leave or end.</param>
/// <param name="Pipes">The pipe's component stack after the step.</param>
/// <param name="Trace">The record's <c>trace</c> object as UTF-8 JSON.</param>
[MessagePackObject]
public sealed record FlowRecord([property: Key(0)] int PipeId, [property: Key(1)] string Op, [property: Key(2)] IReadOnlyList<string> Pipes, [property: Key(3)] byte[] Trace) : WorkerEvent;

/// <summary>A component's <c>apaevt_sse</c> message for a pipe; <paramref name="Data"/> is UTF-8 JSON or null.</summary>
[MessagePackObject]
public sealed record SseMessage([property: Key(0)] int PipeId, [property: Key(1)] string Type, [property: Key(2)] byte[]? Data) : WorkerEvent;

/// <summary>A line for the task's output (stderr carries the rest).</summary>
[MessagePackObject]
public sealed record WorkerLog([property: Key(0)] string Line) : WorkerEvent;

/// <summary>The worker is alive: sent every <see cref="StartSettings.HeartbeatIntervalMs"/> from its start on.</summary>
/// <param name="Number">Counts up from 1.</param>
[MessagePackObject]
public sealed record Heartbeat([property: Key(0)] long Number) : WorkerEvent;

/// <summary>Sent just before the worker exits by itself.</summary>
[MessagePackObject]
public sealed record Exiting([property: Key(0)] int Code, [property: Key(1)] string Message) : WorkerEvent;
