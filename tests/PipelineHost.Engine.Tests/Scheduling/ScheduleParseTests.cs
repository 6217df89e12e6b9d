using System.Globalization;
using PipelineHost.Engine.Scheduling;

namespace PipelineHost.Engine.Tests.Scheduling;

public sealed class ScheduleParseTests
{
    private const string Expected =
        "expected 'manual', an @-macro (@hourly, @daily, @weekly, @monthly, @yearly) or 5 or 6 cron fields " +
        "([second] minute hour day-of-month month day-of-week)";

    [Theory]
    [InlineData("manual", "manual")]
    [InlineData("  MANUAL ", "manual")]
    [InlineData("@hourly", "@hourly")]
    [InlineData("@daily", "@daily")]
    [InlineData("@midnight", "@midnight")]
    [InlineData("@weekly", "@weekly")]
    [InlineData("@monthly", "@monthly")]
    [InlineData("@yearly", "@yearly")]
    [InlineData("@annually", "@annually")]
    [InlineData("@every_minute", "@every_minute")]
    [InlineData(" @DAILY\t", "@daily")]
    [InlineData("*/15 * * * *", "*/15 * * * *")]
    [InlineData(" 0  9-17/2\t* *  mon-Fri ", "0 9-17/2 * * MON-FRI")]
    [InlineData("0 0 1 jan,Jul *", "0 0 1 JAN,JUL *")]
    // Six fields: seconds first.
    [InlineData("30 0 0 * * *", "30 0 0 * * *")]
    [InlineData("*/10  * * * * sun", "*/10 * * * * SUN")]
    public void Parse_normalises_text(string text, string normalised)
    {
        var schedule = Schedule.Parse(text);

        Assert.Equal(normalised, schedule.Text);
        Assert.Equal(normalised, schedule.ToString());
        Assert.True(Schedule.TryParse(text, out var again, out var error));
        Assert.Null(error);
        Assert.Equal(normalised, again.Text);
    }

    [Theory]
    [InlineData("manual", true)]
    [InlineData("Manual", true)]
    [InlineData("@daily", false)]
    [InlineData("* * * * *", false)]
    public void IsManual_only_for_manual(string text, bool manual)
    {
        var schedule = Schedule.Parse(text);

        Assert.Equal(manual, schedule.IsManual);
        Assert.Equal(manual, schedule.NextOccurrence(DateTimeOffset.UnixEpoch) is null);
    }

    [Fact]
    public void Manual_never_fires_in_any_zone()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");

