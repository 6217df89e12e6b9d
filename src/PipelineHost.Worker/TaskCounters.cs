using PipelineHost.Pipelines.Runtime;
using PipelineHost.Protocol.Worker;

namespace PipelineHost.Worker;

/// <summary>
/// The task's object counters as the worker sees them; rates are RocketRide's ×100 fixed point. The retry
/// fields of <see cref="Retries"/> travel with them.
/// </summary>
internal sealed class TaskCounters(TimeProvider time)
{
    private long _retriesSeen = -1;

    private readonly Lock _lock = new();
    private long _started = time.GetTimestamp();
    private readonly Dictionary<string, long> _custom = new(StringComparer.Ordinal);
    private long _totalCount, _totalSize, _completedCount, _completedSize, _failedCount, _failedSize, _wordsCount, _wordsSize;
    private long? _sourceTotal;
    private bool _dirty = true;
    private long _version;

    /// <summary>Retries made, pending, last error and failed items kept.</summary>
    public RetryTracker Retries { get; } = new(time);

    /// <summary>
    /// Starts the rates' clock: the task's own start (its <c>start</c> arrived), not the process's, so the time a
    /// pool worker waited idle for its task does not count.
    /// </summary>
    public void StartClock() => Update(() => _started = time.GetTimestamp());

    public void Opened(long size) => Update(() => { _totalCount++; _totalSize += size; });

    public void AddSize(long size) => Update(() => _totalSize += size);

    public void Completed(long size) => Update(() => { _completedCount++; _completedSize += size; });

    public void Failed(long size) => Update(() => { _failedCount++; _failedSize += size; });

    /// <summary>How many objects the batch source will produce, when it knows (the host derives <c>remainingCount</c>).</summary>
    public void SetSourceTotal(long? total) => Update(() => _sourceTotal = total);

    public void Count(string counter, long amount) => Update(() =>
    {
        switch (counter)
        {
            case "wordsCount": _wordsCount += amount; break;
            case "wordsSize": _wordsSize += amount; break;
            default: _custom[counter] = _custom.GetValueOrDefault(counter) + amount; break;
        }
    });

    /// <summary>The counters as a <see cref="Counters"/> message, or null when nothing changed since the last call.</summary>
    public Counters? TakeIfChanged(bool force = false)
    {
        lock (_lock)
        {
            var retries = Retries.Version;
            if (!_dirty && retries == _retriesSeen && !force)
            {
                return null;
            }

            _dirty = false;
            _retriesSeen = retries;
            var seconds = Math.Max(time.GetElapsedTime(_started).TotalSeconds, 0.001);
            return new Counters(
                // Snapshots travel at each report tick and before each close answer: the version lets the host
                // keep the newest whatever order it reads them in.
                Version: ++_version,
                TotalSize: _totalSize,
                // A source that knows how many objects it will make says so from the start, so progress reads
                // "29 of 2000", never "29 of 31" (what was opened so far).
                TotalCount: _sourceTotal is { } known ? Math.Max(known, _totalCount) : _totalCount,
                CompletedSize: _completedSize,
                CompletedCount: _completedCount,
                FailedSize: _failedSize,
                FailedCount: _failedCount,
                WordsSize: _wordsSize,
                WordsCount: _wordsCount,
                RateSize: (long)Math.Round((_completedSize + _failedSize) / seconds * 100),
                RateCount: (long)Math.Round((_completedCount + _failedCount) / seconds * 100),
                Retries: Retries.Figures(),
                SourceTotal: _sourceTotal);
        }
    }

    /// <summary>Custom counters reported by components, for billing.</summary>
    public Dictionary<string, double> CustomCounters()
    {
        lock (_lock)
        {
            return _custom.ToDictionary(c => c.Key, c => (double)c.Value, StringComparer.Ordinal);
        }
    }

    private void Update(Action change)
    {
        lock (_lock)
        {
            change();
            _dirty = true;
        }
    }
}
