using System.Text;

namespace PipelineHost.Pipelines.Components.Entities;

/// <summary>
/// Gathers an object's text items into pieces that end on a line break, so an entity split between two items is
/// still seen whole (no entity spans a line). A line longer than <see cref="MaxHeld"/> is released at its last
/// space instead, so memory stays bounded. Tracks the offset of each piece in the object's whole text.
/// </summary>
internal sealed class LineBuffer
{
    /// <summary>The most text held back waiting for a line break.</summary>
    public const int MaxHeld = 1024 * 1024;

    private readonly StringBuilder _held = new();

    /// <summary>Offset, in the object's text, of the next piece returned.</summary>
    public long Offset { get; private set; }

    /// <summary>Adds <paramref name="text"/>; returns the whole lines now complete (and their offset), or null.</summary>
    public (string Text, long Offset)? Add(string text)
    {
        _held.Append(text);
        var cut = LastIndexOf(_held, '\n');
        if (cut < 0 && _held.Length > MaxHeld)
        {
            cut = LastIndexOf(_held, ' ');
        }

        return cut < 0 ? null : Take(cut + 1);
    }

    /// <summary>Everything still held, at the end of the object; null when nothing is.</summary>
    public (string Text, long Offset)? Flush() => _held.Length == 0 ? null : Take(_held.Length);

    private (string, long) Take(int length)
    {
        var piece = _held.ToString(0, length);
        _held.Remove(0, length);
        var offset = Offset;
        Offset += length;
        return (piece, offset);
    }

    private static int LastIndexOf(StringBuilder builder, char c)
    {
        for (var i = builder.Length - 1; i >= 0; i--)
        {
            if (builder[i] == c)
            {
                return i;
            }
        }

        return -1;
    }
}
