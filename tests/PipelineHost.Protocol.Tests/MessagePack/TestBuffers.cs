using System.Buffers;

namespace PipelineHost.Protocol.Tests.MessagePack;

/// <summary>Builds multi-segment sequences, the shape a pipe reader hands over when a frame straddles reads.</summary>
internal static class TestBuffers
{
    /// <summary>Splits <paramref name="bytes"/> at the given offsets (ascending; empty segments allowed).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, params int[] offsets)
    {
        var bounds = offsets.Prepend(0).Append(bytes.Length).ToArray();
        Segment? first = null;
        Segment? last = null;
        for (var i = 0; i + 1 < bounds.Length; i++)
        {
            // Copy each piece into its own array so that reading past a segment's end cannot go unnoticed.
            var piece = bytes.AsSpan(bounds[i], bounds[i + 1] - bounds[i]).ToArray();
            var segment = new Segment(piece, last?.RunningIndex + last?.Memory.Length ?? 0);
            last?.SetNext(segment);
            first ??= segment;
            last = segment;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    /// <summary>Every byte in its own segment.</summary>
    public static ReadOnlySequence<byte> OneBytePerSegment(byte[] bytes) =>
        bytes.Length < 2 ? new ReadOnlySequence<byte>(bytes) : Split(bytes, Enumerable.Range(1, bytes.Length - 1).ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;
    }
}
