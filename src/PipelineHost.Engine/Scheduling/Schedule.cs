using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.RegularExpressions;
using Cronos;

namespace PipelineHost.Engine.Scheduling;

/// <summary>
/// A deployment's <c>schedule</c>: <c>manual</c> (never fires by itself), an @-macro, or a cron expression of five
/// fields (<c>minute hour day-of-month month day-of-week</c>) or six (a leading <c>second</c>), evaluated by Cronos.
/// </summary>
/// <remarks>
/// <para>Fields take lists, ranges (a reversed one wraps: <c>FRI-MON</c>), steps, month and weekday names
/// (case-insensitive; day-of-week 0 and 7 are Sunday), and Cronos's <c>L</c>, <c>W</c>, <c>#</c> and <c>?</c>.</para>
/// <para>Day-of-month and day-of-week combine as in Vixie cron: if either field starts with <c>*</c> (or <c>?</c>) a day
/// must match both; otherwise a day matches when either does (<c>30 4 1,15 * 5</c>: the 1st, the 15th and every
/// Friday). Cronos alone always requires both, so such a schedule is evaluated as two expressions, one per day field,
/// and fires at the earlier occurrence.</para>
/// <para>Occurrences are computed on the wall clock of the given time zone (UTC by default), with Cronos's
/// daylight-saving rules: a time skipped by a spring-forward gap fires once, at the instant the clock jumps (02:30 on
/// a day when 02:00 becomes 03:00 fires at 03:00); a time repeated by a fall-back overlap fires once, at its first
/// (daylight) instant, unless the minute or hour field is an interval (<c>*</c>, a range or a step), which fires in
/// both passes so that no interval is lost.</para>
/// </remarks>
public sealed partial class Schedule
{
    private const string ManualText = "manual";

    private const string ExpectedForms =
        "expected 'manual', an @-macro (@hourly, @daily, @weekly, @monthly, @yearly) or 5 or 6 cron fields " +
        "([second] minute hour day-of-month month day-of-week)";

    /// <summary>The sentence every Cronos format message starts with.</summary>
    private const string CronosPrefix = "The given cron expression has an invalid format.";

    private readonly CronExpression[] expressions;

    private Schedule(string text, CronExpression[] expressions)
    {
        Text = text;
        this.expressions = expressions;
    }

    /// <summary>The schedule that never fires by itself.</summary>
    public static Schedule Manual { get; } = new(ManualText, []);

    /// <summary>
    /// The normalised text: <c>manual</c>, a lower-case macro (<c>@daily</c>), or the cron fields upper-cased and
    /// separated by single spaces (<c>0 9-17/2 * * MON-FRI</c>).
    /// </summary>
    public string Text { get; }

    /// <summary>True for <c>manual</c>: <see cref="NextOccurrence"/> is always null.</summary>
    public bool IsManual => expressions.Length == 0;

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
    /// <c>manual</c> and for patterns that never match before the end of year 9999.
    /// </summary>
    public DateTimeOffset? NextOccurrence(DateTimeOffset after, TimeZoneInfo? zone = null)
    {
        DateTimeOffset? earliest = null;
        foreach (var expression in expressions)
        {
            if (expression.GetNextOccurrence(after, zone ?? TimeZoneInfo.Utc) is { } next && (earliest is null || next < earliest))
            {
                earliest = next;
            }
        }

        return earliest;
    }

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
        if (trimmed.StartsWith('@'))
        {
            return TryCompile(trimmed, trimmed.ToLowerInvariant(), [trimmed], CronFormat.Standard, out schedule, out failedField, out error);
        }

        if (fields.Length is not (5 or 6))
        {
            error = fields.Length <= 1
                ? $"Invalid schedule '{trimmed}': {ExpectedForms}."
                : string.Create(CultureInfo.InvariantCulture, $"Invalid schedule '{trimmed}': {ExpectedForms} but found {fields.Length}.");
            return false;
        }

