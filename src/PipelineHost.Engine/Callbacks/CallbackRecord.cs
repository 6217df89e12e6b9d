using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Engine.Callbacks;

/// <summary>Where a callback delivery stands.</summary>
public enum CallbackState
{
    /// <summary>Not delivered yet: the task runs, or attempts remain.</summary>
    Pending,

    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>Every attempt failed, or the receiver's address was refused.</summary>
    Failed,
}

/// <summary>One POST to the callback URL.</summary>
/// <param name="Attempt">1-based.</param>
/// <param name="At">When it started.</param>
/// <param name="StatusCode">The receiver's HTTP status; null when none came (timeout, connection error, refusal).</param>
/// <param name="Error">Why no response came; null when one did.</param>
/// <param name="DurationMs">From sending to the response headers (or the failure), in milliseconds.</param>
public sealed record CallbackAttempt(int Attempt, DateTimeOffset At, int? StatusCode, string? Error, long DurationMs)
{
    /// <summary>The wire form: <c>{attempt, at (ISO-8601 UTC), statusCode, error, durationMs}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["attempt"] = Attempt,
        ["at"] = At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        ["statusCode"] = StatusCode,
        ["error"] = Error,
        ["durationMs"] = DurationMs,
    };

    /// <summary>Reads <see cref="ToJson"/>'s form back.</summary>
    public static CallbackAttempt FromJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new CallbackAttempt(
            json["attempt"]!.GetValue<int>(),
            DateTimeOffset.Parse(json["at"]!.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal),
            json["statusCode"] is JsonValue code ? code.GetValue<int>() : null,
            json["error"] is JsonValue error ? error.GetValue<string>() : null,
            json["durationMs"]!.GetValue<long>());
    }
}

/// <summary>
/// A task's callback: where it goes, and how delivering it went. Kept durable by
/// <see cref="Storage.ITaskStore.UpsertCallbackAsync"/> from the task's creation on, so a delivery the host could
/// not finish is resumed by the next one.
/// </summary>
public sealed record CallbackRecord
{
    /// <summary>The task's private token; null on a record read back from the store, which keeps only <see cref="TokenHash"/>.</summary>
    public string? Token { get; init; }

    /// <summary>The store's key: the keyed hash of <see cref="Token"/> (<see cref="Storage.TokenHasher"/>); set on records read back.</summary>
    public string? TokenHash { get; init; }

    /// <summary>The run the delivery belongs to: the task's creation time (TASK_STATUS <c>startTime</c>).</summary>
    public required double CreatedAt { get; init; }

    /// <summary>The full URL, secrets in its query or user info included: only the store and the delivery see it.</summary>
    public required string Url { get; init; }

    /// <summary>The delivery's id (<c>X-PipelineHost-Delivery</c>), the same for every attempt so a receiver can drop repeats.</summary>
    public required string DeliveryId { get; init; }

    /// <summary>Where the delivery stands.</summary>
    public CallbackState State { get; init; }

    /// <summary>The attempts so far, oldest first.</summary>
    public IReadOnlyList<CallbackAttempt> Attempts { get; init; } = [];

    /// <summary>The exact body every attempt sends (the final TASK_STATUS); null until the task has ended.</summary>
    public string? Payload { get; init; }

    /// <summary>A pending delivery to <paramref name="url"/> for the run created at <paramref name="createdAt"/>.</summary>
    public static CallbackRecord Create(string token, double createdAt, Uri url)
    {
        ArgumentNullException.ThrowIfNull(url);
        return new CallbackRecord { Token = token, CreatedAt = createdAt, Url = url.AbsoluteUri, DeliveryId = Guid.NewGuid().ToString("D") };
    }

    /// <summary>The status field <c>callback</c>: <c>{url (masked), state, attempts}</c>.</summary>
    public JsonObject ToStatusJson() => new()
    {
        ["url"] = CallbackUrl.Mask(Url),
        ["state"] = StateName(State),
        ["attempts"] = AttemptsJson(),
    };

    /// <summary>The attempts in their wire form.</summary>
    public JsonArray AttemptsJson() => new(Attempts.Select(a => (JsonNode)a.ToJson()).ToArray());

    /// <summary>Reads <see cref="AttemptsJson"/>'s text back.</summary>
    public static IReadOnlyList<CallbackAttempt> ParseAttempts(string json) =>
        JsonNode.Parse(json) is JsonArray array ? array.Select(a => CallbackAttempt.FromJson(a!.AsObject())).ToList() : [];

    /// <summary>The wire name of <paramref name="state"/>: <c>pending</c>, <c>delivered</c>, <c>failed</c>.</summary>
    public static string StateName(CallbackState state) => state switch
    {
        CallbackState.Delivered => "delivered",
        CallbackState.Failed => "failed",
        _ => "pending",
    };

    /// <summary>Reads <see cref="StateName"/>'s form back.</summary>
    public static CallbackState ParseState(string name) => name switch
    {
        "delivered" => CallbackState.Delivered,
        "failed" => CallbackState.Failed,
        "pending" => CallbackState.Pending,
        _ => throw new JsonException($"Unknown callback state '{name}'."),
    };
}
