namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// The host ↔ worker channel: the same request/response/event envelope as the client protocol, in
/// length-prefixed frames over the worker's stdin (host → worker) and stdout (worker → host). stderr is free
/// text and becomes the task's <c>output</c> lines.
/// </summary>
public static class WorkerProtocol
{
    /// <summary>
    /// Host → worker: <c>{pipeline, threads, environment}</c>; answered once the pipeline is built. A worker that
    /// was started before its task (a pool worker) also gets <c>processEnvironment</c>, the task's environment variables.
    /// </summary>
    public const string Start = "start";
    /// <summary>
    /// Host → a pool worker, before <see cref="Start"/>: load and run the code a start needs once on a throwaway
    /// pipeline; answered when done. No events, no counts.
    /// </summary>
    public const string Warm = "warm";
    /// <summary>Host → worker: <c>{object, mimeType}</c> → <c>{pipe_id}</c>.</summary>
    public const string Open = "open";
    /// <summary>
    /// Host → worker: <c>{pipe_id, quiet?}</c> + bytes. A pipe's writes and its close are handled in the order
    /// they arrive. A <c>quiet</c> write is not answered: a failure fails the pipe, and the next answered write or
    /// the close reports it.
    /// </summary>
    public const string Write = "write";
    /// <summary>Host → worker: <c>{pipe_id, fail?}</c> → the object's result.</summary>
    public const string Close = "close";
    /// <summary>Host → worker: finish now; open objects fail; the worker flushes and exits 0.</summary>
    public const string Stop = "stop";

    /// <summary>Worker → host: <c>{up}</c>; up means the source accepts data (the task is RUNNING).</summary>
    public const string ServiceEvent = "service";
    /// <summary>
    /// Worker → host: the counters (totals, completed, failed, words, rates ×100), and <c>sourceTotal</c> when a
    /// batch source knows how many objects it will produce.
    /// </summary>
    public const string CountsEvent = "counts";
    /// <summary>Worker → host: <c>{name, size}</c> of the object being processed.</summary>
    public const string ObjectEvent = "object";
    /// <summary>Worker → host: <c>{message}</c>.</summary>
    public const string WarningEvent = "warning";
    /// <summary>
    /// Worker → host: <c>{message, reason?}</c>. <c>reason</c> is the message without the object's name, so equal
    /// failures of different objects are counted together (status <c>errorSummary</c>).
    /// </summary>
    public const string ErrorEvent = "error";
    /// <summary>Worker → host: <c>{name, size, contentType}</c> of a file a <c>writer</c> finished in the task's output folder.</summary>
    public const string FileEvent = "file";
    /// <summary>Worker → host: <c>{counters, timers}</c>, absolute usage snapshots for billing.</summary>
    public const string UsageEvent = "usage";
    /// <summary>Worker → host: <c>{code, message}</c> just before the worker exits by itself.</summary>
    public const string ExitEvent = "exit";

    /// <summary>The argument of a <see cref="Write"/> that asks for no answer.</summary>
    public const string QuietProperty = "quiet";

    /// <summary>
    /// On <see cref="Start"/> (the task's span) and <see cref="Open"/> (the object's span): a W3C <c>traceparent</c>
    /// the worker's component spans descend from. Absent when the host does not trace.
    /// </summary>
    public const string TraceParentProperty = "traceparent";

    /// <summary>
    /// Worker → host: <c>{version, byPipe:{"&lt;pipe&gt;":[stack]}}</c>, each open pipe's component stack (status
    /// <c>pipeflow.byPipe</c>); sent only when it changed, at most once per report interval, like the counters.
    /// </summary>
    public const string PipeflowEvent = "pipeflow";

    /// <summary>
    /// Worker → host: <c>{id, op, pipes, trace}</c>, one <c>apaevt_flow</c> record. Sent only by the worker of a task
    /// started with a trace level (<see cref="WorkerStartSettings.TraceLevel"/>).
    /// </summary>
    public const string FlowEvent = "flow";

    /// <summary>Worker → host: <c>{pipe_id, type, data?}</c>, a component's <c>apaevt_sse</c> message.</summary>
    public const string SseEvent = "sse";

    /// <summary>The counter of a <see cref="CountsEvent"/> that carries a batch source's known total (not a status field itself).</summary>
    public const string SourceTotalCounter = "sourceTotal";

    /// <summary>The property of a <see cref="Close"/> answer that carries the counters after the object (removed by the host).</summary>
    public const string CountsProperty = "__counts";

    /// <summary>The property of a <see cref="Close"/> answer that carries the <see cref="PipeflowEvent"/> body after the object (removed by the host).</summary>
    public const string PipeflowProperty = "__pipeflow";

    /// <summary>Largest frame either side accepts (a write carries at most one WebSocket message).</summary>
    public const int MaxFrameSize = 256 * 1024 * 1024;

    /// <summary>Exit code of a worker whose pipeline could not start.</summary>
    public const int StartFailedExitCode = 2;
}