        var format = fields.Length == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        var normalised = string.Join(' ', fields).ToUpperInvariant();
        return TryCompile(trimmed, normalised, VixieDayAlternatives(fields), format, out schedule, out failedField, out error);
    }

    /// <summary>
    /// The expression itself, or, when both day fields are restricted, one expression per day field (the other one
    /// <c>*</c>), since Vixie cron ORs them and Cronos ANDs them.
    /// </summary>
    private static string[] VixieDayAlternatives(string[] fields)
    {
        var dayOfMonth = fields.Length - 3;
        var dayOfWeek = fields.Length - 1;
        var eitherDayIsStar = IsStar(fields[dayOfMonth]) || IsStar(fields[dayOfWeek]);
        fields = ExpandStarsInLists(fields);
        if (eitherDayIsStar)
        {
            return [string.Join(' ', fields)];
        }

        var byDayOfMonth = (string[])fields.Clone();
        byDayOfMonth[dayOfWeek] = "*";
        var byDayOfWeek = (string[])fields.Clone();
        byDayOfWeek[dayOfMonth] = "*";
        return [string.Join(' ', byDayOfMonth), string.Join(' ', byDayOfWeek)];

        static bool IsStar(string field) => field.StartsWith('*') || field.StartsWith('?');
    }

    /// <summary>
    /// Cronos takes <c>*</c> only as a whole field; Vixie cron also in a list (<c>*/30,7</c>), so there it is spelled
    /// as the field's full range (<c>0-59/30,7</c>). Whether a day field starts with <c>*</c> is decided before this.
    /// </summary>
    private static string[] ExpandStarsInLists(string[] fields)
    {
        // The last five fields' ranges, the optional second field's being the minute's.
        ReadOnlySpan<string> ranges = ["0-59", "0-23", "1-31", "1-12", "0-7"];
        var expanded = (string[])fields.Clone();
        for (var i = 0; i < fields.Length; i++)
        {
            if (!fields[i].Contains(',', StringComparison.Ordinal))
            {
                continue;
            }

            var range = ranges[Math.Max(0, i - (fields.Length - ranges.Length))];
            expanded[i] = string.Join(',', fields[i].Split(',').Select(item =>
                item.StartsWith('*') || item.StartsWith('?') ? range + item[1..] : item));
        }

        return expanded;
    }

    private static bool TryCompile(
        string trimmed,
        string normalised,
        string[] alternatives,
        CronFormat format,
        [NotNullWhen(true)] out Schedule? schedule,
        out string? failedField,
        [NotNullWhen(false)] out string? error)
    {
        schedule = null;
        failedField = null;
        var compiled = new CronExpression[alternatives.Length];
        try
        {
            for (var i = 0; i < alternatives.Length; i++)
            {
                compiled[i] = CronExpression.Parse(alternatives[i], format);
            }
        }
        catch (CronFormatException ex)
        {
            (failedField, error) = Describe(trimmed, ex.Message);
            return false;
        }
        catch (MissingSeedException)
        {
            error = $"Invalid schedule '{trimmed}': hashed values ('H') are not supported; {ExpectedForms}.";
            return false;
        }

        schedule = new Schedule(normalised, compiled);
        error = null;
        return true;
    }

    /// <summary>Cronos's message, re-worded to name the field as this project's messages do.</summary>
    private static (string? Field, string Message) Describe(string trimmed, string cronosMessage)
    {
        var detail = cronosMessage.StartsWith(CronosPrefix, StringComparison.Ordinal)
            ? cronosMessage[CronosPrefix.Length..].Trim()
            : cronosMessage;
        if (trimmed.StartsWith('@'))
        {
            return (null, $"Invalid schedule '{trimmed}': unknown macro; {ExpectedForms}.");
        }

        var match = FieldPrefix().Match(detail);
        if (!match.Success)
        {
            return (null, $"Invalid schedule '{trimmed}': {detail}");
        }

        var field = match.Groups["field"].Value switch
        {
            "Seconds" => "second",
            "Minutes" => "minute",
            "Hours" => "hour",
            "Days of month" => "day-of-month",
            "Months" => "month",
            _ => "day-of-week",
        };
        return (field, $"Invalid cron field '{field}' in '{trimmed}': {match.Groups["detail"].Value}");
    }

    [GeneratedRegex("^(?<field>Seconds|Minutes|Hours|Days of month|Months|Days of week): (?<detail>.*)$", RegexOptions.Singleline)]
    private static partial Regex FieldPrefix();
}
