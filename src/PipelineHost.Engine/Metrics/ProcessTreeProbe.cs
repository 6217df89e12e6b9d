namespace PipelineHost.Engine.Metrics;

/// <summary>Picks the process tree probe for the running system.</summary>
public static class ProcessTreeProbe
{
    /// <summary>
    /// <see cref="ProcFsProcessTreeProbe"/> on Linux with /proc, else <see cref="SystemDiagnosticsProcessTreeProbe"/>
    /// (root process only).
    /// </summary>
    public static IProcessTreeProbe CreateDefault(TimeProvider? timeProvider = null) =>
        ProcFsProcessTreeProbe.IsSupported
            ? new ProcFsProcessTreeProbe(timeProvider)
            : new SystemDiagnosticsProcessTreeProbe(timeProvider);
}
