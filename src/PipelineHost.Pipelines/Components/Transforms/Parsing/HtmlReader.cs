using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace PipelineHost.Pipelines.Components.Transforms.Parsing;

/// <summary>
/// HTML to its visible text. AngleSharp parses the document as a browser would (encoding from the BOM or
/// <c>&lt;meta charset&gt;</c>, entities, unclosed tags, raw-text elements); this walk only lays the text out:
/// block elements separated by a blank line, <c>&lt;br&gt;</c> as a line break, table cells by a space, runs of
/// white space as one space, and script, style and other invisible elements left out.
/// </summary>
internal static class HtmlReader
{
    private static readonly HashSet<string> Hidden = new(StringComparer.Ordinal)
    {
        "SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE", "HEAD", "META", "LINK", "SVG", "IFRAME", "OBJECT",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.Ordinal)
    {
        "ADDRESS", "ARTICLE", "ASIDE", "BLOCKQUOTE", "BODY", "DD", "DETAILS", "DIV", "DL", "DT", "FIELDSET", "FIGCAPTION",
        "FIGURE", "FOOTER", "FORM", "H1", "H2", "H3", "H4", "H5", "H6", "HEADER", "HR", "LI", "MAIN", "NAV", "OL", "P",
        "PRE", "SECTION", "SUMMARY", "TABLE", "TR", "UL", "TITLE", "CAPTION", "THEAD", "TBODY", "TFOOT",
    };

    /// <summary>The visible text of the HTML document in <paramref name="bytes"/>.</summary>
    public static string ToText(ReadOnlyMemory<byte> bytes)
    {
        var parser = new HtmlParser();
        using var document = parser.ParseDocument(new MemoryStream(bytes.ToArray(), writable: false));
        return ToText(document);
    }

    /// <summary>The visible text of an HTML string (an e-mail's HTML body).</summary>
    public static string ToText(string html)
    {
        using var document = new HtmlParser().ParseDocument(html);
        return ToText(document);
    }

    private static string ToText(IDocument document)
    {
        var layout = new Layout();
        if (document.Head?.QuerySelector("title") is { } title)
        {
            Walk(title, layout);
        }

        if (document.Body is { } body)
        {
            Walk(body, layout);
        }

        return layout.ToString();
    }

    private static void Walk(INode node, Layout layout)
    {
        foreach (var child in node.ChildNodes)
        {
            switch (child)
            {
                case IText text:
                    layout.Text(text.Data);
                    break;
                case IElement element when element.LocalName == "br":
                    layout.Break(1);
                    break;
                case IElement element when element.LocalName is "td" or "th":
                    layout.Space();
                    Walk(element, layout);
                    layout.Space();
                    break;
                case IElement element when element.LocalName == "title":
                    layout.Break(2);
                    Walk(element, layout);
                    layout.Break(2);
                    break;
                case IElement element when Hidden.Contains(element.NodeName):
                    break;
                case IElement element when Blocks.Contains(element.NodeName):
                    layout.Break(2);
                    Walk(element, layout);
                    layout.Break(2);
                    break;
                case IElement element:
                    Walk(element, layout);
                    break;
            }
        }
    }

    /// <summary>Text with pending breaks and spaces that only materialise between two pieces of text.</summary>
    private sealed class Layout
    {
        private readonly StringBuilder _text = new();
        private int _breaks;
        private bool _space;

        public void Break(int lines) => _breaks = Math.Max(_breaks, lines);

        public void Space() => _space = true;

        public void Text(string data)
        {
            var start = 0;
            for (var i = 0; i <= data.Length; i++)
            {
                if (i < data.Length && !IsSpace(data[i]))
                {
                    continue;
                }

                if (i > start)
                {
                    Word(data.AsSpan(start, i - start));
                }

                if (i < data.Length)
                {
                    _space = true;
                }

                start = i + 1;
            }
        }

        private void Word(ReadOnlySpan<char> word)
        {
            if (_text.Length > 0)
            {
                if (_breaks > 0)
                {
                    _text.Append('\n', _breaks);
                }
                else if (_space)
                {
                    _text.Append(' ');
                }
            }

            _breaks = 0;
            _space = false;
            foreach (var c in word)
            {
                _text.Append(c == '\u00A0' ? ' ' : c);
            }
        }

        // A no-break space is kept inside a word (as a plain space) rather than splitting it.
        private static bool IsSpace(char c) => c is ' ' or '\t' or '\n' or '\r' or '\f';

        public override string ToString() => _text.ToString();
    }
}