        Assert.Same(Schedule.Manual, Schedule.Parse("manual"));
        Assert.Null(Schedule.Manual.NextOccurrence(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), paris));
    }

    [Theory]
    // Whole-schedule errors.
    [InlineData("not-a-cron", null, "Invalid schedule 'not-a-cron': " + Expected + ".")]
    [InlineData("", null, "Invalid schedule '': " + Expected + ".")]
    [InlineData("   ", null, "Invalid schedule '': " + Expected + ".")]
    [InlineData("*", null, "Invalid schedule '*': " + Expected + ".")]
    [InlineData("@reboot", null, "Invalid schedule '@reboot': unknown macro; " + Expected + ".")]
    [InlineData("@daily 0", null, "Invalid schedule '@daily 0': unknown macro; " + Expected + ".")]
    [InlineData("@", null, "Invalid schedule '@': unknown macro; " + Expected + ".")]
    [InlineData("0 0 * *", null, "Invalid schedule '0 0 * *': " + Expected + " but found 4.")]
    [InlineData("0 0 * * * * *", null, "Invalid schedule '0 0 * * * * *': " + Expected + " but found 7.")]
    [InlineData("H * * * *", null, "Invalid schedule 'H * * * *': hashed values ('H') are not supported; " + Expected + ".")]
    // Out-of-range values, one per field and both ends.
    [InlineData("61 * * * *", "minute", "Invalid cron field 'minute' in '61 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("60 * * * *", "minute", "Invalid cron field 'minute' in '60 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("0 24 * * *", "hour", "Invalid cron field 'hour' in '0 24 * * *': Value must be a number between 0 and 23 (all inclusive).")]
    [InlineData("0 0 0 * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 0 * *': Value must be a number between 1 and 31 (all inclusive).")]
    [InlineData("0 0 32 * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 32 * *': Value must be a number between 1 and 31 (all inclusive).")]
    [InlineData("0 0 * 0 *", "month", "Invalid cron field 'month' in '0 0 * 0 *': Value must be a number between 1 and 12 (all inclusive).")]
    [InlineData("0 0 * 13 *", "month", "Invalid cron field 'month' in '0 0 * 13 *': Value must be a number between 1 and 12 (all inclusive).")]
    [InlineData("0 0 * * 8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * 8': Value must be a number between 0 and 7 (all inclusive).")]
    [InlineData("0 0 * * 1-8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * 1-8': Value must be a number between 0 and 7 (all inclusive).")]
    [InlineData("0 1,2,99 * * *", "hour", "Invalid cron field 'hour' in '0 1,2,99 * * *': Value must be a number between 0 and 23 (all inclusive).")]
    [InlineData("60 0 0 * * *", "second", "Invalid cron field 'second' in '60 0 0 * * *': Value must be a number between 0 and 59 (all inclusive).")]
    // Steps.
    [InlineData("*/0 * * * *", "minute", "Invalid cron field 'minute' in '*/0 * * * *': Value must be a number between 1 and 59 (all inclusive).")]
    [InlineData("*/60 * * * *", "minute", "Invalid cron field 'minute' in '*/60 * * * *': Value must be a number between 1 and 59 (all inclusive).")]
    [InlineData("0 1-5/0 * * *", "hour", "Invalid cron field 'hour' in '0 1-5/0 * * *': Value must be a number between 1 and 23 (all inclusive).")]
    [InlineData("0 0 * * */8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * */8': Value must be a number between 1 and 7 (all inclusive).")]
    [InlineData("*/ * * * *", "minute", "Invalid cron field 'minute' in '*/ * * * *': Value must be a number between 1 and 59 (all inclusive).")]
    [InlineData("*/x * * * *", "minute", "Invalid cron field 'minute' in '*/x * * * *': Value must be a number between 1 and 59 (all inclusive).")]
    [InlineData("*/-1 * * * *", "minute", "Invalid cron field 'minute' in '*/-1 * * * *': Value must be a number between 1 and 59 (all inclusive).")]
    [InlineData("1/2/3 * * * *", "minute", "Invalid cron field 'minute' in '1/2/3 * * * *': Unexpected character '/'.")]
    // Ranges (a reversed range is valid: it wraps, see below).
    [InlineData("1-2-3 * * * *", "minute", "Invalid cron field 'minute' in '1-2-3 * * * *': Unexpected character '-'.")]
    [InlineData("1- * * * *", "minute", "Invalid cron field 'minute' in '1- * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("-1 * * * *", "minute", "Invalid cron field 'minute' in '-1 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("/5 * * * *", "minute", "Invalid cron field 'minute' in '/5 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    // Lists.
    [InlineData("0 1,,2 * * *", "hour", "Invalid cron field 'hour' in '0 1,,2 * * *': Value must be a number between 0 and 23 (all inclusive).")]
    [InlineData("1, * * * *", "minute", "Invalid cron field 'minute' in '1, * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData(",1 * * * *", "minute", "Invalid cron field 'minute' in ',1 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    // Garbage and names where none are allowed.
    [InlineData("x * * * *", "minute", "Invalid cron field 'minute' in 'x * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("+5 * * * *", "minute", "Invalid cron field 'minute' in '+5 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("*-5 * * * *", "minute", "Invalid cron field 'minute' in '*-5 * * * *': Unexpected character '-'.")]
    [InlineData("99999999999 * * * *", "minute", "Invalid cron field 'minute' in '99999999999 * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("MON * * * *", "minute", "Invalid cron field 'minute' in 'MON * * * *': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("0 0 JAN * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 JAN * *': Value must be a number between 1 and 31 (all inclusive).")]
    [InlineData("0 0 * FOO *", "month", "Invalid cron field 'month' in '0 0 * FOO *': Value must be a number between 1 and 12 (all inclusive).")]
    [InlineData("0 0 * MON *", "month", "Invalid cron field 'month' in '0 0 * MON *': Value must be a number between 1 and 12 (all inclusive).")]
    [InlineData("0 0 * * MONDAY", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * MONDAY': Unexpected character 'D'.")]
    [InlineData("0 0 * * JAN", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * JAN': Value must be a number between 0 and 7 (all inclusive).")]
    [InlineData("0 0 * * MON-x", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * MON-x': Value must be a number between 0 and 7 (all inclusive).")]
    // The first bad field is the one reported, whichever day field the Vixie rule evaluates first.
    [InlineData("99 99 99 99 99", "minute", "Invalid cron field 'minute' in '99 99 99 99 99': Value must be a number between 0 and 59 (all inclusive).")]
    [InlineData("0 0 1 * 9", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 1 * 9': Value must be a number between 0 and 7 (all inclusive).")]
    [InlineData("0 0 32 * MON", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 32 * MON': Value must be a number between 1 and 31 (all inclusive).")]
    public void Invalid_schedules_are_rejected_with_a_clear_message(string text, string? field, string message)
    {
        var exception = Assert.Throws<ScheduleFormatException>(() => Schedule.Parse(text));
        Assert.IsAssignableFrom<FormatException>(exception);
        Assert.Equal(message, exception.Message);
        Assert.Equal(field, exception.Field);
        Assert.Equal(text, exception.Text);

        Assert.False(Schedule.TryParse(text, out var schedule, out var error));
        Assert.Null(schedule);
        Assert.Equal(message, error);
    }

    [Fact]
    public void Null_text()
    {
        Assert.Throws<ArgumentNullException>(() => Schedule.Parse(null!));

        Assert.False(Schedule.TryParse(null, out var schedule, out var error));
        Assert.Null(schedule);
        Assert.Equal("Invalid schedule '': " + Expected + ".", error);
    }

    /// <summary>
    /// What each field allows, read off the occurrences: the field under test is placed in an expression whose other
    /// fields are fixed, and the values it fires at over one period of that field are collected.
    /// </summary>
    public static TheoryData<string, string, int[]> FieldCases => new()
    {
        { "minute", "*", Enumerable.Range(0, 60).ToArray() },
        { "minute", "*/15", [0, 15, 30, 45] },
        { "minute", "0", [0] },
        { "minute", "59", [59] },
        { "minute", "1,2,3", [1, 2, 3] },
        { "minute", "3,1,2,1", [1, 2, 3] },
        { "minute", "10-12", [10, 11, 12] },
        { "minute", "10-10", [10] },
        { "minute", "0-59/20", [0, 20, 40] },
        { "minute", "5/20", [5, 25, 45] },
        { "minute", "58/3", [58] },
        { "minute", "*/59", [0, 59] },
        { "minute", "1-10/4,50-52", [1, 5, 9, 50, 51, 52] },
        { "minute", "*/30,7", [0, 7, 30] },
        { "minute", "58-1", [0, 1, 58, 59] }, // a reversed range wraps
        { "hour", "9-17/2", [9, 11, 13, 15, 17] },
        { "hour", "*/7", [0, 7, 14, 21] },
        { "hour", "23", [23] },
        { "hour", "22-1", [0, 1, 22, 23] },
        { "day-of-month", "*", Enumerable.Range(1, 31).ToArray() },
        { "day-of-month", "*/10", [1, 11, 21, 31] },
        { "day-of-month", "1,15", [1, 15] },
        { "day-of-month", "31", [31] },
        { "day-of-month", "L", [31] },
        { "month", "*", Enumerable.Range(1, 12).ToArray() },
        { "month", "JAN", [1] },
        { "month", "dec", [12] },
        { "month", "Jan-Mar", [1, 2, 3] },
        { "month", "jan,JUL,6", [1, 6, 7] },
        { "month", "*/3", [1, 4, 7, 10] },
        { "month", "feb-DEC/5", [2, 7, 12] },
        { "month", "dec-jan", [1, 12] },
        { "day-of-week", "*", [0, 1, 2, 3, 4, 5, 6] },
        { "day-of-week", "0", [0] },
        { "day-of-week", "7", [0] },
        { "day-of-week", "SUN", [0] },
        { "day-of-week", "sun,7,0", [0] },
        { "day-of-week", "MON-FRI", [1, 2, 3, 4, 5] },
        { "day-of-week", "mon-fri", [1, 2, 3, 4, 5] },
        { "day-of-week", "Sat", [6] },
        { "day-of-week", "5-7", [0, 5, 6] },
        { "day-of-week", "0-7", [0, 1, 2, 3, 4, 5, 6] },
        { "day-of-week", "*/2", [0, 2, 4, 6] },
        { "day-of-week", "*/7", [0] },
        { "day-of-week", "1/2", [0, 1, 3, 5] }, // a/n runs to the field's maximum, 7 = Sunday
        { "day-of-week", "SUN-SAT/3", [0, 3, 6] },
        { "day-of-week", "FRI-MON", [0, 1, 5, 6] },
    };

    [Theory]
    [MemberData(nameof(FieldCases))]
    public void Fields_allow_the_expected_values(string fieldName, string text, int[] values)
    {
        // 2025-01-01 is a Wednesday; January has 31 days.
        var start = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var (expression, end, valueOf) = fieldName switch
        {
            "minute" => ($"{text} 0 * * *", start.AddHours(1), (Func<DateTimeOffset, int>)(t => t.Minute)),
            "hour" => ($"0 {text} * * *", start.AddDays(1), t => t.Hour),
            "day-of-month" => ($"0 0 {text} * *", start.AddMonths(1), t => t.Day),
            "month" => ($"0 0 1 {text} *", start.AddYears(1), t => t.Month),
            "day-of-week" => ($"0 0 * * {text}", start.AddDays(7), t => (int)t.DayOfWeek),
            _ => throw new ArgumentOutOfRangeException(nameof(fieldName), fieldName, null),
        };
        var schedule = Schedule.Parse(expression);

        var seen = new SortedSet<int>();
        for (var t = schedule.NextOccurrence(start.AddTicks(-1)); t is { } at && at < end; t = schedule.NextOccurrence(at))
            seen.Add(valueOf(at));

        Assert.Equal(values, seen.ToArray());
    }

    [Fact]
    public void Six_fields_fire_on_the_second()
    {
        var schedule = Schedule.Parse("*/20 * * * * *");
        var start = DateTimeOffset.Parse("2025-03-10T10:00:05Z", CultureInfo.InvariantCulture);

        var first = schedule.NextOccurrence(start);
        var second = schedule.NextOccurrence(first!.Value);

        Assert.Equal(DateTimeOffset.Parse("2025-03-10T10:00:20Z", CultureInfo.InvariantCulture), first);
        Assert.Equal(DateTimeOffset.Parse("2025-03-10T10:00:40Z", CultureInfo.InvariantCulture), second);
    }
}
