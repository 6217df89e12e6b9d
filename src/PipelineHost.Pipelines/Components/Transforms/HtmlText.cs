using System.Net;
using System.Text;

namespace PipelineHost.Pipelines.Components.Transforms;

/// <summary>
/// The visible text of an HTML document: tags, comments, <c>script</c>/<c>style</c>/<c>template</c> content
/// dropped, entities decoded, whitespace collapsed; block elements start new lines (a blank line around
/// paragraph-like blocks), table cells are separated by a space. Not a full HTML parser: enough for indexing.
/// </summary>
internal static class HtmlText
{
    private static readonly HashSet<string> Hidden = new(StringComparer.Ordinal) { "script", "style", "template" };

    private static readonly HashSet<string> ParagraphBlocks = new(StringComparer.Ordinal)
    {
        "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "ul", "ol", "dl", "section", "article",
        "header", "footer", "nav", "aside", "main", "figure", "form", "hr", "address", "fieldset", "details",
    };

    private static readonly HashSet<string> LineBlocks = new(StringComparer.Ordinal)
    {
        "br", "div", "li", "tr", "dt", "dd", "title", "option", "figcaption", "summary", "caption", "html", "head", "body", "legend",
    };

    private static readonly HashSet<string> Cells = new(StringComparer.Ordinal) { "td", "th" };

    /// <summary>Converts <paramref name="html"/> to its visible text.</summary>
    public static string ToText(string html)
    {
        var output = new StringBuilder();
        var line = new StringBuilder();
        var pendingBreak = 0;
        var i = 0;
        while (i < html.Length)
        {
            var c = html[i];
            if (c != '<')
            {
                line.Append(c);
                i++;
                continue;
            }

            if (string.CompareOrdinal(html, i, "<!--", 0, 4) == 0)
            {
                var end = html.IndexOf("-->", i + 4, StringComparison.Ordinal);
                i = end < 0 ? html.Length : end + 3;
                continue;
            }

            var j = i + 1;
            if (j < html.Length && html[j] is '!' or '?')
            {
                // Doctype, CDATA marker or processing instruction.
                var end = html.IndexOf('>', j);
                i = end < 0 ? html.Length : end + 1;
                continue;
            }

            var closing = j < html.Length && html[j] == '/';
            if (closing)
            {
                j++;
            }

            if (j >= html.Length || !char.IsAsciiLetter(html[j]))
            {
                // A '<' that starts no tag is text.
                line.Append(c);
                i++;
                continue;
            }

            var nameStart = j;
            while (j < html.Length && (char.IsAsciiLetterOrDigit(html[j]) || html[j] is '-' or ':'))
            {
                j++;
            }

            var name = html[nameStart..j].ToLowerInvariant();
            var tagEnd = FindTagEnd(html, j);
            var selfClosing = tagEnd > 0 && html[tagEnd - 1] == '/';
            i = tagEnd + 1;

            if (!closing && !selfClosing && Hidden.Contains(name))
            {
                i = SkipElement(html, name, i);
                continue;
            }

            if (ParagraphBlocks.Contains(name))
            {
                Break(2);
            }
            else if (LineBlocks.Contains(name))
            {
                Break(1);
            }
            else if (Cells.Contains(name))
            {
                line.Append(' ');
            }
        }

        Break(0);
        return output.ToString();

        void Break(int strength)
        {
            var text = Collapse(WebUtility.HtmlDecode(line.ToString()));
            line.Clear();
            if (text.Length > 0)
            {
                if (output.Length > 0)
                {
                    output.Append('\n', Math.Max(pendingBreak, 1));
                }

                output.Append(text);
                pendingBreak = 0;
            }

            pendingBreak = Math.Max(pendingBreak, strength);
        }
    }

    /// <summary>The index of the '>' closing a tag whose name ends at <paramref name="start"/>, skipping quoted attribute values.</summary>
    private static int FindTagEnd(string html, int start)
    {
        char quote = '\0';
        for (var i = start; i < html.Length; i++)
        {
            var c = html[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (c == '>')
            {
                return i;
            }
        }

        return html.Length - 1;
    }

    /// <summary>The index just past <c>&lt;/name&gt;</c>, or the end when the element is not closed.</summary>
    private static int SkipElement(string html, string name, int start)
    {
        var close = html.IndexOf("</" + name, start, StringComparison.OrdinalIgnoreCase);
        if (close < 0)
        {
            return html.Length;
        }

        var end = html.IndexOf('>', close);
        return end < 0 ? html.Length : end + 1;
    }

    private static string Collapse(string text)
    {
        var result = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = result.Length > 0;
                continue;
            }

            if (space)
            {
                result.Append(' ');
                space = false;
            }

            result.Append(c);
        }

        return result.ToString();
    }
}
