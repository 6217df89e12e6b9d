namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// What the host and the worker agree on outside the channel's messages (those are
/// <see cref="Protocol.Worker.WorkerMessage"/>, described in protocol-spec/worker-ipc.md).
/// </summary>
public static class WorkerProtocol
{
    /// <summary>The status counter that carries a batch source's known total (not a status field itself).</summary>
    public const string SourceTotalCounter = "sourceTotal";

    /// <summary>Exit code of a worker whose pipeline could not start.</summary>
    public const int StartFailedExitCode = 2;
}
