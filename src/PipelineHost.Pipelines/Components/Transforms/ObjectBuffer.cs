using System.Globalization;
using System.Text;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>Collects one object's bytes for transforms that need all of it, up to a limit.</summary>
internal sealed class ObjectBuffer(string provider)
{
    /// <summary>The most bytes one object may buffer.</summary>
    public const int Limit = 1 << 30;

    private readonly MemoryStream _stream = new();

    /// <summary>How many bytes are buffered.</summary>
    public long Length => _stream.Length;

    /// <summary>Appends <paramref name="bytes"/>.</summary>
    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (_stream.Length + bytes.Length > Limit)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{provider}: the object is larger than the {Limit / (1024 * 1024)} MiB this component can hold."));
        }

        _stream.Write(bytes);
    }

    /// <summary>The buffered bytes.</summary>
    public ReadOnlySpan<byte> Bytes => Memory.Span;

    /// <summary>The buffered bytes, for asynchronous writes.</summary>
    public ReadOnlyMemory<byte> Memory => _stream.GetBuffer().AsMemory(0, (int)_stream.Length);

    /// <summary>The bytes as UTF-8 text, without a byte-order mark; invalid bytes become U+FFFD.</summary>
    public string Text
    {
        get
        {
            var bytes = Bytes;
            if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
            {
                bytes = bytes[3..];
            }

            return Encoding.UTF8.GetString(bytes);
        }
    }
}
