using System.Globalization;
using System.Numerics;

namespace PipelineHost.Engine.Scheduling;

/// <summary>
/// One parsed cron field: bit <c>n</c> of <see cref="Mask"/> is set when value <c>n</c> is allowed.
/// Day-of-week 7 is folded onto 0 (both are Sunday).
/// </summary>
internal readonly struct CronField
{
    private CronField(ulong mask, bool isStar)
    {
        Mask = mask;
        IsStar = isStar;
    }

    public ulong Mask { get; }

    /// <summary>
    /// True when the field text starts with <c>*</c> (<c>*</c>, <c>*/2</c>, ...). This is Vixie cron's DOM_STAR/DOW_STAR
    /// flag, which decides how day-of-month and day-of-week combine (see <see cref="CronExpression"/>).
    /// </summary>
    public bool IsStar { get; }

    public bool Contains(int value) => (Mask & (1UL << value)) != 0;

    /// <summary>The smallest allowed value that is <c>&gt;= from</c>, or -1 when there is none.</summary>
    public int NextFrom(int from)
    {
        if (from > 63)
            return -1;
        var rest = Mask & (ulong.MaxValue << from);
        return rest == 0 ? -1 : BitOperations.TrailingZeroCount(rest);
    }

    /// <summary>
    /// Parses a field: a comma-separated list of items, each <c>*</c>, <c>a</c>, <c>a-b</c>, <c>*/n</c>, <c>a-b/n</c> or
    /// <c>a/n</c> (= <c>a-max/n</c>). On failure <paramref name="error"/> describes the problem without the field name.
    /// </summary>
    public static bool TryParse(string text, CronFieldSpec spec, out CronField field, out string? error)
    {
        field = default;
        ulong mask = 0;
        foreach (var item in text.Split(','))
        {
            if (item.Length == 0)
            {
                error = $"'{text}' has an empty list item";
                return false;
            }

            if (!TryParseItem(item, spec, ref mask, out error))
                return false;
        }

        if (spec == CronFieldSpec.DayOfWeek && (mask & (1UL << 7)) != 0)
            mask = (mask & ~(1UL << 7)) | 1UL;

        field = new CronField(mask, text[0] == '*');
        error = null;
        return true;
    }

    private static bool TryParseItem(string item, CronFieldSpec spec, ref ulong mask, out string? error)
    {
        var slash = item.Split('/');
        if (slash.Length > 2)
        {
            error = $"'{item}' is not a value, range or step";
            return false;
        }

        var step = 1;
        if (slash.Length == 2)
        {
            if (slash[1].Length == 0)
            {
                error = $"'{item}' is missing its step";
                return false;
            }

            if (!int.TryParse(slash[1], NumberStyles.None, CultureInfo.InvariantCulture, out step))
            {
                error = $"step '{slash[1]}' is not a number";
                return false;
            }

            if (step < 1 || step > spec.Max)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"step {step} is outside 1-{spec.Max}");
                return false;
            }
        }

        int first, last;
        var range = slash[0];
        if (range == "*")
        {
            (first, last) = (spec.Min, spec.Max);
        }
        else
        {
            var dash = range.Split('-');
            if (dash.Length > 2)
            {
                error = $"'{item}' is not a value, range or step";
                return false;
            }

            if (dash.Any(part => part.Length == 0))
            {
                error = $"'{item}' is incomplete";
                return false;
            }

            if (!TryParseValue(dash[0], spec, out first, out error))
                return false;
            if (dash.Length == 1)
                last = slash.Length == 2 ? spec.Max : first;
            else if (!TryParseValue(dash[1], spec, out last, out error))
                return false;

            if (last < first)
            {
                error = $"range {range} is reversed (its start is after its end)";
                return false;
            }
        }

        for (var value = first; value <= last; value += step)
            mask |= 1UL << value;
        error = null;
        return true;
    }

    private static bool TryParseValue(string token, CronFieldSpec spec, out int value, out string? error)
    {
        error = null;
        if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out value))
        {
            if (value >= spec.Min && value <= spec.Max)
                return true;
            error = string.Create(CultureInfo.InvariantCulture, $"{value} is outside {spec.Min}-{spec.Max}");
            return false;
        }

        if (spec.Names is { } names)
        {
            var index = Array.FindIndex(names, name => string.Equals(name, token, StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                value = spec.Min + index;
                return true;
            }

            error = $"'{token}' is not a number or a name ({names[0]}-{names[^1]})";
            return false;
        }

        error = $"'{token}' is not a number";
        return false;
    }
}
