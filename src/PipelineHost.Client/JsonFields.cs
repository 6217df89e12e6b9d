using System.Text.Json;
using System.Text.Json.Nodes;

namespace PipelineHost.Client;

/// <summary>
/// Tolerant readers for response bodies. A body built by another server (RocketRide) or decoded from MessagePack
/// may carry a number as an int, a long or a double; a missing or mistyped field reads as its default instead of
/// failing the whole call, because the typed models are a convenience over the raw JSON, not a validator.
/// </summary>
internal static class JsonFields
{
    public static string? String(JsonObject? obj, string name) =>
        obj?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    public static string StringOrEmpty(JsonObject? obj, string name) => String(obj, name) ?? string.Empty;

    public static bool Bool(JsonObject? obj, string name) =>
        obj?[name] is JsonValue value && value.GetValueKind() == JsonValueKind.True;

    public static long Int64(JsonObject? obj, string name) => obj?[name] is JsonValue value && TryNumber(value, out var number) ? (long)number : 0;

    public static long? NullableInt64(JsonObject? obj, string name) => obj?[name] is JsonValue value && TryNumber(value, out var number) ? (long)number : null;

    public static double Double(JsonObject? obj, string name) => obj?[name] is JsonValue value && TryNumber(value, out var number) ? number : 0;

    public static JsonObject? Object(JsonObject? obj, string name) => obj?[name] as JsonObject;

    public static IReadOnlyList<string> Strings(JsonObject? obj, string name)
    {
        if (obj?[name] is not JsonArray array)
        {
            return [];
        }

        var list = new List<string>(array.Count);
        foreach (var item in array)
        {
            list.Add(item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : item?.ToJsonString() ?? string.Empty);
        }

        return list;
    }

    /// <summary>A number in any CLR representation the codecs produce, as a double.</summary>
    public static bool TryNumber(JsonValue value, out double number)
    {
        if (value.GetValueKind() != JsonValueKind.Number)
        {
            number = 0;
            return false;
        }

        if (value.TryGetValue(out long l))
        {
            number = l;
            return true;
        }

        if (value.TryGetValue(out double d))
        {
            number = d;
            return true;
        }

        if (value.TryGetValue(out int i))
        {
            number = i;
            return true;
        }

        if (value.TryGetValue(out ulong u))
        {
            number = u;
            return true;
        }

        if (value.TryGetValue(out decimal m))
        {
            number = (double)m;
            return true;
        }

        number = 0;
        return false;
    }
}
