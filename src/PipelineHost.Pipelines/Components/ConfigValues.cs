using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Pipelines.Components;

/// <summary>
/// Reads typed values out of a component's <c>config</c>, applying the provider's defaults. Config is normally
/// schema-validated first; these still refuse a wrong type with a <see cref="ComponentConfigException"/> naming
/// the provider and the field, so a provider never works from a half-understood config.
/// </summary>
internal static class ConfigValues
{
    /// <summary>
    /// The string at <paramref name="name"/>, or <paramref name="fallback"/> when absent or null. Messages call
    /// the field <paramref name="path"/> (relative to <c>config</c>) when given, else <paramref name="name"/>.
    /// </summary>
    public static string? GetString(JsonObject config, string provider, string name, string? fallback = null, string? path = null) =>
        config[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            _ => throw Wrong(provider, path ?? name, "a string"),
        };

    /// <summary>The string at <paramref name="name"/>; a config error when it is absent or empty.</summary>
    public static string GetRequiredString(JsonObject config, string provider, string name, string? path = null) =>
        GetString(config, provider, name, path: path) is { Length: > 0 } value
            ? value
            : throw new ComponentConfigException($"{provider}: config.{path ?? name} is required.");

    /// <summary>The integer at <paramref name="name"/>, or <paramref name="fallback"/>; checked against the bounds.</summary>
    public static long GetInt64(JsonObject config, string provider, string name, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var value = config[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.Number &&
                             decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) &&
                             decimal.Truncate(d) == d && d >= long.MinValue && d <= long.MaxValue => (long)d,
            _ => throw Wrong(provider, name, "an integer"),
        };
        return value < min || value > max
            ? throw new ComponentConfigException(string.Create(CultureInfo.InvariantCulture,
                $"{provider}: config.{name} must be an integer >= {min} and <= {max}."))
            : value;
    }

    /// <summary>The integer at <paramref name="name"/> as an <see cref="int"/>.</summary>
    public static int GetInt32(JsonObject config, string provider, string name, int fallback, int min = int.MinValue, int max = int.MaxValue) =>
        (int)GetInt64(config, provider, name, fallback, min, max);

    /// <summary>The optional integer at <paramref name="name"/>.</summary>
    public static long? GetOptionalInt64(JsonObject config, string provider, string name, long min = long.MinValue, long max = long.MaxValue) =>
        config[name] is null ? null : GetInt64(config, provider, name, 0, min, max);

    /// <summary>The boolean at <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static bool GetBoolean(JsonObject config, string provider, string name, bool fallback) =>
        config[name] switch
        {
            null => fallback,
            JsonValue v when v.GetValueKind() == JsonValueKind.True => true,
            JsonValue v when v.GetValueKind() == JsonValueKind.False => false,
            _ => throw Wrong(provider, name, "a boolean"),
        };

    /// <summary>The array of strings at <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static IReadOnlyList<string> GetStrings(JsonObject config, string provider, string name, IReadOnlyList<string> fallback) =>
        config[name] switch
        {
            null => fallback,
            JsonArray array => array.Select((item, i) => item is JsonValue v && v.GetValueKind() == JsonValueKind.String
                    ? v.GetValue<string>()
                    : throw Wrong(provider, string.Create(CultureInfo.InvariantCulture, $"{name}[{i}]"), "a string"))
                .ToList(),
            _ => throw Wrong(provider, name, "an array of strings"),
        };

    /// <summary>The string at <paramref name="name"/>, which must be one of <paramref name="allowed"/>.</summary>
    public static string GetChoice(JsonObject config, string provider, string name, string fallback, params string[] allowed)
    {
        var value = GetString(config, provider, name, fallback)!;
        return allowed.Contains(value, StringComparer.Ordinal)
            ? value
            : throw new ComponentConfigException($"{provider}: config.{name} must be one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}.");
    }

    private static ComponentConfigException Wrong(string provider, string name, string what) =>
        new($"{provider}: config.{name} must be {what}.");
}
