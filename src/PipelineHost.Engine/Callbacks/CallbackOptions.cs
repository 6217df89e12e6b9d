using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PipelineHost.Engine.Callbacks;

/// <summary>
/// How task-end callbacks are signed and delivered: configuration section <see cref="SectionName"/>
/// (<c>PipelineHost:Callbacks</c>), keys <c>SigningKey</c>, <c>AllowPrivateNetworks</c>, <c>MaxAttempts</c>,
/// <c>InitialDelay</c> and <c>AttemptTimeout</c> (seconds), read by <see cref="FromConfiguration"/>.
/// </summary>
public sealed record CallbackOptions
{
    /// <summary>The configuration section the settings bind from.</summary>
    public const string SectionName = "PipelineHost:Callbacks";

    /// <summary>The most attempts a delivery may be configured with.</summary>
    public const int MaxAttemptsLimit = 20;

    /// <summary>
    /// The HMAC-SHA256 key (<c>SigningKey</c>). Null: a random key is generated once and kept in the data folder
    /// (<see cref="CallbackSigningKey.FileName"/>).
    /// </summary>
    public string? SigningKey { get; init; }

    /// <summary>
    /// Allows callback hosts on loopback, private, link-local and other non-public addresses
    /// (<c>AllowPrivateNetworks</c>). Off by default: a callback must not be a way to reach the server's own network.
    /// </summary>
    public bool AllowPrivateNetworks { get; init; }

    /// <summary>Attempts per delivery, the first included (<c>MaxAttempts</c>).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>The wait before the second attempt; each later wait doubles it (<c>InitialDelay</c>, seconds).</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one attempt may take, connection and response headers included (<c>AttemptTimeout</c>, seconds).</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The wait before attempt <paramref name="attempt"/> (1-based): zero for the first, then <see cref="InitialDelay"/> × 2^(n−2).</summary>
    public TimeSpan DelayBefore(int attempt) => attempt <= 1
        ? TimeSpan.Zero
        : TimeSpan.FromTicks((long)Math.Min(InitialDelay.Ticks * Math.Pow(2, attempt - 2), TimeSpan.MaxValue.Ticks));

    /// <summary>
    /// The settings in section <see cref="SectionName"/> of <paramref name="configuration"/>; a setting not given
    /// keeps its default. Strict, so that a typo cannot silently leave callbacks unsigned by the intended key or
    /// open to private networks.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown key or a bad value; the message names the key.</exception>
    public static CallbackOptions FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = new CallbackOptions();
        foreach (var child in configuration.GetSection(SectionName).GetChildren())
        {
            var value = child.Value ?? string.Empty;
            options = child.Key.ToUpperInvariant() switch
            {
                "SIGNINGKEY" => options with { SigningKey = value.Length > 0 ? value : throw Bad(child, "must not be empty") },
                "ALLOWPRIVATENETWORKS" => options with { AllowPrivateNetworks = bool.TryParse(value, out var allow) ? allow : throw Bad(child, "must be true or false") },
                "MAXATTEMPTS" => options with
                {
                    MaxAttempts = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var attempts) && attempts is >= 1 and <= MaxAttemptsLimit
                        ? attempts
                        : throw Bad(child, $"must be a whole number from 1 to {MaxAttemptsLimit.ToString(CultureInfo.InvariantCulture)}"),
                },
                "INITIALDELAY" => options with { InitialDelay = Seconds(child, allowZero: true) },
                "ATTEMPTTIMEOUT" => options with { AttemptTimeout = Seconds(child, allowZero: false) },
                _ => throw new ArgumentException($"Unknown callback setting '{child.Path}': the settings are SigningKey, AllowPrivateNetworks, MaxAttempts, InitialDelay and AttemptTimeout."),
            };
        }

        return options;
    }

    private static TimeSpan Seconds(IConfigurationSection setting, bool allowZero) =>
        double.TryParse(setting.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && (seconds > 0 || (allowZero && seconds == 0)) && seconds <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw Bad(setting, allowZero ? "must be a number of seconds from 0 to 86400" : "must be a number of seconds greater than 0, at most 86400");

    private static ArgumentException Bad(IConfigurationSection setting, string rule) => new($"Option '{setting.Path}' {rule}.");
}
