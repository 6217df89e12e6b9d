namespace PipelineHost.Engine.Tests.Support;

/// <summary>
/// A <see cref="TimeProvider"/> whose clock only moves when a test calls <see cref="Advance"/>, for driving
/// timer-based code deterministically (Microsoft.Extensions.TimeProvider.Testing is not available here).
/// </summary>
/// <remarks>
/// <see cref="Advance"/> moves the clock forward and, on the calling thread, fires every timer that falls due on
/// the way, in due-time order (ties in creation order), with the clock set to each timer's due time while its
/// callback runs. A periodic timer due several times within one advance fires once per period. Callbacks may
/// change or dispose timers and create new ones. A timer created with a zero due time fires on the next
/// <see cref="Advance"/>, even <c>Advance(TimeSpan.Zero)</c>, never inside <see cref="CreateTimer"/>.
/// Timestamps tick at <see cref="TimeSpan.TicksPerSecond"/> and start at 0. Thread-safe.
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly DateTimeOffset _start;
    private long _elapsedTicks;
    private long _nextTimerId;

    /// <summary>A clock starting at 2025-01-01T00:00:00Z.</summary>
    public ManualTimeProvider()
        : this(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero))
    {
    }

    /// <summary>A clock starting at <paramref name="start"/>.</summary>
    public ManualTimeProvider(DateTimeOffset start) => _start = start;

    /// <summary>Time elapsed since the provider was created.</summary>
    public TimeSpan Elapsed
    {
        get
        {
            lock (_gate)
                return TimeSpan.FromTicks(_elapsedTicks);
        }
    }

    /// <summary>Timers that are neither disposed nor stopped (infinite due time).</summary>
    public int ActiveTimerCount
    {
        get
        {
            lock (_gate)
                return _timers.Count(t => t.DueAt is not null);
        }
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
            return _start.AddTicks(_elapsedTicks);
    }

    /// <inheritdoc />
    public override long GetTimestamp()
    {
        lock (_gate)
            return _elapsedTicks;
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        lock (_gate)
        {
            timer.Id = _nextTimerId++;
            _timers.Add(timer);
            Schedule(timer, dueTime, period);
        }
        return timer;
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing the timers that fall due.</summary>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        long target;
        lock (_gate)
            target = _elapsedTicks + delta.Ticks;

        while (true)
        {
            ManualTimer? due = null;
            lock (_gate)
            {
                foreach (var timer in _timers)
                {
                    if (timer.DueAt is { } at && at <= target &&
                        (due is null || at < due.DueAt || (at == due.DueAt && timer.Id < due.Id)))
                    {
                        due = timer;
                    }
                }
                if (due is null)
                {
                    _elapsedTicks = Math.Max(_elapsedTicks, target);
                    return;
                }
                _elapsedTicks = Math.Max(_elapsedTicks, due.DueAt!.Value);
                due.DueAt = due.PeriodTicks > 0 ? due.DueAt + due.PeriodTicks : null;
            }
            due.Callback(due.State);
        }
    }

    private void Schedule(ManualTimer timer, TimeSpan dueTime, TimeSpan period)
    {
        CheckTime(dueTime, nameof(dueTime));
        CheckTime(period, nameof(period));
        timer.DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _elapsedTicks + dueTime.Ticks;
        timer.PeriodTicks = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
    }

    private static void CheckTime(TimeSpan value, string name)
    {
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(name, value, "Must be non-negative or Timeout.InfiniteTimeSpan.");
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        public long Id { get; set; }

        public TimerCallback Callback { get; } = callback;

        public object? State { get; } = state;

        /// <summary>Elapsed ticks at which the timer fires next; null when stopped or disposed.</summary>
        public long? DueAt { get; set; }

        /// <summary>0 for a one-shot timer.</summary>
        public long PeriodTicks { get; set; }

        private bool Disposed { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._gate)
            {
                if (Disposed)
                    return false;
                owner.Schedule(this, dueTime, period);
                return true;
            }
        }

        public void Dispose()
        {
            lock (owner._gate)
            {
                Disposed = true;
                DueAt = null;
                owner._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
