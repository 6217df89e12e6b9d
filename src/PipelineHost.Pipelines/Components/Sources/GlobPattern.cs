using System.Text;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Components.Sources;

/// <summary>
/// A file glob matched against a relative path with <c>/</c> separators. Supports <c>*</c> (any run of
/// characters within one path segment), <c>?</c> (one character other than <c>/</c>), <c>**</c> as a whole
/// segment (any number of directories, including none) and <c>{a,b}</c> alternatives (nestable). Everything
/// else matches itself; matching is ordinal and covers the whole path.
/// </summary>
public sealed class GlobPattern
{
    /// <summary>The most alternatives one pattern may expand to through its braces.</summary>
    public const int MaxAlternatives = 256;

    private readonly Regex _regex;

    private GlobPattern(string pattern, Regex regex)
    {
        Pattern = pattern;
        _regex = regex;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>.</summary>
    /// <exception cref="ArgumentException">The pattern is empty or its braces expand to too many alternatives.</exception>
    public static GlobPattern Parse(string pattern)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var alternatives = ExpandBraces(pattern.Replace('\\', '/'));
        var regex = new StringBuilder("^(?:");
        for (var i = 0; i < alternatives.Count; i++)
        {
            if (i > 0)
            {
                regex.Append('|');
            }

            Translate(alternatives[i], regex);
        }

        regex.Append(")$");
        // Non-backtracking: matching time is linear in the path, whatever the pattern.
        return new GlobPattern(pattern, new Regex(regex.ToString(), RegexOptions.CultureInvariant | RegexOptions.NonBacktracking));
    }

    /// <summary>True when <paramref name="relativePath"/> (separated by <c>/</c>) matches the whole pattern.</summary>
    public bool IsMatch(string relativePath) => _regex.IsMatch(relativePath);

    /// <inheritdoc />
    public override string ToString() => Pattern;

    /// <summary>Expands the first top-level <c>{...}</c> group and recurses: "a{b,c}d" → "abd", "acd".</summary>
    internal static List<string> ExpandBraces(string pattern)
    {
        var results = new List<string>();
        Expand(pattern, results);
        return results;

        static void Expand(string pattern, List<string> results)
        {
            var open = pattern.IndexOf('{', StringComparison.Ordinal);
            var close = open < 0 ? -1 : FindClose(pattern, open);
            if (close < 0)
            {
                // No (balanced) group left: what remains is literal.
                results.Add(pattern);
                return;
            }

            var prefix = pattern[..open];
            var suffix = pattern[(close + 1)..];
            foreach (var option in SplitTopLevel(pattern[(open + 1)..close]))
            {
                Expand(prefix + option + suffix, results);
                if (results.Count > MaxAlternatives)
                {
                    throw new ArgumentException($"The glob '{pattern}' expands to more than {MaxAlternatives} alternatives.", nameof(pattern));
                }
            }
        }

        static int FindClose(string pattern, int open)
        {
            var depth = 0;
            for (var i = open; i < pattern.Length; i++)
            {
                if (pattern[i] == '{')
                {
                    depth++;
                }
                else if (pattern[i] == '}' && --depth == 0)
                {
                    return i;
                }
            }

            return -1;
        }

        static List<string> SplitTopLevel(string body)
        {
            var parts = new List<string>();
            var depth = 0;
            var start = 0;
            for (var i = 0; i < body.Length; i++)
            {
                switch (body[i])
                {
                    case '{':
                        depth++;
                        break;
                    case '}':
                        depth--;
                        break;
                    case ',' when depth == 0:
                        parts.Add(body[start..i]);
                        start = i + 1;
                        break;
                }
            }

            parts.Add(body[start..]);
            return parts;
        }
    }

    private static void Translate(string glob, StringBuilder regex)
    {
        var i = 0;
        while (i < glob.Length)
        {
            var c = glob[i];
            var segmentStart = i == 0 || glob[i - 1] == '/';
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                var end = i + 2;
                while (end < glob.Length && glob[end] == '*')
                {
                    end++;
                }

                var segmentEnd = end == glob.Length || glob[end] == '/';
                if (segmentStart && segmentEnd)
                {
                    if (end == glob.Length)
                    {
                        // "**" or "dir/**": everything below.
                        regex.Append(".*");
                        i = end;
                    }
                    else
                    {
                        // "**/": zero or more whole directories.
                        regex.Append("(?:[^/]*/)*");
                        i = end + 1;
                    }

                    continue;
                }

                // "a**b" is not a globstar: it behaves as '*'.
                regex.Append("[^/]*");
                i = end;
                continue;
            }

            regex.Append(c switch
            {
                '*' => "[^/]*",
                '?' => "[^/]",
                _ => Regex.Escape(glob[i..(i + 1)]),
            });
            i++;
        }
    }
}
