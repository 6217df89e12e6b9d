using System.Text;
using System.Text.Json.Nodes;

namespace PipelineHost.Reliability.Tests;

/// <summary>One hostile WebSocket frame: what it is, its bytes, and whether it goes as a binary frame.</summary>
/// <param name="HasSeq">False when the frame's <c>seq</c> cannot be read: the answer then has a null <c>request_seq</c>.</param>
public sealed record HostileFrame(string Name, byte[] Bytes, bool Binary, long? Seq);

/// <summary>
/// The generated malformed-input corpus: every command with every field it reads given wrong types, plus envelope
/// damage (syntax, duplicates, bad encodings, oversize values). Every frame must be refused with a clear message.
/// </summary>
public static class MalformedCorpus
{
    private static readonly JsonNode?[] NotStrings = [5, true, new JsonArray(), new JsonObject(), 1.5];
    private static readonly JsonNode?[] NotIntegers = ["4", 1.5, -1, 1e300, true, new JsonArray(), new JsonObject()];
    private static readonly JsonNode?[] NotBools = [5, "true", new JsonArray(), new JsonObject()];
    private static readonly JsonNode?[] NotObjects = [5, "x", new JsonArray(), true];

    /// <summary>Commands, the valid arguments that get them as far as the field, and the field's expected type.</summary>
    private static IEnumerable<(string Command, Func<string, JsonObject> Base, string Field, JsonNode?[] Values)> Fields(string token)
    {
        JsonObject Echo() => new()
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                new JsonObject { ["id"] = "response_1", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
            ["source"] = "webhook_1",
        };

        JsonObject Execute(string _) => new() { ["pipeline"] = Echo() };
        JsonObject Process(string sub) => new() { ["token"] = token, ["subcommand"] = sub };
        JsonObject Store(string sub) => new() { ["subcommand"] = sub };
        JsonObject None(string _) => [];

        foreach (var field in (string[])["pipelineTraceLevel", "name", "callbackUrl", "token", "source"])
        {
            yield return ("execute", Execute, field, NotStrings);
        }

        foreach (var field in (string[])["threads", "ttl"])
        {
            yield return ("execute", Execute, field, NotIntegers);
        }

        foreach (var field in (string[])["wait", "useExisting"])
        {
            yield return ("execute", Execute, field, NotBools);
        }

        yield return ("execute", Execute, "env", NotObjects);
        yield return ("execute", Execute, "pipeline", [5, "x", new JsonArray(), true, new JsonObject(), new JsonObject { ["components"] = new JsonArray() }]);
        foreach (var command in (string[])["terminate", "restart", "rrext_get_task_status", "rrext_retry_failed", "rrext_get_pipeline", "rrext_monitor"])
        {
            yield return (command, None, "token", NotStrings);
        }

        yield return ("rrext_process", Process, "subcommand", [.. NotStrings, "nope"]);
        yield return ("rrext_process", _ => Process("open"), "object", [.. NotObjects, new JsonObject { ["name"] = 5 }, new JsonObject { ["size"] = "1" }, new JsonObject { ["size"] = -1 }, new JsonObject { ["path"] = "a\0b" }]);
        yield return ("rrext_process", _ => Process("open"), "mimeType", NotStrings);
        yield return ("rrext_process", _ => Process("open"), "provider", [.. NotStrings, "not_this_one"]);
        yield return ("rrext_process", _ => Process("write"), "pipe_id", ["x", 1.5, -1, 99_999, new JsonArray()]);
        yield return ("rrext_process", _ => Process("close"), "pipe_id", ["x", 1.5, -1, 99_999, new JsonObject()]);
        yield return ("rrext_store", None, "subcommand", [.. NotStrings, "nope"]);
        yield return ("rrext_store", _ => Store("fs_open"), "path", [.. NotStrings, "a\0b", "../../etc/passwd", ""]);
        yield return ("rrext_store", _ => new JsonObject { ["subcommand"] = "fs_open", ["path"] = "x.txt" }, "mode", [.. NotStrings, "rw+x"]);
        yield return ("rrext_store", _ => Store("fs_read"), "handle", [.. NotStrings, "no-such-handle"]);
        yield return ("rrext_store", _ => new JsonObject { ["subcommand"] = "fs_read", ["handle"] = "h" }, "offset", NotIntegers);
        yield return ("rrext_store", _ => new JsonObject { ["subcommand"] = "fs_read", ["handle"] = "h" }, "length", NotIntegers);
        yield return ("rrext_store", _ => Store("fs_close"), "handle", NotStrings);
        yield return ("rrext_store", _ => Store("fs_delete"), "path", [.. NotStrings, "a\0b"]);
        yield return ("rrext_deploy_add", None, "pipeline", [5, "x", new JsonArray(), new JsonObject()]);
        yield return ("rrext_deploy_add", _ => new JsonObject { ["pipeline"] = Echo() }, "schedule", [.. NotStrings, "not-a-cron", "* * *"]);
        foreach (var command in (string[])["rrext_deploy_remove", "rrext_deploy_status", "rrext_deploy_update"])
        {
            yield return (command, None, "projectId", NotStrings);
        }

        yield return ("rrext_get_history", None, "limit", NotIntegers);
        yield return ("rrext_get_history", None, "state", [.. NotIntegers, 99]);
        yield return ("rrext_validate", None, "pipeline", [5, "x", new JsonArray(), new JsonObject { ["components"] = new JsonArray() }]);
        yield return ("rrext_services", None, "service", NotStrings);
    }

