using System.Diagnostics.CodeAnalysis;

namespace PipelineHost.Engine.Scheduling;

/// <summary>
/// A five-field cron expression (<c>minute hour day-of-month month day-of-week</c>) with Vixie cron semantics.
/// </summary>
/// <remarks>
/// <para>Day matching follows Vixie cron: when the day-of-month or the day-of-week field starts with <c>*</c>
/// (<c>*</c>, <c>*/2</c>, ...) a day must match both fields, which for a plain <c>*</c> means "only the other field
/// applies"; when neither starts with <c>*</c> a day matches when either field matches (<c>30 4 1,15 * 5</c> fires on
/// the 1st, the 15th and every Friday).</para>
/// <para>Occurrences are computed on the wall clock of a time zone. A wall-clock time skipped by a spring-forward gap
/// does not fire at all; a wall-clock time repeated by a fall-back overlap fires once, at its first (daylight-time)
/// instant.</para>
/// </remarks>
internal sealed class CronExpression
{
    /// <summary>
    /// How far <see cref="NextOccurrence"/> searches. The Gregorian calendar repeats every 400 years (146,097 days, a
    /// whole number of weeks), so a pattern with no match in 400 consecutive years never matches.
    /// </summary>
    internal const int SearchYears = 400;

    /// <summary>The search never goes past this wall-clock time (keeps the date arithmetic inside DateTime's range).</summary>
    private static readonly DateTime SearchEnd = new(9999, 1, 1, 0, 0, 0, DateTimeKind.Unspecified);

    private static readonly CronFieldSpec[] Specs =
        [CronFieldSpec.Minute, CronFieldSpec.Hour, CronFieldSpec.DayOfMonth, CronFieldSpec.Month, CronFieldSpec.DayOfWeek];

    // Maximum length of each month, February counting its leap day.
    private static readonly int[] MaxDaysInMonth = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

    private readonly CronField minutes;
    private readonly CronField hours;
    private readonly CronField daysOfMonth;
    private readonly CronField months;
    private readonly CronField daysOfWeek;

    private CronExpression(CronField[] fields)
    {
        (minutes, hours, daysOfMonth, months, daysOfWeek) = (fields[0], fields[1], fields[2], fields[3], fields[4]);
        CanEverMatch = ComputeCanEverMatch();
    }

    /// <summary>
    /// False for patterns no calendar date satisfies, such as <c>0 0 30 2 *</c> (February 30th). Every valid
    /// month/day pair falls on every weekday at some point, so only the month and day-of-month fields matter here.
    /// </summary>
    public bool CanEverMatch { get; }

    /// <summary>
    /// Parses the five fields of <paramref name="text"/>. On failure <paramref name="error"/> is the full message and
    /// <paramref name="failedField"/> the name of the field at fault.
    /// </summary>
    public static bool TryParse(
        IReadOnlyList<string> fields,
        string text,
        [NotNullWhen(true)] out CronExpression? expression,
        [NotNullWhen(false)] out string? failedField,
        [NotNullWhen(false)] out string? error)
    {
        var parsed = new CronField[Specs.Length];
        for (var i = 0; i < Specs.Length; i++)
        {
            if (!CronField.TryParse(fields[i], Specs[i], out parsed[i], out var detail))
            {
                expression = null;
                failedField = Specs[i].Name;
                error = $"Invalid cron field '{failedField}' in '{text}': {detail}.";
                return false;
            }
        }

        expression = new CronExpression(parsed);
        failedField = null;
        error = null;
        return true;
    }

    /// <summary>True when the wall-clock minute <paramref name="local"/> (seconds ignored) matches.</summary>
    public bool Matches(DateTime local) =>
        minutes.Contains(local.Minute) && hours.Contains(local.Hour) && months.Contains(local.Month) && DayMatches(local);

    /// <summary>
    /// The first instant strictly after <paramref name="after"/> whose wall-clock time in <paramref name="zone"/>
    /// matches, or null when there is none within <see cref="SearchYears"/> years (i.e. never).
    /// </summary>
    public DateTimeOffset? NextOccurrence(DateTimeOffset after, TimeZoneInfo zone)
    {
        if (!CanEverMatch || after.UtcDateTime >= SearchEnd)
            return null;

        var local = TimeZoneInfo.ConvertTime(after, zone).DateTime;
        var start = new DateTime(local.Ticks - (local.Ticks % TimeSpan.TicksPerMinute), DateTimeKind.Unspecified).AddMinutes(1);
        var limit = start < SearchEnd.AddYears(-SearchYears) ? start.AddYears(SearchYears) : SearchEnd;

        for (var candidate = NextWallClock(start, limit); candidate is { } wall; candidate = NextWallClock(wall.AddMinutes(1), limit))
        {
            if (zone.IsInvalidTime(wall))
                continue; // skipped by a spring-forward gap: does not fire

            // A repeated (fall-back) wall-clock time fires once, at its first instant: the one with the larger offset.
            var offset = zone.IsAmbiguousTime(wall) ? zone.GetAmbiguousTimeOffsets(wall).Max() : zone.GetUtcOffset(wall);
            var occurrence = new DateTimeOffset(wall, offset);
            if (occurrence > after)
                return occurrence;
        }

        return null;
    }

    /// <summary>
    /// The first matching wall-clock minute at or after <paramref name="t"/> and before <paramref name="limit"/>.
    /// Skips whole months, days and hours that cannot match, so each step is cheap and the number of steps is bounded
    /// by roughly 12 + 31 per year searched.
    /// </summary>
    private DateTime? NextWallClock(DateTime t, DateTime limit)
    {
        while (t < limit)
        {
            if (!months.Contains(t.Month))
            {
                var month = months.NextFrom(t.Month + 1);
                t = month < 0 ? new DateTime(t.Year + 1, 1, 1) : new DateTime(t.Year, month, 1);
                continue;
            }

            if (!DayMatches(t))
            {
                t = t.Date.AddDays(1);
                continue;
            }

            var hour = hours.NextFrom(t.Hour);
            if (hour < 0)
            {
                t = t.Date.AddDays(1);
                continue;
            }

            var minute = minutes.NextFrom(hour == t.Hour ? t.Minute : 0);
            if (minute < 0)
            {
                t = t.Date.AddHours(hour + 1);
                continue;
            }

            return t.Date.AddHours(hour).AddMinutes(minute);
        }

        return null;
    }

    private bool DayMatches(DateTime date)
    {
        var dayOfMonth = daysOfMonth.Contains(date.Day);
        var dayOfWeek = daysOfWeek.Contains((int)date.DayOfWeek);
        return daysOfMonth.IsStar || daysOfWeek.IsStar ? dayOfMonth && dayOfWeek : dayOfMonth || dayOfWeek;
    }

    private bool ComputeCanEverMatch()
    {
        if (!daysOfMonth.IsStar && !daysOfWeek.IsStar)
            return true; // either field may match, and every month has every weekday

        var firstDay = daysOfMonth.NextFrom(1); // a parsed field is never empty
        return Enumerable.Range(1, 12).Any(month => months.Contains(month) && firstDay <= MaxDaysInMonth[month]);
    }
}
