using PipelineHost.Engine.Scheduling;

namespace PipelineHost.Engine.Tests.Scheduling;

public sealed class ScheduleParseTests
{
    private const string Expected =
        "expected 'manual', an @-macro (@hourly, @daily, @weekly, @monthly, @yearly) or 5 cron fields " +
        "(minute hour day-of-month month day-of-week).";

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
    [InlineData(" @DAILY\t", "@daily")]
    [InlineData("*/15 * * * *", "*/15 * * * *")]
    [InlineData(" 0  9-17/2\t* *  mon-Fri ", "0 9-17/2 * * MON-FRI")]
    [InlineData("0 0 1 jan,Jul *", "0 0 1 JAN,JUL *")]
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
    [InlineData("not-a-cron", null, "Invalid schedule 'not-a-cron': " + Expected)]
    [InlineData("", null, "Invalid schedule '': " + Expected)]
    [InlineData("   ", null, "Invalid schedule '': " + Expected)]
    [InlineData("*", null, "Invalid schedule '*': " + Expected)]
    [InlineData("@reboot", null, "Invalid schedule '@reboot': unknown macro; " + Expected)]
    [InlineData("@daily 0", null, "Invalid schedule '@daily 0': unknown macro; " + Expected)]
    [InlineData("@", null, "Invalid schedule '@': unknown macro; " + Expected)]
    [InlineData("0 0 * *", null,
        "Invalid schedule '0 0 * *': expected 5 cron fields (minute hour day-of-month month day-of-week) but found 4.")]
    [InlineData("0 0 * * * *", null,
        "Invalid schedule '0 0 * * * *': expected 5 cron fields (minute hour day-of-month month day-of-week) but found 6.")]
    // Out-of-range values, one per field and both ends.
    [InlineData("61 * * * *", "minute", "Invalid cron field 'minute' in '61 * * * *': 61 is outside 0-59.")]
    [InlineData("60 * * * *", "minute", "Invalid cron field 'minute' in '60 * * * *': 60 is outside 0-59.")]
    [InlineData("0 24 * * *", "hour", "Invalid cron field 'hour' in '0 24 * * *': 24 is outside 0-23.")]
    [InlineData("0 0 0 * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 0 * *': 0 is outside 1-31.")]
    [InlineData("0 0 32 * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 32 * *': 32 is outside 1-31.")]
    [InlineData("0 0 * 0 *", "month", "Invalid cron field 'month' in '0 0 * 0 *': 0 is outside 1-12.")]
    [InlineData("0 0 * 13 *", "month", "Invalid cron field 'month' in '0 0 * 13 *': 13 is outside 1-12.")]
    [InlineData("0 0 * * 8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * 8': 8 is outside 0-7.")]
    [InlineData("0 0 * * 1-8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * 1-8': 8 is outside 0-7.")]
    [InlineData("0 1,2,99 * * *", "hour", "Invalid cron field 'hour' in '0 1,2,99 * * *': 99 is outside 0-23.")]
    // Steps.
    [InlineData("*/0 * * * *", "minute", "Invalid cron field 'minute' in '*/0 * * * *': step 0 is outside 1-59.")]
    [InlineData("*/60 * * * *", "minute", "Invalid cron field 'minute' in '*/60 * * * *': step 60 is outside 1-59.")]
    [InlineData("0 1-5/0 * * *", "hour", "Invalid cron field 'hour' in '0 1-5/0 * * *': step 0 is outside 1-23.")]
    [InlineData("0 0 * * */8", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 * * */8': step 8 is outside 1-7.")]
    [InlineData("*/ * * * *", "minute", "Invalid cron field 'minute' in '*/ * * * *': '*/' is missing its step.")]
    [InlineData("*/x * * * *", "minute", "Invalid cron field 'minute' in '*/x * * * *': step 'x' is not a number.")]
    [InlineData("*/-1 * * * *", "minute", "Invalid cron field 'minute' in '*/-1 * * * *': step '-1' is not a number.")]
    [InlineData("1/2/3 * * * *", "minute", "Invalid cron field 'minute' in '1/2/3 * * * *': '1/2/3' is not a value, range or step.")]
    // Ranges.
    [InlineData("5-1 * * * *", "minute", "Invalid cron field 'minute' in '5-1 * * * *': range 5-1 is reversed (its start is after its end).")]
    [InlineData("0 0 * * FRI-MON", "day-of-week",
        "Invalid cron field 'day-of-week' in '0 0 * * FRI-MON': range FRI-MON is reversed (its start is after its end).")]
    [InlineData("0 0 * dec-jan *", "month",
        "Invalid cron field 'month' in '0 0 * dec-jan *': range dec-jan is reversed (its start is after its end).")]
    [InlineData("1-2-3 * * * *", "minute", "Invalid cron field 'minute' in '1-2-3 * * * *': '1-2-3' is not a value, range or step.")]
    [InlineData("1- * * * *", "minute", "Invalid cron field 'minute' in '1- * * * *': '1-' is incomplete.")]
    [InlineData("-1 * * * *", "minute", "Invalid cron field 'minute' in '-1 * * * *': '-1' is incomplete.")]
    [InlineData("/5 * * * *", "minute", "Invalid cron field 'minute' in '/5 * * * *': '/5' is incomplete.")]
    // Lists.
    [InlineData("0 1,,2 * * *", "hour", "Invalid cron field 'hour' in '0 1,,2 * * *': '1,,2' has an empty list item.")]
    [InlineData("1, * * * *", "minute", "Invalid cron field 'minute' in '1, * * * *': '1,' has an empty list item.")]
    [InlineData(",1 * * * *", "minute", "Invalid cron field 'minute' in ',1 * * * *': ',1' has an empty list item.")]
    // Garbage and names where none are allowed.
    [InlineData("x * * * *", "minute", "Invalid cron field 'minute' in 'x * * * *': 'x' is not a number.")]
    [InlineData("+5 * * * *", "minute", "Invalid cron field 'minute' in '+5 * * * *': '+5' is not a number.")]
    [InlineData("*-5 * * * *", "minute", "Invalid cron field 'minute' in '*-5 * * * *': '*' is not a number.")]
    [InlineData("99999999999 * * * *", "minute", "Invalid cron field 'minute' in '99999999999 * * * *': '99999999999' is not a number.")]
    [InlineData("MON * * * *", "minute", "Invalid cron field 'minute' in 'MON * * * *': 'MON' is not a number.")]
    [InlineData("0 0 JAN * *", "day-of-month", "Invalid cron field 'day-of-month' in '0 0 JAN * *': 'JAN' is not a number.")]
    [InlineData("0 0 * FOO *", "month", "Invalid cron field 'month' in '0 0 * FOO *': 'FOO' is not a number or a name (JAN-DEC).")]
    [InlineData("0 0 * MON *", "month", "Invalid cron field 'month' in '0 0 * MON *': 'MON' is not a number or a name (JAN-DEC).")]
    [InlineData("0 0 * * MONDAY", "day-of-week",
        "Invalid cron field 'day-of-week' in '0 0 * * MONDAY': 'MONDAY' is not a number or a name (SUN-SAT).")]
    [InlineData("0 0 * * JAN", "day-of-week",
        "Invalid cron field 'day-of-week' in '0 0 * * JAN': 'JAN' is not a number or a name (SUN-SAT).")]
    [InlineData("0 0 * * MON-x", "day-of-week",
        "Invalid cron field 'day-of-week' in '0 0 * * MON-x': 'x' is not a number or a name (SUN-SAT).")]
    // The first bad field is the one reported.
    [InlineData("99 99 99 99 99", "minute", "Invalid cron field 'minute' in '99 99 99 99 99': 99 is outside 0-59.")]
    [InlineData("0 0 1 * 9", "day-of-week", "Invalid cron field 'day-of-week' in '0 0 1 * 9': 9 is outside 0-7.")]
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
        Assert.Equal("Invalid schedule '': " + Expected, error);
    }

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
        { "hour", "9-17/2", [9, 11, 13, 15, 17] },
        { "hour", "*/7", [0, 7, 14, 21] },
        { "hour", "23", [23] },
        { "day-of-month", "*", Enumerable.Range(1, 31).ToArray() },
        { "day-of-month", "*/10", [1, 11, 21, 31] },
        { "day-of-month", "1,15", [1, 15] },
        { "day-of-month", "31", [31] },
        { "month", "*", Enumerable.Range(1, 12).ToArray() },
        { "month", "JAN", [1] },
        { "month", "dec", [12] },
        { "month", "Jan-Mar", [1, 2, 3] },
        { "month", "jan,JUL,6", [1, 6, 7] },
        { "month", "*/3", [1, 4, 7, 10] },
        { "month", "feb-DEC/5", [2, 7, 12] },
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
    };

