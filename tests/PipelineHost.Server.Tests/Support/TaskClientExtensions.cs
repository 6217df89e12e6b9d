using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;

namespace PipelineHost.Server.Tests.Support;

/// <summary>The SDKs' helpers, spelled out in frames: execute, send (open → write → close), status.</summary>
public static class TaskClientExtensions
{
    public static async Task<JsonObject> ExecuteAsync(this DapTestClient client, JsonObject pipeline, JsonObject? extra = null)
    {
        var arguments = new JsonObject { ["pipeline"] = pipeline.DeepClone(), ["args"] = new JsonArray() };
        foreach (var (key, value) in extra ?? [])
        {
            arguments[key] = value?.DeepClone();
        }

        var response = await client.RequestAsync("execute", arguments);
        Assert.True(response.Success, response.Message);
        return response.Body!.AsObject();
    }

    public static async Task<ResponseMessage> SendAsync(this DapTestClient client, string token, string text, string mimeType = "text/plain", string? name = null, params string[] more)
    {
        var objectInfo = new JsonObject { ["size"] = Math.Max(1, Encoding.UTF8.GetByteCount(text)) };
        if (name is not null)
        {
            objectInfo["name"] = name;
        }

        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = objectInfo, ["mimeType"] = mimeType, ["token"] = token });
        if (!open.Success)
        {
            return open;
        }

        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();
        foreach (var chunk in new[] { text }.Concat(more))
        {
            var write = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, Encoding.UTF8.GetBytes(chunk));
            if (!write.Success)
            {
                // As the SDKs do: close the pipe on error, then report the error.
                await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
                return write;
            }
        }

        return await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
    }

    /// <summary>Sends <paramref name="bytes"/> as one object of type <paramref name="mimeType"/> in one write.</summary>
    public static async Task<ResponseMessage> SendBytesAsync(this DapTestClient client, string token, byte[] bytes, string mimeType, string? name = null)
    {
        var objectInfo = new JsonObject { ["size"] = bytes.Length };
        if (name is not null)
        {
            objectInfo["name"] = name;
        }

        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = objectInfo, ["mimeType"] = mimeType, ["token"] = token });
        if (!open.Success)
        {
            return open;
        }

        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();
        var write = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, bytes);
        var close = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
        return write.Success ? close : write;
    }

    public static async Task<JsonObject> StatusAsync(this DapTestClient client, string token)
    {
        var response = await client.RequestAsync("rrext_get_task_status", new() { ["token"] = token });
        Assert.True(response.Success, response.Message);
        return response.Body!.AsObject();
    }

    public static Task<JsonObject> WaitForStateAsync(this DapTestClient client, string token, params int[] states) =>
        client.WaitForStatusAsync(token, s => states.Contains(s["state"]!.GetValue<int>()));

    public static async Task<JsonObject> WaitForStatusAsync(this DapTestClient client, string token, Func<JsonObject, bool> predicate)
    {
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (true)
        {
            var status = await client.StatusAsync(token);
            if (predicate(status))
            {
                return status;
            }

            await Task.Delay(20, timeout.Token);
        }
    }
}
