using PipelineHost.Engine.Scheduling;

namespace PipelineHost.Engine.Tests.Scheduling;

/// <summary>
/// NextOccurrence against a brute-force search, for random expressions (<see cref="CronModel"/>) and random start
/// times from fixed-seed generators.
/// </summary>
public sealed class SchedulePropertyTests
{
    private const int Cases = 2_000;

    private static readonly DateTimeOffset RangeStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset RangeEnd = new(2040, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// Any expression, in UTC. "Nothing matches in between" is checked exhaustively but cheaply: minute by minute for
    /// the rest of the start's day and the start of the result's day, and day by day in between (a matching date
    /// always holds a matching minute, since the minute and hour fields are never empty).
    /// </summary>
    [Fact]
    public void Random_expressions_in_utc_match_the_brute_force_search()
    {
        var rng = new Random(20_250_917);
        var never = 0;
        for (var i = 0; i < Cases; i++)
        {
            var model = CronModel.Create(rng, everyDay: false, lateDays: i % 20 == 0);
            var after = RandomInstant(rng);
            var next = Schedule.Parse(model.Text).NextOccurrence(after);
            var context = $"case {i}: '{model}' after {after:O} gave {next:O}";

            var start = after.UtcDateTime.Date;
            if (next is null)
            {
                // Never: no date in a whole 400-year Gregorian cycle may match (Cronos searches to year 9999).
                never++;
                for (var date = start; date < start.AddYears(401); date = date.AddDays(1))
                    Assert.False(model.DateMatches(date), $"{context}; {date:yyyy-MM-dd} matches");
                continue;
            }

            var result = next.Value;
            Assert.True(result > after, context);
            Assert.Equal(TimeSpan.Zero, result.Offset);
            Assert.Equal(0, result.UtcTicks % TimeSpan.TicksPerMinute);
            Assert.True(model.Matches(result.UtcDateTime), context);

            var end = result.UtcDateTime;
            var firstDayEnd = end < start.AddDays(1) ? end : start.AddDays(1);
            for (var minute = FirstMinuteAfter(after).UtcDateTime; minute < firstDayEnd; minute = minute.AddMinutes(1))
                Assert.False(model.Matches(minute), $"{context}; {minute:O} matches");
            for (var date = start.AddDays(1); date < end.Date; date = date.AddDays(1))
                Assert.False(model.DateMatches(date), $"{context}; {date:yyyy-MM-dd} matches");
            for (var minute = end.Date > start ? end.Date : end; minute < end; minute = minute.AddMinutes(1))
                Assert.False(model.Matches(minute), $"{context}; {minute:O} matches");
        }

        // One case in 20 asks for late days in short months, of which some can never happen.
        Assert.InRange(never, 5, Cases / 20);
    }

    /// <summary>
    /// Expressions that fire every day, in zones with daylight saving, started at random times of which half fall
    /// within 36 hours of a transition. The brute force walks real instants minute by minute (at most 3 days) and
    /// applies the documented rules: a wall-clock time in a gap fires at the jump, a repeated one fires the first time
    /// only unless the minute or hour field is an interval.
    /// </summary>
    [Fact]
    public void Random_daily_expressions_in_dst_zones_match_the_brute_force_search()
    {
        var rng = new Random(4_242);
        var zones = new[] { "Europe/Paris", "America/New_York" }.Select(TimeZoneInfo.FindSystemTimeZoneById).ToArray();
        var transitions = zones.Select(Transitions).ToArray();
        Assert.All(transitions, list => Assert.True(list.Length >= 20));

        for (var i = 0; i < Cases; i++)
        {
            var which = rng.Next(zones.Length);
            var zone = zones[which];
            var model = CronModel.Create(rng, everyDay: true);
            var after = rng.Next(2) == 0
                ? RandomInstant(rng)
                : transitions[which][rng.Next(transitions[which].Length)].AddMinutes(rng.Next(-36 * 60, 36 * 60)).AddSeconds(rng.Next(-1, 2) * rng.Next(60));

            var next = Schedule.Parse(model.Text).NextOccurrence(after, zone);

            DateTimeOffset? expected = null;
            var previous = TimeZoneInfo.ConvertTime(FirstMinuteAfter(after).AddMinutes(-1), zone);
            for (var instant = FirstMinuteAfter(after); instant <= after.AddDays(3); instant = instant.AddMinutes(1))
            {
                var local = TimeZoneInfo.ConvertTime(instant, zone);

                // Wall-clock minutes a spring-forward jump skipped just before this instant fire at the jump.
                var skippedMatch = false;
                for (var wall = previous.DateTime.AddMinutes(1); wall < local.DateTime; wall = wall.AddMinutes(1))
                    skippedMatch |= model.Matches(wall);
                previous = local;

                if (!skippedMatch && !model.Matches(local.DateTime))
                    continue;
                if (!skippedMatch && !model.IsInterval && zone.IsAmbiguousTime(local.DateTime) &&
                    local.Offset != zone.GetAmbiguousTimeOffsets(local.DateTime).Max())
                    continue; // a fixed time's second pass through a repeated wall-clock time
                expected = local;
                break;
            }

            var context = $"case {i}: '{model}' in {zone.Id} after {after:O}";
            Assert.True(expected is not null, $"{context}: brute force found nothing within 3 days");
            Assert.Equal(expected, next);
            Assert.Equal(expected.Value.Offset, next!.Value.Offset);
        }
    }

    private static DateTimeOffset RandomInstant(Random rng)
    {
        var ticks = rng.NextInt64(RangeStart.UtcTicks, RangeEnd.UtcTicks);
        if (rng.Next(4) == 0)
            ticks -= ticks % TimeSpan.TicksPerMinute; // exactly on a minute, which may itself match
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    private static DateTimeOffset FirstMinuteAfter(DateTimeOffset t) =>
        new DateTimeOffset(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMinute), TimeSpan.Zero).AddMinutes(1);

    /// <summary>The instants of 2020-2030 at which the zone's offset changes.</summary>
    private static DateTimeOffset[] Transitions(TimeZoneInfo zone)
    {
        var result = new List<DateTimeOffset>();
        var previous = zone.GetUtcOffset(new DateTimeOffset(2020, 1, 1, 0, 0, 0, TimeSpan.Zero));
        for (var t = new DateTimeOffset(2020, 1, 1, 1, 0, 0, TimeSpan.Zero); t.Year < 2031; t = t.AddHours(1))
        {
            var offset = zone.GetUtcOffset(t);
            if (offset != previous)
                result.Add(t);
            previous = offset;
        }

        return [.. result];
    }
}
