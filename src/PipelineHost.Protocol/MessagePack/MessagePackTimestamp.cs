using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// A MessagePack timestamp (extension type -1): seconds since 1970-01-01T00:00:00Z and a nanosecond part.
/// Kept apart from <see cref="DateTimeOffset"/> because the wire format is wider (64-bit seconds) and finer
/// (nanoseconds) than it: the package's <c>ReadDateTime</c> rounds to 100 ns ticks, and a timestamp that
/// reaches a client as an ISO string must keep every digit the peer sent.
/// </summary>
/// <param name="Seconds">Seconds since the Unix epoch; negative before 1970.</param>
/// <param name="Nanoseconds">Nanoseconds added to <paramref name="Seconds"/>, 0..999,999,999.</param>
public readonly record struct MessagePackTimestamp(long Seconds, uint Nanoseconds)
{
    /// <summary>The extension type the specification assigns to timestamps.</summary>
    public const sbyte ExtensionType = -1;

    /// <summary>The largest valid <see cref="Nanoseconds"/>.</summary>
    public const uint MaxNanoseconds = 999_999_999;

    private static readonly long MinSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    /// <summary>Decodes the data of a timestamp extension (4, 8 or 12 bytes) whose header starts at <paramref name="start"/>.</summary>
    /// <exception cref="MessagePackFormatException">The data has another length, or nanoseconds beyond 999,999,999.</exception>
    public static MessagePackTimestamp Decode(ReadOnlySequence<byte> data, long start)
    {
        Span<byte> bytes = stackalloc byte[12];
        if (data.Length is not (4 or 8 or 12))
        {
            throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                $"a timestamp must have 4, 8 or 12 data bytes, not {data.Length}."));
        }

        bytes = bytes[..(int)data.Length];
        data.CopyTo(bytes);
        var (seconds, nanoseconds) = bytes.Length switch
        {
            4 => ((long)BinaryPrimitives.ReadUInt32BigEndian(bytes), 0u),
            8 => ((long)(BinaryPrimitives.ReadUInt64BigEndian(bytes) & 0x3_FFFF_FFFF), (uint)(BinaryPrimitives.ReadUInt64BigEndian(bytes) >> 34)),
            _ => (BinaryPrimitives.ReadInt64BigEndian(bytes[4..]), BinaryPrimitives.ReadUInt32BigEndian(bytes)),
        };

        return nanoseconds <= MaxNanoseconds
            ? new MessagePackTimestamp(seconds, nanoseconds)
            : throw new MessagePackFormatException(start, string.Create(CultureInfo.InvariantCulture,
                $"timestamp nanoseconds {nanoseconds} exceed 999999999."));
    }

    /// <summary>True when the value lies within <see cref="DateTimeOffset"/>'s range (years 1..9999).</summary>
    public bool FitsDateTimeOffset => Seconds >= MinSeconds && Seconds <= MaxSeconds;

    /// <summary>ISO-8601 in UTC, e.g. <c>2024-02-29T12:34:56.789Z</c>; the fraction has no trailing zeros and is absent when zero.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value lies outside years 1..9999, which ISO-8601's four-digit year cannot show.</exception>
    public string ToIsoString()
    {
        if (!FitsDateTimeOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, "The timestamp lies outside years 1..9999.");
        }

        Span<char> buffer = stackalloc char[32];
        DateTimeOffset.FromUnixTimeSeconds(Seconds)
            .TryFormat(buffer, out var written, "yyyy'-'MM'-'dd'T'HH':'mm':'ss", CultureInfo.InvariantCulture);
        if (Nanoseconds != 0)
        {
            buffer[written++] = '.';
            var nanos = Nanoseconds;
            var digits = 9;
            while (nanos % 10 == 0)
            {
                nanos /= 10;
                digits--;
            }

            for (var i = digits - 1; i >= 0; i--)
            {
                buffer[written + i] = (char)('0' + (nanos % 10));
                nanos /= 10;
            }

            written += digits;
        }

        buffer[written++] = 'Z';
        return new string(buffer[..written]);
    }

    /// <inheritdoc cref="ToIsoString" />
    public override string ToString() => FitsDateTimeOffset
        ? ToIsoString()
        : string.Create(CultureInfo.InvariantCulture, $"{Seconds}s+{Nanoseconds}ns");
}
