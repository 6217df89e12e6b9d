using System.Globalization;
using System.Text.RegularExpressions;

namespace PipelineHost.Pipelines.Components;

/// <summary>Regular expressions from config: compiled once per task, with a match timeout so a bad pattern cannot hang a worker.</summary>
internal static class ComponentRegex
{
    /// <summary>How long one match may run.</summary>
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Compiles <paramref name="pattern"/>; a config error names <paramref name="provider"/> and <paramref name="field"/> when it is invalid.</summary>
    public static Regex Create(string provider, string field, string pattern, RegexOptions options = RegexOptions.None)
    {
        try
        {
            return new Regex(pattern, options | RegexOptions.CultureInvariant, MatchTimeout);
        }
        catch (ArgumentException ex)
        {
            throw new ComponentConfigException($"{provider}: config.{field} is not a valid regular expression: {ex.Message}");
        }
    }

    /// <summary>Runs <paramref name="match"/>, turning a timeout into a clear failure of the object.</summary>
    public static T Run<T>(string provider, Regex regex, Func<Regex, T> match)
    {
        try
        {
            return match(regex);
        }
        catch (RegexMatchTimeoutException ex)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"{provider}: the pattern '{regex}' took longer than {MatchTimeout.TotalSeconds} s on this object's text and was stopped."), ex);
        }
    }
}
