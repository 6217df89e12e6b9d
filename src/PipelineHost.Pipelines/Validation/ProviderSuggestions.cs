namespace PipelineHost.Pipelines.Validation;

/// <summary>The providers a catalogue has that are closest in spelling to one it lacks.</summary>
public static class ProviderSuggestions
{
    /// <summary>
    /// Up to <paramref name="count"/> of <paramref name="known"/> nearest to <paramref name="name"/> by edit
    /// distance (ties by name), each within half the longer name's length so unrelated names are not offered;
    /// a known name that starts or ends like the unknown one (RocketRide's <c>response_text</c> for our
    /// <c>response</c>) always counts as near.
    /// </summary>
    public static IReadOnlyList<string> Closest(string name, IEnumerable<string> known, int count = 3)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(known);
        return known
            .Select(k => (Name: k, Distance: Related(name, k) ? 0 : Distance(name, k)))
            .Where(k => k.Distance <= Math.Max(name.Length, k.Name.Length) / 2)
            .OrderBy(k => k.Distance)
            .ThenBy(k => k.Name, StringComparer.Ordinal)
            .Take(count)
            .Select(k => k.Name)
            .ToList();
    }

    private static bool Related(string name, string known) =>
        known.Length >= 4 && (name.StartsWith(known + "_", StringComparison.Ordinal) || name.EndsWith("_" + known, StringComparison.Ordinal));

    /// <summary>Levenshtein distance, case-insensitive.</summary>
    public static int Distance(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
