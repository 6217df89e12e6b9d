using System.Globalization;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>
/// A task's retry bookkeeping as its status shows it (QStash's fields): retries made, the next pending retry,
/// the last error and how many failed items were kept. Thread-safe; every change bumps <see cref="Version"/>.
/// </summary>
public sealed class RetryTracker(TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, DateTimeOffset> _pending = [];
    private long _nextPendingId;
    private long _retried;
    private long _failedItems;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private long _version;

    /// <summary>Raised after every change (outside the lock).</summary>
    public event Action? Changed;

    /// <summary>Grows with every change, so a reporter can tell whether there is news.</summary>
    public long Version
    {
        get
        {
            lock (_lock)
            {
                return _version;
            }
        }
    }

    /// <summary>Retry attempts made so far.</summary>
    public long Retried
    {
        get
        {
            lock (_lock)
            {
                return _retried;
            }
        }
    }

    /// <summary>Failed items kept so far.</summary>
    public long FailedItems
    {
        get
        {
            lock (_lock)
            {
                return _failedItems;
            }
        }
    }

    /// <summary>The earliest time a pending retry is due; null when none is waiting.</summary>
    public DateTimeOffset? NextProcessAt
    {
        get
        {
            lock (_lock)
            {
                return _pending.Count == 0 ? null : _pending.Values.Min();
            }
        }
    }

    /// <summary>The message of the most recent failure, if any.</summary>
    public string? LastError
    {
        get
        {
            lock (_lock)
            {
                return _lastError;
            }
        }
    }

    /// <summary>Starts counting from failed items already on disk (a restarted worker, same folder).</summary>
    public void SetFailedItems(long count) => Update(() => _failedItems = count);

    /// <summary>An attempt failed with <paramref name="message"/>, now.</summary>
    public void Failure(string message) => Update(() =>
    {
        _lastError = message;
        _lastErrorAt = time.GetUtcNow();
    });

    /// <summary>A retry attempt starts.</summary>
    public void RetryStarted() => Update(() => _retried++);

    /// <summary>A failed item was kept.</summary>
    public void ItemKept() => Update(() => _failedItems++);

    /// <summary>A retry is waiting until <paramref name="due"/>; disposing the result says it no longer is.</summary>
    public IDisposable Pending(DateTimeOffset due)
    {
        long id = 0;
        Update(() =>
        {
            id = ++_nextPendingId;
            _pending[id] = due;
        });
        return new PendingRetry(this, id);
    }

    /// <summary>Writes <c>retried</c>, <c>nextProcessAt</c>, <c>lastError</c>, <c>lastErrorAt</c> and <c>failedItems</c>.</summary>
    public void WriteTo(JsonObject counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var figures = Figures();
        counts["retried"] = figures.Retried;
        counts["nextProcessAt"] = figures.NextProcessAt;
        counts["lastError"] = figures.LastError;
        counts["lastErrorAt"] = figures.LastErrorAt;
        counts["failedItems"] = figures.FailedItems;
    }

    /// <summary>The figures as they travel with the worker's counters.</summary>
    public PipelineHost.Protocol.Worker.RetryFigures Figures()
    {
        lock (_lock)
        {
            return new(
                _retried,
                _pending.Count == 0 ? null : Iso(_pending.Values.Min()),
                _lastError,
                _lastErrorAt is { } at ? Iso(at) : null,
                _failedItems);
        }
    }

    /// <summary>ISO-8601 UTC with milliseconds, the form of every time field PipelineHost adds.</summary>
    public static string Iso(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
            _version++;
        }

        Changed?.Invoke();
    }

    private sealed class PendingRetry(RetryTracker owner, long id) : IDisposable
    {
        public void Dispose() => owner.Update(() => owner._pending.Remove(id));
    }
}