    /// <summary>The whole WebSocket corpus; <paramref name="token"/> is a running task's, so data commands reach their fields.</summary>
    public static List<HostileFrame> WebSocketFrames(string token)
    {
        var frames = new List<HostileFrame>();
        long seq = 10_000;
        foreach (var (command, make, field, values) in Fields(token))
        {
            foreach (var value in values)
            {
                var arguments = make(field);
                arguments[field] = value?.DeepClone();
                var s = ++seq;
                var envelope = new JsonObject { ["type"] = "request", ["seq"] = s, ["command"] = command, ["arguments"] = arguments };
                frames.Add(new($"{command} {field}={value?.ToJsonString() ?? "null"}", Encoding.UTF8.GetBytes(envelope.ToJsonString()), false, s));
            }
        }

        // Every command with arguments that are not an object, and with a duplicated argument.
        string[] commands =
        [
            "auth", "deauth", "execute", "restart", "terminate", "rrext_deploy_add", "rrext_deploy_list", "rrext_deploy_remove",
            "rrext_deploy_status", "rrext_deploy_update", "rrext_get_history", "rrext_get_pipeline", "rrext_get_task_status",
            "rrext_get_tasks", "rrext_get_token", "rrext_monitor", "rrext_ping", "rrext_process", "rrext_public_probe",
            "rrext_retry_failed", "rrext_services", "rrext_store", "rrext_validate",
        ];
        foreach (var command in commands)
        {
            foreach (var arguments in (string[])["5", "[]", "\"x\"", "{\"token\":1,\"token\":2}"])
            {
                var s = ++seq;
                frames.Add(new($"{command} arguments={arguments}", Encoding.UTF8.GetBytes($"{{\"type\":\"request\",\"seq\":{s},\"command\":\"{command}\",\"arguments\":{arguments}}}"), false, s));
            }
        }

        // Unknown and hostile command names.
        foreach (var command in (string[])["nope", "rrext_public_nope", "a\u0000b", new string('c', 20_000), "EXECUTE", " execute"])
        {
            var s = ++seq;
            frames.Add(new($"command '{command[..Math.Min(12, command.Length)]}'", Encoding.UTF8.GetBytes(new JsonObject { ["type"] = "request", ["seq"] = s, ["command"] = command }.ToJsonString()), false, s));
        }

        // Envelope damage with a readable seq.
        string[] withSeq =
        [
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":5}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":null}",
            "{\"type\":\"request\",\"seq\":SEQ}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":5}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":[]}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":\"x\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"terminate\",\"token\":5}",
            "{\"type\":\"nope\",\"seq\":SEQ,\"command\":\"rrext_ping\"}",
            "{\"type\":5,\"seq\":SEQ,\"command\":\"rrext_ping\"}",
            "{\"seq\":SEQ,\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"command\":\"execute\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"type\":\"request\",\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":{\"b\":1,\"b\":2}}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{},\"arguments\":{}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\\ud800\"}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\\udfff\\ud800\"}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"\\ud834\":1}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"\\ud800\"}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\\x\"}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\\u12\"}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":\"\u0001\"}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":NaN}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":Infinity}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":1,}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{'a':1}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\"/*c*/}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\"}x",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\"}{}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":" + new string('[', 100) + new string(']', 100) + "}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_ping\",\"arguments\":{\"a\":" + new string('[', 5000) + "}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_get_history\",\"arguments\":{\"limit\":1" + new string('0', 5000) + "}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"execute\",\"arguments\":{\"pipeline\":{\"components\":\"" + new string('x', 200_000) + "\"}}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"execute\",\"arguments\":{\"pipeline\":{\"source\":\"" + new string('s', 100_000) + "\"}}}",
            "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"token\":\"" + new string('t', 100_000) + "\",\"subcommand\":\"open\"}}",
        ];
        foreach (var text in withSeq)
        {
            var s = ++seq;
            frames.Add(new($"envelope {text[..Math.Min(80, text.Length)]}", Encoding.UTF8.GetBytes(text.Replace("SEQ", s.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)), false, s));
        }

        // Binary frames: a JSON header, 0x0A, a payload; damage in the header.
        byte[][] binaryHeaders =
        [
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"x\":\""u8, 0xC3, 0x28, .. "\"}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\""u8, 0xFF, .. "\":1}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"x\":\""u8, 0xED, 0xA0, 0x80, .. "\"}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"x\":\""u8, 0xF8, 0x88, 0x80, 0x80, 0x80, .. "\"}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"x\":\""u8, 0xC0, 0xAF, .. "\"}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":5}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"arguments\":{\"subcommand\":\"write\",\"token\":5}}"u8],
            [.. "{\"type\":\"request\",\"seq\":SEQ,\"command\":\"rrext_process\",\"seq\":SEQ}"u8],
        ];
        foreach (var header in binaryHeaders)
        {
            var s = ++seq;
            // Latin-1 maps each byte to one char and back, so the damaged bytes survive the seq substitution.
            var text = Encoding.Latin1.GetString(header).Replace("SEQ", s.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            frames.Add(new($"binary header #{frames.Count}", [.. Encoding.Latin1.GetBytes(text), 0x0A, 1, 2, 3], true, s));
        }

        // No seq can be read: the answer has a null request_seq.
        string[] noSeq =
        [
            "garbage", "{", "[]", "\"text\"", "1", "null", "{}", "true", "", " ", "{\"type\":\"request\"}",
            "{\"type\":\"request\",\"seq\":\"1\",\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":1.5,\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":1e40,\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":[1],\"command\":\"rrext_ping\"}",
            "{\"type\":\"request\",\"seq\":true,\"command\":\"rrext_ping\"}",
            "\uFEFF{\"type\":\"request\",\"seq\":1,\"command\":\"rrext_ping\"",
        ];
        foreach (var text in noSeq)
        {
            frames.Add(new($"no seq {text[..Math.Min(40, text.Length)]}", Encoding.UTF8.GetBytes(text), false, null));
        }

        frames.Add(new("binary, no newline, not JSON", [0x00, 0x01, 0x02, 0xFF], true, null));
        frames.Add(new("binary, only a newline", [0x0A], true, null));
        frames.Add(new("binary, invalid UTF-8 before the newline", [0xFF, 0xFE, 0x0A, 0x01], true, null));
        return frames;
    }
}
