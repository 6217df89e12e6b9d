using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Runtime;

/// <summary>How a retry waits between attempts.</summary>
public enum RetryBackoff
{
    /// <summary>Every retry waits <see cref="RetryPolicy.DelayMs"/>.</summary>
    Fixed,

    /// <summary>Retry n waits <see cref="RetryPolicy.DelayMs"/> × 2^(n-1), capped at <see cref="RetryPolicy.MaxDelayMs"/>.</summary>
    Exponential,
}

/// <summary>
/// A retry policy <c>{maxRetries, backoff, delayMs}</c>: for a task (an <c>execute</c> argument or the pipeline's
/// top-level <c>retry</c>) or for one component (a <c>retry</c> object beside its <c>config</c>). The one place
/// that says what a valid policy is and how long each retry waits.
/// </summary>
/// <param name="MaxRetries">Retries after the first attempt (0..<see cref="MaxMaxRetries"/>).</param>
/// <param name="Backoff">How the delay grows.</param>
/// <param name="DelayMs">The base delay in milliseconds (0..<see cref="MaxDelayMs"/>).</param>
public sealed record RetryPolicy(int MaxRetries, RetryBackoff Backoff, long DelayMs)
{
    /// <summary>Largest <see cref="MaxRetries"/>.</summary>
    public const int MaxMaxRetries = 100;

    /// <summary>Largest <see cref="DelayMs"/>, and the cap of an exponential delay (one hour).</summary>
    public const long MaxDelayMs = 3_600_000;

    /// <summary>The base delay when <c>delayMs</c> is omitted.</summary>
    public const long DefaultDelayMs = 1000;

    /// <summary>No retries: what applies when neither the task nor the component has a policy.</summary>
    public static readonly RetryPolicy None = new(0, RetryBackoff.Fixed, 0);

    /// <summary>The wait before retry number <paramref name="retry"/> (1 for the first retry).</summary>
    public TimeSpan DelayBefore(int retry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(retry, 1);
        if (Backoff == RetryBackoff.Fixed)
        {
            return TimeSpan.FromMilliseconds(DelayMs);
        }

        // 2^(retry-1) overflows long past 62 doublings; anything that large is past the cap anyway.
        var exponent = Math.Min(retry - 1, 62);
        var factor = 1L << exponent;
        var delay = DelayMs == 0 ? 0 : DelayMs > MaxDelayMs / factor ? MaxDelayMs : DelayMs * factor;
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxDelayMs));
    }

    /// <summary>The wire form <c>{maxRetries, backoff, delayMs}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["maxRetries"] = MaxRetries,
        ["backoff"] = Backoff == RetryBackoff.Exponential ? "exponential" : "fixed",
        ["delayMs"] = DelayMs,
    };

    /// <summary>
    /// Reads a policy. Null or absent is no policy (null result, no error); anything else must be a valid
    /// object, or <paramref name="error"/> says what is wrong (prefixed by <paramref name="what"/>, e.g.
    /// <c>Argument 'retry'</c>).
    /// </summary>
    public static RetryPolicy? Parse(JsonNode? node, string what, out string? error)
    {
        error = null;
        if (node is null)
        {
            return null;
        }

        if (node is not JsonObject obj)
        {
            error = $"{what} must be an object {{maxRetries, backoff, delayMs}}";
            return null;
        }

        foreach (var (key, _) in obj)
        {
            if (key is not ("maxRetries" or "backoff" or "delayMs"))
            {
                error = $"{what}: unknown field '{key}' (expected maxRetries, backoff, delayMs)";
                return null;
            }
        }

        if (!TryInteger(obj["maxRetries"], out var maxRetries) || maxRetries < 0 || maxRetries > MaxMaxRetries)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{what}: 'maxRetries' must be an integer from 0 to {MaxMaxRetries}");
            return null;
        }

        long delayMs = DefaultDelayMs;
        if (obj["delayMs"] is not null && (!TryInteger(obj["delayMs"], out delayMs) || delayMs < 0 || delayMs > MaxDelayMs))
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{what}: 'delayMs' must be an integer from 0 to {MaxDelayMs}");
            return null;
        }

        var backoff = RetryBackoff.Exponential;
        switch (obj["backoff"])
        {
            case null:
                break;
            case JsonValue b when b.GetValueKind() == JsonValueKind.String && b.GetValue<string>() == "exponential":
                break;
            case JsonValue b when b.GetValueKind() == JsonValueKind.String && b.GetValue<string>() == "fixed":
                backoff = RetryBackoff.Fixed;
                break;
            default:
                error = $"{what}: 'backoff' must be \"exponential\" or \"fixed\"";
                return null;
        }

        return new RetryPolicy((int)maxRetries, backoff, delayMs);
    }

    private static bool TryInteger(JsonNode? node, out long value)
    {
        value = 0;
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return false;
        }

        if (v.TryGetValue(out long l))
        {
            value = l;
            return true;
        }

        // A JSON number parsed as double (e.g. 3.0) counts when it is whole.
        if (v.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) < long.MaxValue)
        {
            value = (long)d;
            return true;
        }

        return false;
    }
}
