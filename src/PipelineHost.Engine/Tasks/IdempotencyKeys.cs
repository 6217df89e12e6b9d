using System.Globalization;

namespace PipelineHost.Engine.Tasks;

/// <summary>The rules of <c>idempotencyKey</c> (<c>execute</c>) and <c>Idempotency-Key</c> (<c>POST /task</c>).</summary>
public static class IdempotencyKeys
{
    /// <summary>How long a key names its first task: a repeat within it starts nothing.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>The longest key accepted.</summary>
    public const int MaxLength = 255;

    /// <summary>The key if it is 1 to <see cref="MaxLength"/> printable characters.</summary>
    /// <exception cref="TaskException">Empty, too long, or with control characters.</exception>
    public static string Check(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Length is > 0 and <= MaxLength && !key.Any(char.IsControl)
            ? key
            : throw new TaskException(string.Create(CultureInfo.InvariantCulture, $"Argument 'idempotencyKey' must be 1 to {MaxLength} characters without control characters."));
    }
}

/// <summary>
/// An <c>idempotencyKey</c> already started a task with another pipeline within <see cref="IdempotencyKeys.Window"/>
/// (HTTP 409 Conflict).
/// </summary>
public sealed class IdempotencyConflictException(string taskId) : TaskException(
    $"Idempotency key already used with a different pipeline (task {taskId}, within the last 24 h): use a new key for a different pipeline")
{
    /// <summary>The id of the task the key started.</summary>
    public string TaskId { get; } = taskId;
}
