namespace PipelineHost.Engine.Callbacks;

/// <summary>
/// How task-end callbacks are signed and delivered (configuration section <c>PipelineHost:Callbacks</c>).
/// </summary>
public sealed record CallbackOptions
{
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
}
