namespace PipelineHost.Engine.Scheduling;

/// <summary>A deployment <c>schedule</c> string that is not a valid schedule.</summary>
public sealed class ScheduleFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The full, human-readable message.</param>
    /// <param name="text">The schedule text that was rejected.</param>
    /// <param name="field">The cron field at fault (<c>second</c>, <c>minute</c>, <c>hour</c>, <c>day-of-month</c>, <c>month</c>,
    /// <c>day-of-week</c>), or null when the schedule as a whole is malformed.</param>
    public ScheduleFormatException(string message, string text, string? field = null)
        : base(message)
    {
        Text = text;
        Field = field;
    }

    /// <summary>The schedule text that was rejected.</summary>
    public string Text { get; }

    /// <summary>The cron field at fault, or null when the schedule as a whole is malformed.</summary>
    public string? Field { get; }
}
