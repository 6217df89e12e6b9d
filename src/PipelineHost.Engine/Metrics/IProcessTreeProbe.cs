namespace PipelineHost.Engine.Metrics;

/// <summary>
/// Reads the CPU time and resident memory of a process and all of its descendants. Implementations are
/// thread-safe, so one probe can be shared by the samplers of all running tasks.
/// </summary>
public interface IProcessTreeProbe
{
    /// <summary>Samples the tree rooted at <paramref name="rootPid"/>; <see langword="null"/> when the root is gone.</summary>
    ProcessSnapshot? Sample(int rootPid);

    /// <summary>
    /// Samples the tree rooted at <paramref name="rootPid"/> and, when <paramref name="treePids"/> is given, adds the
    /// pid of every process that was counted to it (the root first). The caller clears the collection. Returns
    /// <see langword="null"/> when the root is gone.
    /// </summary>
    ProcessSnapshot? Sample(int rootPid, ICollection<int>? treePids);
}
