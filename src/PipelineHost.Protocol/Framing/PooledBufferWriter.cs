using System.Buffers;

namespace PipelineHost.Protocol.Framing;

/// <summary>
/// An <see cref="IBufferWriter{T}"/> over arrays rented from <see cref="ArrayPool{T}.Shared"/>, holding one only
/// between the first write and <see cref="Release"/>. Arrays larger than <paramref name="pooledCapacity"/> are
/// allocated uninitialised and left to the GC instead of the pool, so one huge message does not stay cached for the
/// life of the process; encoders ask for their worst case up front (a JSON or MessagePack string asks for three
/// bytes per character), and memory nobody writes to is then never touched.
/// </summary>
/// <param name="pooledCapacity">The largest array taken from and given back to the pool.</param>
public sealed class PooledBufferWriter(int pooledCapacity = 1 << 20) : IBufferWriter<byte>
{
    private const int MinimumSize = 4096;

    private byte[] _array = [];
    private int _written;

    /// <summary>Bytes written since the last <see cref="Reset"/>.</summary>
    public int WrittenCount => _written;

    /// <summary>What has been written since the last <see cref="Reset"/>.</summary>
    public ReadOnlyMemory<byte> WrittenMemory => _array.AsMemory(0, _written);

    /// <summary>Starts over, keeping the array.</summary>
    public void Reset() => _written = 0;

    /// <summary>Gives the array back; the next write rents a new one.</summary>
    public void Release()
    {
        Return(_array);
        _array = [];
        _written = 0;
    }

    /// <inheritdoc />
    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_written + count > _array.Length)
        {
            throw new InvalidOperationException("Advanced past the end of the buffer.");
        }

        _written += count;
    }

    /// <inheritdoc />
    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsMemory(_written);
    }

    /// <inheritdoc />
    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _array.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_array.Length - _written >= needed)
        {
            return;
        }

        var size = Math.Max(Math.Max(_array.Length * 2, _written + needed), MinimumSize);
        var next = size > pooledCapacity ? GC.AllocateUninitializedArray<byte>(size) : ArrayPool<byte>.Shared.Rent(size);
        _array.AsSpan(0, _written).CopyTo(next);
        Return(_array);
        _array = next;
    }

    private void Return(byte[] array)
    {
        if (array.Length > 0 && array.Length <= pooledCapacity)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
