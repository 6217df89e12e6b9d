using System.Globalization;
using PipelineHost.Engine.Scheduling;

namespace PipelineHost.Engine.Tests.Scheduling;

public sealed class ScheduleNextOccurrenceTests
{
    [Theory]
    // Macros. 2025-03-10 is a Monday.
    [InlineData("@hourly", "2025-03-10T10:00:00Z", "2025-03-10T11:00:00Z")]
    [InlineData("@hourly", "2025-03-10T10:59:59.9999999Z", "2025-03-10T11:00:00Z")]
    [InlineData("@daily", "2025-03-10T00:00:00Z", "2025-03-11T00:00:00Z")]
    [InlineData("@midnight", "2025-03-10T23:59:00Z", "2025-03-11T00:00:00Z")]
    [InlineData("@weekly", "2025-03-10T12:00:00Z", "2025-03-16T00:00:00Z")]
    [InlineData("@weekly", "2025-03-16T00:00:00Z", "2025-03-23T00:00:00Z")]
    [InlineData("@monthly", "2025-01-31T12:00:00Z", "2025-02-01T00:00:00Z")]
    [InlineData("@yearly", "2025-06-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    [InlineData("@annually", "2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")]
    // Strictly after, at minute resolution.
    [InlineData("* * * * *", "2025-03-10T10:00:00Z", "2025-03-10T10:01:00Z")]
    [InlineData("* * * * *", "2025-03-10T10:00:00.0000001Z", "2025-03-10T10:01:00Z")]
    [InlineData("* * * * *", "2025-03-10T10:00:59Z", "2025-03-10T10:01:00Z")]
    [InlineData("*/15 * * * *", "2025-03-10T10:07:00Z", "2025-03-10T10:15:00Z")]
    [InlineData("*/15 * * * *", "2025-03-10T10:15:00Z", "2025-03-10T10:30:00Z")]
    [InlineData("*/15 * * * *", "2025-03-10T10:45:00Z", "2025-03-10T11:00:00Z")]
    [InlineData("0 * * * *", "2025-03-10T23:30:00Z", "2025-03-11T00:00:00Z")]
    [InlineData("5/20 * * * *", "2025-03-10T10:26:00Z", "2025-03-10T10:45:00Z")]
    [InlineData("5/20 * * * *", "2025-03-10T10:45:00Z", "2025-03-10T11:05:00Z")]
    [InlineData("10-12 * * * *", "2025-03-10T10:12:00Z", "2025-03-10T11:10:00Z")]
    // Working hours: every two hours from 9 to 17, Monday to Friday. 2025-03-14 is a Friday.
    [InlineData("0 9-17/2 * * MON-FRI", "2025-03-10T08:59:00Z", "2025-03-10T09:00:00Z")]
    [InlineData("0 9-17/2 * * MON-FRI", "2025-03-10T09:00:00Z", "2025-03-10T11:00:00Z")]
    [InlineData("0 9-17/2 * * MON-FRI", "2025-03-10T17:30:00Z", "2025-03-11T09:00:00Z")]
    [InlineData("0 9-17/2 * * MON-FRI", "2025-03-14T17:00:00Z", "2025-03-17T09:00:00Z")]
    [InlineData("0 9-17/2 * * mon-fri", "2025-03-15T00:00:00Z", "2025-03-17T09:00:00Z")]
    // Both day fields restricted: either matches (the 1st, the 15th, and every Friday).
    [InlineData("30 4 1,15 * 5", "2025-03-01T05:00:00Z", "2025-03-07T04:30:00Z")]
    [InlineData("30 4 1,15 * 5", "2025-03-07T04:30:00Z", "2025-03-14T04:30:00Z")]
    [InlineData("30 4 1,15 * 5", "2025-03-14T04:30:00Z", "2025-03-15T04:30:00Z")]
    [InlineData("30 4 1,15 * 5", "2025-03-28T04:30:00Z", "2025-04-01T04:30:00Z")]
    [InlineData("30 4 1,15 * fri", "2025-03-28T04:30:00Z", "2025-04-01T04:30:00Z")]
    // Only one day field restricted: only that one applies.
    [InlineData("0 0 15 * *", "2025-03-10T00:00:00Z", "2025-03-15T00:00:00Z")]
    [InlineData("0 0 * * 5", "2025-03-01T00:00:00Z", "2025-03-07T00:00:00Z")]
    // Vixie cron: a day field starting with '*' (here */2 = odd days) makes the two fields combine with AND:
    // odd-numbered Mondays only. 2025-03-10 and 2025-03-24 are even, 2025-03-17 and 2025-03-31 odd.
    [InlineData("0 0 */2 * MON", "2025-03-09T00:00:00Z", "2025-03-17T00:00:00Z")]
    [InlineData("0 0 */2 * MON", "2025-03-17T00:00:00Z", "2025-03-31T00:00:00Z")]
    // Sunday is 0, 7 or SUN (any case).
    [InlineData("0 12 * * 0", "2025-03-10T00:00:00Z", "2025-03-16T12:00:00Z")]
    [InlineData("0 12 * * 7", "2025-03-10T00:00:00Z", "2025-03-16T12:00:00Z")]
    [InlineData("0 12 * * SUN", "2025-03-10T00:00:00Z", "2025-03-16T12:00:00Z")]
    [InlineData("0 12 * * sUn", "2025-03-10T00:00:00Z", "2025-03-16T12:00:00Z")]
    [InlineData("0 12 * * 6-7", "2025-03-10T00:00:00Z", "2025-03-15T12:00:00Z")]
    [InlineData("0 12 * * 6-7", "2025-03-15T12:00:00Z", "2025-03-16T12:00:00Z")]
    // Month names and ranges.
    [InlineData("0 0 1 JAN *", "2025-03-10T00:00:00Z", "2026-01-01T00:00:00Z")]
    [InlineData("0 0 1 jun-aug *", "2025-03-10T00:00:00Z", "2025-06-01T00:00:00Z")]
    [InlineData("0 0 1 jun-aug *", "2025-08-01T00:00:00Z", "2026-06-01T00:00:00Z")]
    [InlineData("0 0 1 */4 *", "2025-05-01T00:00:00Z", "2025-09-01T00:00:00Z")]
    // Month boundaries: the 31st skips shorter months.
    [InlineData("0 0 31 * *", "2025-01-31T00:00:00Z", "2025-03-31T00:00:00Z")]
    [InlineData("0 0 31 * *", "2025-03-31T00:00:00Z", "2025-05-31T00:00:00Z")]
    [InlineData("0 0 30 * *", "2025-01-30T00:00:00Z", "2025-03-30T00:00:00Z")]
    [InlineData("59 23 * * *", "2025-02-28T23:59:00Z", "2025-03-01T23:59:00Z")]
    [InlineData("0 0 1 * *", "2025-04-30T23:59:59Z", "2025-05-01T00:00:00Z")]
    // Year rollover.
    [InlineData("* * * * *", "2025-12-31T23:59:00Z", "2026-01-01T00:00:00Z")]
    [InlineData("59 23 31 12 *", "2025-12-31T23:59:00Z", "2026-12-31T23:59:00Z")]
    [InlineData("0 0 * 12 *", "2025-12-31T00:00:00Z", "2026-12-01T00:00:00Z")]
    // Leap years: the next February 29th, across a skipped century leap year (2100).
    [InlineData("0 0 29 2 *", "2025-03-01T00:00:00Z", "2028-02-29T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2096-02-29T00:00:00Z", "2104-02-29T00:00:00Z")]
    [InlineData("0 0 29 2 *", "2399-03-01T00:00:00Z", "2400-02-29T00:00:00Z")]
    [InlineData("0 0 28-29 feb *", "2025-02-28T00:00:00Z", "2026-02-28T00:00:00Z")]
    // A leap day that is also a Sunday (AND rule, as above): 2032, then 2060.
    [InlineData("0 0 29 2 */7", "2025-01-01T00:00:00Z", "2032-02-29T00:00:00Z")]
    [InlineData("0 0 29 2 */7", "2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z")]
    // Dates no calendar has: never.
    [InlineData("0 0 30 2 *", "2025-01-01T00:00:00Z", null)]
    [InlineData("0 0 31 2 *", "2025-01-01T00:00:00Z", null)]
    [InlineData("0 0 30-31 feb *", "2025-01-01T00:00:00Z", null)]
    [InlineData("0 0 31 4,6,9,11 *", "2025-01-01T00:00:00Z", null)]
    [InlineData("0 0 31 2 */2", "2025-01-01T00:00:00Z", null)]
    // ... unless the day-of-week field may match instead (both restricted: OR): the first Monday of February.
    [InlineData("0 0 30 2 MON", "2025-01-01T00:00:00Z", "2025-02-03T00:00:00Z")]
    // The edges of DateTimeOffset's range.
    [InlineData("* * * * *", "0001-01-01T00:00:00Z", "0001-01-01T00:01:00Z")]
    [InlineData("* * * * *", "9998-12-31T23:58:00Z", "9998-12-31T23:59:00Z")]
    [InlineData("* * * * *", "9999-12-31T23:59:59Z", null)]
    public void Next_occurrence_in_utc(string text, string after, string? expected)
    {
        var schedule = Schedule.Parse(text);

        var next = schedule.NextOccurrence(At(after));
        var nextUtc = schedule.NextOccurrence(At(after), TimeZoneInfo.Utc);

        Assert.Equal(expected is null ? null : At(expected), next);
        Assert.Equal(next, nextUtc);
        if (next is { } value)
            Assert.Equal(TimeSpan.Zero, value.Offset);
    }

    [Fact]
    public void The_result_does_not_depend_on_the_offset_of_the_input()
    {
        var schedule = Schedule.Parse("0 9 * * *");
        var utc = At("2025-03-10T10:00:00Z");
        var tokyo = utc.ToOffset(TimeSpan.FromHours(9));

        Assert.Equal(At("2025-03-11T09:00:00Z"), schedule.NextOccurrence(utc));
        Assert.Equal(At("2025-03-11T09:00:00Z"), schedule.NextOccurrence(tokyo));
    }

    [Theory]
    [InlineData("@daily", "@midnight")]
    [InlineData("@daily", "0 0 * * *")]
    [InlineData("@hourly", "0 * * * *")]
    [InlineData("@weekly", "0 0 * * sun")]
    [InlineData("@monthly", "0 0 1 * *")]
    [InlineData("@yearly", "@annually")]
    [InlineData("@yearly", "0 0 1 jan *")]
    [InlineData("0 0 * * 0", "0 0 * * 7")]
    [InlineData("0 0 * * 0", "0 0 * * SUN")]
    [InlineData("0 0 * * 1-5", "0 0 * * MON-FRI")]
    [InlineData("0 0 * * 1-5", "0 0 * * Mon-fRi")]
    [InlineData("0 0 * * 1-5", "0 0 * * 1,2,3,4,5")]
    [InlineData("0 0 * * 0-6", "0 0 * * *")]
    [InlineData("0 0 * * 0-7", "0 0 * * *")]
    [InlineData("0 0 * * 5-7", "0 0 * * 0,5,6")]
    [InlineData("*/20 * * * *", "0,20,40 * * * *")]
    [InlineData("*/20 * * * *", "0-59/20 * * * *")]
    [InlineData("*/20 * * * *", "0/20 * * * *")]
    [InlineData("0 0 1 1-12/3 *", "0 0 1 jan,apr,jul,oct *")]
    [InlineData("0 0 1 */3 *", "0 0 1 JAN,APR,JUL,OCT *")]
    public void Equivalent_spellings_fire_at_the_same_instants(string left, string right)
    {
        var a = Schedule.Parse(left);
        var b = Schedule.Parse(right);
        DateTimeOffset? t = At("2024-12-30T00:00:00Z");

        for (var i = 0; i < 100 && t is { } current; i++)
        {
            t = a.NextOccurrence(current);
            Assert.Equal(t, b.NextOccurrence(current));
        }

        Assert.NotNull(t);
    }

    [Theory]
    // Paris is UTC+1 in winter and UTC+2 in summer.
    [InlineData("Europe/Paris", "0 9 * * *", "2025-01-10T07:00:00Z", "2025-01-10T09:00:00+01:00")]
    [InlineData("Europe/Paris", "0 9 * * *", "2025-07-10T07:00:00Z", "2025-07-11T09:00:00+02:00")]
    [InlineData("Europe/Paris", "@daily", "2025-01-10T22:59:00Z", "2025-01-11T00:00:00+01:00")]
    [InlineData("Europe/Paris", "59 23 31 12 *", "2025-12-31T21:00:00Z", "2025-12-31T23:59:00+01:00")]
    // Spring forward, 2025-03-30: 02:00 CET becomes 03:00 CEST, so 02:00-02:59 does not exist; a time in it fires
    // once, at the jump (03:00 CEST).
    [InlineData("Europe/Paris", "30 2 * * *", "2025-03-29T12:00:00Z", "2025-03-30T03:00:00+02:00")]
    [InlineData("Europe/Paris", "30 2 * * *", "2025-03-30T01:00:00Z", "2025-03-31T02:30:00+02:00")]
    [InlineData("Europe/Paris", "0 2 30 3 *", "2025-03-01T00:00:00Z", "2025-03-30T03:00:00+02:00")]
    [InlineData("Europe/Paris", "*/15 * * * *", "2025-03-30T00:50:00Z", "2025-03-30T03:00:00+02:00")]
    [InlineData("Europe/Paris", "0 3 * * *", "2025-03-29T12:00:00Z", "2025-03-30T03:00:00+02:00")]
    [InlineData("Europe/Paris", "59 1 * * *", "2025-03-29T12:00:00Z", "2025-03-30T01:59:00+01:00")]
    // Fall back, 2025-10-26: 03:00 CEST becomes 02:00 CET, so 02:00-02:59 happens twice: a fixed time fires the first
    // time only, an interval (a minute or hour field with *, a range or a step) in both passes.
    [InlineData("Europe/Paris", "30 2 * * *", "2025-10-25T12:00:00Z", "2025-10-26T02:30:00+02:00")]
    [InlineData("Europe/Paris", "30 2 * * *", "2025-10-26T00:30:00Z", "2025-10-27T02:30:00+01:00")]
    [InlineData("Europe/Paris", "30 2 * * *", "2025-10-26T01:00:00Z", "2025-10-27T02:30:00+01:00")]
    [InlineData("Europe/Paris", "*/30 * * * *", "2025-10-26T00:00:00Z", "2025-10-26T02:30:00+02:00")]
    [InlineData("Europe/Paris", "*/30 * * * *", "2025-10-26T00:30:00Z", "2025-10-26T02:00:00+01:00")]
    [InlineData("Europe/Paris", "*/30 * * * *", "2025-10-26T01:15:00Z", "2025-10-26T02:30:00+01:00")]
    [InlineData("Europe/Paris", "*/30 * * * *", "2025-10-26T01:30:00Z", "2025-10-26T03:00:00+01:00")]
    [InlineData("Europe/Paris", "0 3 * * *", "2025-10-26T00:30:00Z", "2025-10-26T03:00:00+01:00")]
    // New York: spring forward 2025-03-09 02:00 EST -> 03:00 EDT; fall back 2025-11-02 02:00 EDT -> 01:00 EST.
    [InlineData("America/New_York", "0 9 * * MON-FRI", "2025-03-07T15:00:00Z", "2025-03-10T09:00:00-04:00")]
    [InlineData("America/New_York", "0 2 * * *", "2025-03-08T12:00:00Z", "2025-03-09T03:00:00-04:00")]
    [InlineData("America/New_York", "0 2 * * *", "2025-03-09T07:00:00Z", "2025-03-10T02:00:00-04:00")]
    [InlineData("America/New_York", "0 * * * *", "2025-03-09T06:30:00Z", "2025-03-09T03:00:00-04:00")]
    [InlineData("America/New_York", "30 1 * * *", "2025-11-01T12:00:00Z", "2025-11-02T01:30:00-04:00")]
    [InlineData("America/New_York", "30 1 * * *", "2025-11-02T05:30:00Z", "2025-11-03T01:30:00-05:00")]
    [InlineData("America/New_York", "0 * * * *", "2025-11-02T05:00:00Z", "2025-11-02T01:00:00-05:00")]
    [InlineData("America/New_York", "0 * * * *", "2025-11-02T06:00:00Z", "2025-11-02T02:00:00-05:00")]
    [InlineData("America/New_York", "@daily", "2025-11-02T03:00:00Z", "2025-11-02T00:00:00-04:00")]
    [InlineData("America/New_York", "@daily", "2025-11-02T04:00:00Z", "2025-11-03T00:00:00-05:00")]
    public void Next_occurrence_in_a_zone_with_daylight_saving(string zoneId, string text, string after, string expected)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);

        var next = Schedule.Parse(text).NextOccurrence(At(after), zone);

        Assert.NotNull(next);
        Assert.Equal(At(expected), next.Value);
        Assert.Equal(At(expected).Offset, next.Value.Offset);
    }

