using System.Text;

namespace PipelineHost.Engine.Tests.Scheduling;

/// <summary>
/// A random cron expression together with the values each field allows, worked out while generating the text and so
/// independently of the parser under test; <see cref="Matches"/> is the brute-force matcher the property tests use.
/// </summary>
internal sealed class CronModel
{
    private static readonly string[] MonthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
    private static readonly string[] DayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    private static readonly char[] IntervalMarks = ['*', '-', '/'];

    private readonly bool[] minutes;
    private readonly bool[] hours;
    private readonly bool[] days;
    private readonly bool[] months;
    private readonly bool[] weekdays;
    private readonly bool dayIsStar;
    private readonly bool weekdayIsStar;

    private CronModel(string[] texts, bool[][] allowed)
    {
        Text = string.Join(' ', texts);
        (minutes, hours, days, months) = (allowed[0], allowed[1], allowed[2], allowed[3]);
        weekdays = new bool[7];
        for (var day = 0; day <= 7; day++)
            weekdays[day % 7] |= allowed[4][day];
        dayIsStar = texts[2].StartsWith('*');
        weekdayIsStar = texts[4].StartsWith('*');
        IsInterval = texts[0].IndexOfAny(IntervalMarks) >= 0 || texts[1].IndexOfAny(IntervalMarks) >= 0;
    }

    public string Text { get; }

    /// <summary>
    /// True when the minute or hour field has <c>*</c>, a range or a step: such a schedule fires in both passes through
    /// a wall-clock time repeated by a fall-back (Cronos's rule), a fixed one only in the first.
    /// </summary>
    public bool IsInterval { get; }

    /// <summary>
    /// A random expression. With <paramref name="everyDay"/> the three day fields are <c>*</c>, so the expression fires
    /// at least once a day (bar DST gaps) and a minute-by-minute search stays short. With <paramref name="lateDays"/>
    /// the day of month is 28-31 and the month one of the short ones, which gives rare and impossible dates.
    /// </summary>
    public static CronModel Create(Random rng, bool everyDay, bool lateDays = false)
    {
        var minute = Field(rng, 0, 59, null, 0);
        var hour = Field(rng, 0, 23, null, 0);
        var day = everyDay ? Star(1, 31) : lateDays ? Pick(rng, 31, [28, 29, 30, 31]) : Field(rng, 1, 31, null, 50);
        var month = everyDay ? Star(1, 12) : lateDays ? Pick(rng, 12, [2, 4, 6, 9, 11]) : Field(rng, 1, 12, MonthNames, 50);
        var weekday = everyDay ? Star(0, 7) : Field(rng, 0, 7, DayNames, 50);
        return new CronModel(
            [minute.Text, hour.Text, day.Text, month.Text, weekday.Text],
            [minute.Allowed, hour.Allowed, day.Allowed, month.Allowed, weekday.Allowed]);
    }

    /// <summary>True when the wall-clock minute matches (Vixie rule for the two day fields).</summary>
    public bool Matches(DateTime local) => minutes[local.Minute] && hours[local.Hour] && DateMatches(local);

    /// <summary>True when some minute of this date matches (minutes and hours are never empty).</summary>
    public bool DateMatches(DateTime date)
    {
        if (!months[date.Month])
            return false;
        var dayOfMonth = days[date.Day];
        var dayOfWeek = weekdays[(int)date.DayOfWeek];
        return dayIsStar || weekdayIsStar ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
    }

    public override string ToString() => Text;

    private static (string Text, bool[] Allowed) Star(int min, int max)
    {
        var allowed = new bool[max + 1];
        Mark(allowed, min, max, 1);
        return ("*", allowed);
    }

    /// <summary>A list of one to three of <paramref name="values"/>.</summary>
    private static (string Text, bool[] Allowed) Pick(Random rng, int max, int[] values)
    {
        var allowed = new bool[max + 1];
        var picked = values.Where(_ => rng.Next(3) == 0).DefaultIfEmpty(values[rng.Next(values.Length)]).Take(3).ToArray();
        foreach (var value in picked)
            allowed[value] = true;
        return (string.Join(',', picked), allowed);
    }

    private static (string Text, bool[] Allowed) Field(Random rng, int min, int max, string[]? names, int starPercent)
    {
        if (rng.Next(100) < starPercent)
            return Star(min, max);

        var allowed = new bool[max + 1];
        var count = rng.Next(4) == 0 ? rng.Next(2, 5) : 1;
        var items = new List<string>();
        for (var i = 0; i < count; i++)
            items.Add(Item(rng, min, max, names, allowed));
        return (string.Join(',', items), allowed);
    }

    private static string Item(Random rng, int min, int max, string[]? names, bool[] allowed)
    {
        var a = rng.Next(min, max + 1);
        var b = rng.Next(a, max + 1);
        var step = rng.Next(1, rng.Next(2) == 0 ? 4 : max + 1);
        switch (rng.Next(7))
        {
            case 0:
                Mark(allowed, min, max, 1);
                return "*";
            case 1:
                Mark(allowed, min, max, step);
                return $"*/{step}";
            case 2:
                Mark(allowed, a, b, 1);
                return $"{Value(rng, a, min, names)}-{Value(rng, b, min, names)}";
            case 3:
                Mark(allowed, a, b, step);
                return $"{Value(rng, a, min, names)}-{Value(rng, b, min, names)}/{step}";
            case 4:
                Mark(allowed, a, max, step);
                return $"{Value(rng, a, min, names)}/{step}";
            default:
                Mark(allowed, a, a, 1);
                return Value(rng, a, min, names);
        }
    }

    private static void Mark(bool[] allowed, int first, int last, int step)
    {
        for (var value = first; value <= last; value += step)
            allowed[value] = true;
    }

    /// <summary>The number, or half the time its name in random letter case when it has one.</summary>
    private static string Value(Random rng, int value, int min, string[]? names)
    {
        var index = value - min;
        if (names is null || index >= names.Length || rng.Next(2) == 0)
            return value.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var name = new StringBuilder();
        foreach (var letter in names[index])
            name.Append(rng.Next(2) == 0 ? letter : char.ToLowerInvariant(letter));
        return name.ToString();
    }
}
