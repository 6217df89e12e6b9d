using System.Diagnostics.CodeAnalysis;

namespace PipelineHost.Engine.Scheduling;

/// <summary>A deployment's <c>timeZone</c>: an IANA time zone id (<c>Europe/Paris</c>) whose wall clock its schedule follows.</summary>
public static class ScheduleTimeZone
{
    /// <summary>The zone when none is given.</summary>
    public const string DefaultId = "UTC";

    /// <summary>
    /// Finds the IANA zone <paramref name="id"/> (<see cref="DefaultId"/> when null); on failure
    /// <paramref name="error"/> says why. Windows ids are refused so the stored id means the same on every host.
    /// </summary>
    public static bool TryFind(string? id, [NotNullWhen(true)] out TimeZoneInfo? zone, [NotNullWhen(false)] out string? error)
    {
        zone = null;
        id ??= DefaultId;
        if (string.Equals(id, DefaultId, StringComparison.Ordinal))
        {
            zone = TimeZoneInfo.Utc;
            error = null;
            return true;
        }

        if (id.Length == 0 || !TimeZoneInfo.TryFindSystemTimeZoneById(id, out var found) || !found.HasIanaId)
        {
            error = $"Invalid timeZone '{id}': expected an IANA time zone id such as 'UTC' or 'Europe/Paris'.";
            return false;
        }

        zone = found;
        error = null;
        return true;
    }
}