    [Fact]
    public void An_hourly_schedule_across_both_transitions_fires_once_per_hour_of_real_time()
    {
        var paris = TimeZoneInfo.FindSystemTimeZoneById("Europe/Paris");
        var schedule = Schedule.Parse("@hourly");

        var spring = Run(schedule, paris, At("2025-03-29T23:30:00Z"), 4);
        var autumn = Run(schedule, paris, At("2025-10-25T22:30:00Z"), 4);

        // 02:00 does not exist on 2025-03-30.
        Assert.Equal(["2025-03-30T01:00:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-30T04:00:00+02:00", "2025-03-30T05:00:00+02:00"], spring);
        // 02:00 exists twice on 2025-10-26 and, the hour field being an interval, fires both times: no hour is lost.
        Assert.Equal(["2025-10-26T01:00:00+02:00", "2025-10-26T02:00:00+02:00", "2025-10-26T02:00:00+01:00", "2025-10-26T03:00:00+01:00"], autumn);
    }

    [Theory]
    [InlineData("Europe/Paris", "2025-03-29T00:00:00Z", new[] { "2025-03-29T02:30:00+01:00", "2025-03-30T03:00:00+02:00", "2025-03-31T02:30:00+02:00" })]
    [InlineData("Europe/Paris", "2025-10-25T00:00:00Z", new[] { "2025-10-25T02:30:00+02:00", "2025-10-26T02:30:00+02:00", "2025-10-27T02:30:00+01:00" })]
    [InlineData("America/New_York", "2025-03-08T00:00:00Z", new[] { "2025-03-08T02:30:00-05:00", "2025-03-09T03:00:00-04:00", "2025-03-10T02:30:00-04:00" })]
    [InlineData("America/New_York", "2025-11-01T00:00:00Z", new[] { "2025-11-01T02:30:00-04:00", "2025-11-02T02:30:00-05:00", "2025-11-03T02:30:00-05:00" })]
    public void A_daily_0230_schedule_fires_exactly_once_on_each_transition_day(string zoneId, string start, string[] expected)
    {
        // Spring forward: 02:30 does not exist, so it fires at the jump (03:00 in the new offset). Fall back: 02:30
        // happens twice (Paris) and fires at the first one only; in New York the repeated hour is 01:00-01:59.
        var zone = TimeZoneInfo.FindSystemTimeZoneById(zoneId);

        Assert.Equal(expected, Run(Schedule.Parse("30 2 * * *"), zone, At(start), 3));
    }

    private static string[] Run(Schedule schedule, TimeZoneInfo zone, DateTimeOffset start, int count)
    {
        var result = new List<string>();
        var t = start;
        for (var i = 0; i < count; i++)
        {
            t = schedule.NextOccurrence(t, zone) ?? throw new InvalidOperationException("no occurrence");
            result.Add(t.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture));
        }

        return [.. result];
    }

    private static DateTimeOffset At(string text) =>
        DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
