using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PipelineHost.Engine.Scheduling;

/// <summary>
/// A deployment's <c>schedule</c>: <c>manual</c> (never fires by itself), an @-macro, or a five-field cron expression
/// <c>minute hour day-of-month month day-of-week</c> with Vixie cron semantics.
/// </summary>
/// <remarks>
/// <para>Cron fields: minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 (0 and 7 are
/// Sunday) or SUN-SAT; names are case-insensitive. Each field is a comma-separated list of <c>*</c>, <c>a</c>,
/// <c>a-b</c>, <c>*/n</c>, <c>a-b/n</c> or <c>a/n</c> (= <c>a-max/n</c>, so day-of-week <c>1/2</c> includes 7, Sunday);
/// names may be used in ranges (<c>MON-FRI</c>). A step is 1 up to the field's maximum.</para>
/// <para>Day-of-month and day-of-week combine as in Vixie cron: if either field starts with <c>*</c> a day must match
/// both (so a plain <c>*</c> leaves only the other field, and <c>0 0 */2 * MON</c> fires on odd-numbered Mondays only);
/// otherwise a day matches when either field matches (<c>30 4 1,15 * 5</c>: the 1st, the 15th and every Friday).</para>
/// <para>Occurrences have minute resolution and are computed on the wall clock of the given time zone (UTC by
/// default). A wall-clock time skipped by a spring-forward gap does not fire; a time repeated by a fall-back overlap
/// fires once, at its first instant.</para>
/// <para>Patterns no date satisfies (<c>0 0 30 2 *</c>) are recognised when parsed and never fire. Otherwise the search
/// covers 400 years, a full Gregorian cycle of dates and weekdays, so it misses nothing (<c>0 0 29 2 *</c> finds the
/// next February 29th, eight years away across 2100); it never goes past the end of year 9998.</para>
/// </remarks>
public sealed class Schedule
{
    private const string ManualText = "manual";

    private const string ExpectedForms =
        "expected 'manual', an @-macro (@hourly, @daily, @weekly, @monthly, @yearly) or 5 cron fields " +
        "(minute hour day-of-month month day-of-week)";

    private static readonly (string Name, string Cron)[] Macros =
    [
        ("@hourly", "0 * * * *"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@weekly", "0 0 * * 0"),
        ("@monthly", "0 0 1 * *"),
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
    ];

    private readonly CronExpression? cron;

    private Schedule(string text, CronExpression? cron)
    {
        Text = text;
        this.cron = cron;
    }

    /// <summary>The schedule that never fires by itself.</summary>
    public static Schedule Manual { get; } = new(ManualText, null);

    /// <summary>
    /// The normalised text: <c>manual</c>, a lower-case macro (<c>@daily</c>), or the five cron fields upper-cased and
    /// separated by single spaces (<c>0 9-17/2 * * MON-FRI</c>).
    /// </summary>
    public string Text { get; }

    /// <summary>True for <c>manual</c>: <see cref="NextOccurrence"/> is always null.</summary>
    public bool IsManual => cron is null;

    /// <summary>Parses a schedule string.</summary>
    /// <exception cref="ScheduleFormatException">The text is not a valid schedule; the message names the bad field.</exception>
    public static Schedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var schedule, out var field, out var error)
            ? schedule
            : throw new ScheduleFormatException(error, text, field);
    }

    /// <summary>Parses a schedule string; on failure <paramref name="error"/> is the message <see cref="Parse"/> would throw.</summary>
    public static bool TryParse(
        string? text,
        [NotNullWhen(true)] out Schedule? schedule,
        [NotNullWhen(false)] out string? error) =>
        TryParse(text ?? string.Empty, out schedule, out _, out error);

    /// <summary>
    /// The first occurrence strictly after <paramref name="after"/>, evaluated on the wall clock of
    /// <paramref name="zone"/> (UTC when null) and expressed with that zone's offset at that instant. Null for
    /// <c>manual</c> and for patterns that never match (searched over 400 years, a full Gregorian cycle).
    /// </summary>
    public DateTimeOffset? NextOccurrence(DateTimeOffset after, TimeZoneInfo? zone = null) =>
        cron?.NextOccurrence(after, zone ?? TimeZoneInfo.Utc);

    /// <inheritdoc />
    public override string ToString() => Text;

    private static bool TryParse(
        string text,
        [NotNullWhen(true)] out Schedule? schedule,
        out string? failedField,
        [NotNullWhen(false)] out string? error)
    {
        schedule = null;
        failedField = null;
        var trimmed = text.Trim();

        if (string.Equals(trimmed, ManualText, StringComparison.OrdinalIgnoreCase))
        {
            schedule = Manual;
            error = null;
            return true;
        }

        var fields = trimmed.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string normalised;
        if (trimmed.StartsWith('@'))
        {
            var macro = Array.Find(Macros, m => string.Equals(m.Name, trimmed, StringComparison.OrdinalIgnoreCase));
            if (macro.Name is null)
            {
                error = $"Invalid schedule '{trimmed}': unknown macro; {ExpectedForms}.";
                return false;
            }

            normalised = macro.Name;
            fields = macro.Cron.Split(' ');
        }
        else if (fields.Length == 5)
        {
            normalised = string.Join(' ', fields).ToUpperInvariant();
        }
        else
        {
            error = fields.Length <= 1
                ? $"Invalid schedule '{trimmed}': {ExpectedForms}."
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"Invalid schedule '{trimmed}': expected 5 cron fields (minute hour day-of-month month day-of-week) but found {fields.Length}.");
            return false;
        }

        if (!CronExpression.TryParse(fields, trimmed, out var expression, out failedField, out error))
            return false;

        schedule = new Schedule(normalised, expression);
        return true;
    }
}
