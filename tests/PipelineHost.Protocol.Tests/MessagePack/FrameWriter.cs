using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>
/// The package's <see cref="MessagePackWriter"/> (a ref struct) behind a class, so tests can build values and
/// frames in lambdas. Each call writes and flushes at once.
/// </summary>
internal sealed class FrameWriter(IBufferWriter<byte> output)
{
    private delegate void WriteAction(ref MessagePackWriter writer);

    public void WriteNil() => Do((ref MessagePackWriter w) => w.WriteNil());

    public void Write(bool value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void Write(long value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void Write(ulong value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void Write(double value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void Write(float value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void WriteString(string value) => Do((ref MessagePackWriter w) => w.Write(value));

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        var copy = value.ToArray();
        Do((ref MessagePackWriter w) => w.Write(copy.AsSpan()));
    }

    public void WriteArrayHeader(int count) => Do((ref MessagePackWriter w) => w.WriteArrayHeader(count));

    public void WriteMapHeader(int count) => Do((ref MessagePackWriter w) => w.WriteMapHeader(count));

    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Do((ref MessagePackWriter w) => w.WriteRaw(copy));
    }

    public void WriteExtension(sbyte type, byte[] data) => Do((ref MessagePackWriter w) =>
    {
        w.WriteExtensionFormatHeader(new ExtensionHeader(type, data.Length));
        w.WriteRaw(data);
    });

    /// <summary>A timestamp in the smallest of the specification's three layouts.</summary>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        byte[] data;
        if (nanoseconds == 0 && seconds is >= 0 and <= uint.MaxValue)
        {
            data = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(data, (uint)seconds);
        }
        else if (seconds is >= 0 and < 1L << 34)
        {
            data = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(data, ((ulong)nanoseconds << 34) | (ulong)seconds);
        }
        else
        {
            data = new byte[12];
            BinaryPrimitives.WriteUInt32BigEndian(data, nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(data.AsSpan(4), seconds);
        }

        WriteExtension(-1, data);
    }

    private void Do(WriteAction write)
    {
        var writer = new MessagePackWriter(output);
        write(ref writer);
        writer.Flush();
    }
}
