using System.Buffers;

namespace PipelineHost.Protocol.Framing;

/// <summary>
/// The pool for WebSocket messages larger than <see cref="SmallLimit"/>: a burst of big uploads reuses a few buffers
/// instead of leaving one fresh array per message to the GC, and after the burst the memory goes back to the system.
/// </summary>
/// <remarks>
/// <para>Up to <see cref="MaxCachedBytes"/> of returned buffers are kept for reuse. <see cref="TrimIfIdle"/>, called
/// periodically by the owner, drops them once no large buffer has been rented for <see cref="IdleAfter"/>, and, when
/// at least <see cref="CollectAfterBytes"/> went through the pool since the last trim, runs one aggressive compacting
/// collection: without other allocation nothing would trigger a collection, and the process would keep the burst's
/// peak resident for good (5 connections × 16 MiB messages: 650 MB, 30 s later still 644 MB).</para>
/// <para>The shared pool is not used for these sizes: it keeps arrays per core and trims them only after a minute
/// and only at a collection, which an idle server does not have.</para>
/// </remarks>
public sealed class LargeMessageBuffers : ArrayPool<byte>
{
    /// <summary>Messages up to this size use the shared pool.</summary>
    public const int SmallLimit = 1 << 20;

    /// <summary>Most bytes of returned buffers kept for reuse.</summary>
    public const long MaxCachedBytes = 256L << 20;

    /// <summary>Bytes rented since the last trim from which a trim also collects.</summary>
    public const long CollectAfterBytes = 64L << 20;

    /// <summary>How long without a large rent counts as the end of a burst.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly List<byte[]> _cached = [];
    private readonly Lock _lock = new();
    private long _cachedBytes;
    private long _rentedSinceTrim;
    private long _lastRent;

    /// <summary>Creates a pool reading time from <paramref name="time"/>.</summary>
    public LargeMessageBuffers(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _lastRent = time.GetTimestamp();
    }

    /// <summary>Bytes of buffers kept for reuse now.</summary>
    public long CachedBytes
    {
        get
        {
            lock (_lock)
            {
                return _cachedBytes;
            }
        }
    }

    /// <summary>Collections this pool has run.</summary>
    public int Collections { get; private set; }

    /// <inheritdoc />
    public override byte[] Rent(int minimumLength)
    {
        lock (_lock)
        {
            _lastRent = _time.GetTimestamp();
            _rentedSinceTrim += minimumLength;
            var best = -1;
            for (var i = 0; i < _cached.Count; i++)
            {
                if (_cached[i].Length >= minimumLength && (best < 0 || _cached[i].Length < _cached[best].Length))
                {
                    best = i;
                }
            }

            if (best >= 0)
            {
                var found = _cached[best];
                _cached.RemoveAt(best);
                _cachedBytes -= found.Length;
                return found;
            }
        }

        // Rounded up so that a buffer grown by doubling fits the next message of about the same size.
        var size = (int)Math.Min(Array.MaxLength, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(minimumLength, SmallLimit)));
        return GC.AllocateUninitializedArray<byte>(Math.Max(size, minimumLength));
    }

    /// <inheritdoc />
    public override void Return(byte[] array, bool clearArray = false)
    {
        ArgumentNullException.ThrowIfNull(array);
        lock (_lock)
        {
            if (_cachedBytes + array.Length <= MaxCachedBytes)
            {
                _cached.Add(array);
                _cachedBytes += array.Length;
            }
        }
    }

    /// <summary>Drops the cached buffers (and collects, after a big burst) once the pool has been idle long enough.</summary>
    /// <returns>True when it trimmed.</returns>
    public bool TrimIfIdle()
    {
        bool collect;
        lock (_lock)
        {
            if ((_cached.Count == 0 && _rentedSinceTrim == 0) || _time.GetElapsedTime(_lastRent) < IdleAfter)
            {
                return false;
            }

            _cached.Clear();
            _cachedBytes = 0;
            collect = _rentedSinceTrim >= CollectAfterBytes;
            _rentedSinceTrim = 0;
        }

        if (collect)
        {
            Collections++;
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        }

        return true;
    }
}