    [Theory]
    [MemberData(nameof(FieldCases))]
    public void Fields_parse_to_the_expected_bit_mask(string fieldName, string text, int[] values)
    {
        var spec = SpecNamed(fieldName);

        Assert.True(CronField.TryParse(text, spec, out var field, out var error), error);

        var expected = values.Aggregate(0UL, (mask, value) => mask | (1UL << value));
        Assert.Equal(expected, field.Mask);
        Assert.Equal(text.StartsWith('*'), field.IsStar);
    }

    [Theory]
    [InlineData("*/15", 0, 0)]
    [InlineData("*/15", 1, 15)]
    [InlineData("*/15", 15, 15)]
    [InlineData("*/15", 46, -1)]
    [InlineData("59", 0, 59)]
    [InlineData("59", 59, 59)]
    [InlineData("59", 60, -1)]
    [InlineData("0", 1, -1)]
    [InlineData("0", 64, -1)]
    public void NextFrom_finds_the_smallest_allowed_value_at_or_after(string text, int from, int next)
    {
        Assert.True(CronField.TryParse(text, CronFieldSpec.Minute, out var field, out var error), error);

        Assert.Equal(next, field.NextFrom(from));
    }

    private static CronFieldSpec SpecNamed(string name) => name switch
    {
        "minute" => CronFieldSpec.Minute,
        "hour" => CronFieldSpec.Hour,
        "day-of-month" => CronFieldSpec.DayOfMonth,
        "month" => CronFieldSpec.Month,
        "day-of-week" => CronFieldSpec.DayOfWeek,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };
}
