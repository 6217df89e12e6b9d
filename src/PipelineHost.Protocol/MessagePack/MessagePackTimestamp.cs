using System.Globalization;

namespace PipelineHost.Protocol.MessagePack;

/// <summary>
/// A MessagePack timestamp (extension type -1): seconds since 1970-01-01T00:00:00Z and a nanosecond part.
/// Kept apart from <see cref="DateTimeOffset"/> because the wire format is wider (64-bit seconds) and finer
/// (nanoseconds) than it.
/// </summary>
/// <param name="Seconds">Seconds since the Unix epoch; negative before 1970.</param>
/// <param name="Nanoseconds">Nanoseconds added to <paramref name="Seconds"/>, 0..999,999,999.</param>
public readonly record struct MessagePackTimestamp(long Seconds, uint Nanoseconds)
{
    /// <summary>The extension type the specification assigns to timestamps.</summary>
    public const sbyte ExtensionType = -1;

    /// <summary>The largest valid <see cref="Nanoseconds"/>.</summary>
    public const uint MaxNanoseconds = 999_999_999;

    private const long NanosecondsPerTick = 100;
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private static readonly long MinSeconds = DateTimeOffset.MinValue.ToUnixTimeSeconds();
    private static readonly long MaxSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    /// <summary>True when the value lies within <see cref="DateTimeOffset"/>'s range (years 1..9999).</summary>
    public bool FitsDateTimeOffset => Seconds >= MinSeconds && Seconds <= MaxSeconds;

    /// <summary>The instant of <paramref name="value"/>, exact to its 100 ns ticks.</summary>
    public static MessagePackTimestamp FromDateTimeOffset(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        var seconds = Math.DivRem(ticks, TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            // Floor, not truncate: the nanosecond part is never negative, also before 1970.
            seconds--;
            remainder += TicksPerSecond;
        }

        return new MessagePackTimestamp(seconds, (uint)(remainder * NanosecondsPerTick));
    }

    /// <summary>The value as a UTC <see cref="DateTimeOffset"/>; nanoseconds below 100 ns are truncated.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value lies outside years 1..9999.</exception>
    public DateTimeOffset ToDateTimeOffset()
    {
        if (!FitsDateTimeOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, "The timestamp lies outside the range of DateTimeOffset.");
        }

        return DateTimeOffset.FromUnixTimeSeconds(Seconds).AddTicks(Nanoseconds / NanosecondsPerTick);
    }

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
