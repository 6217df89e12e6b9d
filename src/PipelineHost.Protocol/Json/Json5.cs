using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Protocol.Json;

/// <summary>
/// Reads JSON5 as RocketRide's SDKs accept it in <c>.pipe</c> files (the Python SDK loads them with <c>json5</c>):
/// comments, trailing commas, unquoted keys and single-quoted strings.
/// </summary>
/// <remarks>
/// No JSON5 library is served to us, so System.Text.Json does the parsing: it already skips comments and allows
/// trailing commas. What it lacks, unquoted keys and single-quoted strings, is rewritten here into plain JSON on the
/// same lines, and its error positions are mapped back to the text as written. The rest of JSON5 (hexadecimal
/// numbers, <c>Infinity</c>/<c>NaN</c>, a leading <c>+</c> or <c>.</c>, strings continued over lines) is refused
/// with its position: pipeline files do not use it.
/// </remarks>
public static class Json5
{
    /// <summary>Parses <paramref name="text"/>; null for the literal <c>null</c>.</summary>
    /// <exception cref="Json5Exception">The text is not JSON5; the message and the properties give line and column.</exception>
    public static JsonNode? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rewrite = Rewrite(text);
        try
        {
            // Held to the checks of client JSON: a duplicate key or a lone surrogate is refused here, not met later.
            return StrictJson.ParseRelaxed(Encoding.UTF8.GetBytes(rewrite.Json));
        }
        catch (JsonException ex)
        {
            var (line, column) = rewrite.Locate(ex.LineNumber ?? 0, ex.BytePositionInLine ?? 0);
            throw new Json5Exception(Reason(ex.Message), line, column, ex);
        }
    }

    // System.Text.Json appends the position in the rewritten text: the caller gets the original one instead.
    private static string Reason(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return (cut < 0 ? message : message[..cut]).TrimEnd('.', ' ');
    }

    private static Rewritten Rewrite(string text)
    {
        var json = new StringBuilder(text.Length + 64);

        // Where the rewritten text drifts from the original: (offset in json, offset in text), in order.
        var anchors = new List<(int Json, int Text)>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"')
            {
                var end = StringEnd(text, i, '"');
                json.Append(text, i, end - i);
                i = end;
            }
            else if (c == '\'')
            {
                var end = StringEnd(text, i, '\'');
                json.Append('"');
                for (var k = i + 1; k < end - 1; k++)
                {
                    if (text[k] == '\\' && text[k + 1] == '\'')
                    {
                        json.Append('\'');
                        k++;
                        anchors.Add((json.Length, k + 1));
                    }
                    else if (text[k] == '\\')
                    {
                        json.Append(text, k, 2);
                        k++;
                    }
                    else if (text[k] == '"')
                    {
                        json.Append("\\\"");
                        anchors.Add((json.Length, k + 1));
                    }
                    else
                    {
                        json.Append(text[k]);
                    }
                }

                json.Append('"');
                i = end;
            }
            else if (c == '/' && i + 1 < text.Length && text[i + 1] is '/' or '*')
            {
                var end = CommentEnd(text, i);
                json.Append(text, i, end - i);
                i = end;
            }
            else if (IsIdentifierStart(c))
            {
                var end = i + 1;
                while (end < text.Length && IsIdentifierPart(text[end]))
                {
                    end++;
                }

                if (IsKey(text, end))
                {
                    json.Append('"');
                    anchors.Add((json.Length, i));
                    json.Append(text, i, end - i).Append('"');
                    anchors.Add((json.Length, end));
                }
                else
                {
                    json.Append(text, i, end - i); // true, false, null, or a word System.Text.Json refuses with its position
                }

                i = end;
            }
            else
            {
                json.Append(c);
                i++;
            }
        }

        return new Rewritten(json.ToString(), text, anchors);
    }

    /// <summary>The offset just past the string opening at <paramref name="start"/> with <paramref name="quote"/>.</summary>
    private static int StringEnd(string text, int start, char quote)
    {
        for (var k = start + 1; k < text.Length; k++)
        {
            if (text[k] == '\\')
            {
                k++;
            }
            else if (text[k] == quote)
            {
                return k + 1;
            }
            else if (text[k] is '\n' or '\r')
            {
                break;
            }
        }

        throw Unterminated(text, start, "string");
    }

    private static int CommentEnd(string text, int start)
    {
        if (text[start + 1] == '/')
        {
            var newline = text.IndexOf('\n', start);
            return newline < 0 ? text.Length : newline;
        }

        var close = text.IndexOf("*/", start + 2, StringComparison.Ordinal);
        return close >= 0 ? close + 2 : throw Unterminated(text, start, "comment");
    }

    // An identifier is a key when a colon follows it, past white space and comments.
    private static bool IsKey(string text, int end)
    {
        var k = end;
        while (k < text.Length)
        {
            if (char.IsWhiteSpace(text[k]))
            {
                k++;
            }
            else if (text[k] == '/' && k + 1 < text.Length && text[k + 1] is '/' or '*')
            {
                k = CommentEnd(text, k);
            }
            else
            {
                return text[k] == ':';
            }
        }

        return false;
    }

    private static bool IsIdentifierStart(char c) => char.IsLetter(c) || c is '_' or '$';

    private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c is '_' or '$';

    private static Json5Exception Unterminated(string text, int offset, string what)
    {
        var (line, column) = Position(text, offset);
        return new Json5Exception($"This {what} is not closed", line, column);
    }

    /// <summary>The 1-based line and column of <paramref name="offset"/> in <paramref name="text"/>.</summary>
    private static (int Line, int Column) Position(string text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        var line = 1;
        var lineStart = 0;
        for (var k = 0; k < offset; k++)
        {
            if (text[k] == '\n')
            {
                line++;
                lineStart = k + 1;
            }
        }

        return (line, offset - lineStart + 1);
    }

    private sealed record Rewritten(string Json, string Text, List<(int Json, int Text)> Anchors)
    {
        /// <summary>The original line and column of a 0-based (line, UTF-8 byte in line) position in <see cref="Json"/>.</summary>
        public (int Line, int Column) Locate(long line, long byteInLine)
        {
            var offset = 0;
            for (var l = 0L; l < line && offset < Json.Length; l++)
            {
                var newline = Json.IndexOf('\n', offset);
                offset = newline < 0 ? Json.Length : newline + 1;
            }

            for (long bytes = 0; offset < Json.Length && Json[offset] != '\n' && bytes < byteInLine; offset++)
            {
                var c = Json[offset];
                bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : char.IsSurrogate(c) ? 2 : 3; // a surrogate pair is 4 bytes, 2 per half
            }

            var anchor = (Json: 0, Text: 0);
            foreach (var candidate in Anchors)
            {
                if (candidate.Json > offset)
                {
                    break;
                }

                anchor = candidate;
            }

            return Position(Text, anchor.Text + (offset - anchor.Json));
        }
    }
}

/// <summary>Text that is not JSON5: what is wrong and where, as a person counts (line and column from 1).</summary>
public sealed class Json5Exception : FormatException
{
    /// <summary>Creates the exception; the message ends with the position.</summary>
    public Json5Exception(string reason, int line, int column, Exception? inner = null)
        : base(string.Create(CultureInfo.InvariantCulture, $"{reason} (line {line}, column {column})"), inner)
    {
        Reason = reason;
        Line = line;
        Column = column;
    }

    /// <summary>What is wrong, without the position.</summary>
    public string Reason { get; }

    /// <summary>The line, from 1.</summary>
    public int Line { get; }

    /// <summary>The column, from 1, in characters.</summary>
    public int Column { get; }
}
