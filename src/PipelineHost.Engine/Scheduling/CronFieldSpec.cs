namespace PipelineHost.Engine.Scheduling;

/// <summary>What one of the five cron fields accepts.</summary>
internal sealed class CronFieldSpec
{
    public static readonly CronFieldSpec Minute = new("minute", 0, 59, null);
    public static readonly CronFieldSpec Hour = new("hour", 0, 23, null);
    public static readonly CronFieldSpec DayOfMonth = new("day-of-month", 1, 31, null);
    public static readonly CronFieldSpec Month = new(
        "month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]);
    public static readonly CronFieldSpec DayOfWeek = new("day-of-week", 0, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]);

    private CronFieldSpec(string name, int min, int max, string[]? names)
    {
        Name = name;
        Min = min;
        Max = max;
        Names = names;
    }

    /// <summary>The field's name as used in error messages, e.g. <c>day-of-month</c>.</summary>
    public string Name { get; }

    public int Min { get; }

    public int Max { get; }

    /// <summary>Three-letter names, the first one standing for <see cref="Min"/>; null when the field has none.</summary>
    public string[]? Names { get; }
}
