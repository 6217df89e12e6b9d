namespace PipelineHost.Pipelines.Components;

/// <summary>
/// The output budget of one task's <c>writer</c> components: at most <see cref="TaskMaxBytes"/> in all and
/// <see cref="ObjectMaxBytes"/> for any one object. One instance per task (the worker makes it), shared by every
/// writer of the task, so a public-key holder feeding a webhook cannot fill the disk.
/// </summary>
/// <param name="TaskMaxBytes">Largest total the task's writers may write.</param>
/// <param name="ObjectMaxBytes">Largest output of one object (all its files together).</param>
public sealed record OutputQuota(long TaskMaxBytes, long ObjectMaxBytes)
{
    /// <summary>Default of <see cref="TaskMaxBytes"/>: 1 GiB.</summary>
    public const long DefaultTaskMaxBytes = 1L << 30;

    /// <summary>Default of <see cref="ObjectMaxBytes"/>: 256 MiB.</summary>
    public const long DefaultObjectMaxBytes = 256L << 20;

    private long _used;

    /// <summary>Bytes written so far by the task's writers.</summary>
    public long Used => Interlocked.Read(ref _used);

    /// <summary>
    /// Takes <paramref name="bytes"/> more for an object that has written <paramref name="objectBytes"/> so far, or
    /// throws (taking nothing) with a message that names the limit, never a path.
    /// </summary>
    /// <exception cref="OutputLimitException">The object or the task would go over its limit.</exception>
    public void Take(long objectBytes, long bytes)
    {
        if (objectBytes + bytes > ObjectMaxBytes)
        {
            throw new OutputLimitException($"The object's output would exceed the per-object output limit of {ObjectMaxBytes} bytes.");
        }

        if (Interlocked.Add(ref _used, bytes) > TaskMaxBytes)
        {
            Interlocked.Add(ref _used, -bytes);
            throw new OutputLimitException($"The task's output would exceed its limit of {TaskMaxBytes} bytes (--task-output-max-bytes).");
        }
    }

    /// <summary>Gives back what a failed object's discarded files took.</summary>
    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}

/// <summary>A writer would go over its <see cref="OutputQuota"/>: the object fails with this message.</summary>
public sealed class OutputLimitException(string message) : IOException(message);
