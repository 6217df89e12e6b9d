using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Storage;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary><c>rrext_store</c> as the SDKs drive it (§4.3 "Store"), and what it refuses.</summary>
public class StoreCommandsTests
{
    private static Task<ResponseMessage> Store(DapTestClient client, string subcommand, JsonObject? arguments = null, byte[]? data = null)
    {
        arguments ??= [];
        arguments["subcommand"] = subcommand;
        return client.RequestAsync("rrext_store", arguments, data);
    }

    private static async Task<JsonObject> Ok(Task<ResponseMessage> call)
    {
        var response = await call;
        Assert.True(response.Success, response.Message);
        return response.Body!.AsObject();
    }

    private static async Task WriteFileAsync(DapTestClient client, string path, byte[] content)
    {
        var handle = (await Ok(Store(client, "fs_open", new() { ["path"] = path, ["mode"] = "w" })))["handle"]!.GetValue<string>();
        var written = await Ok(Store(client, "fs_write", new() { ["handle"] = handle }, content));
        Assert.Equal(content.Length, written["bytesWritten"]!.GetValue<int>());
        await Ok(Store(client, "fs_close", new() { ["handle"] = handle, ["mode"] = "w" }));
    }

    /// <summary>Reads as the SDKs do: fs_read chunks until an empty payload.</summary>
    private static async Task<(List<byte[]> Chunks, long Size)> ReadFileAsync(DapTestClient client, string path, int length)
    {
        var opened = await Ok(Store(client, "fs_open", new() { ["path"] = path, ["mode"] = "r" }));
        var handle = opened["handle"]!.GetValue<string>();
        var chunks = new List<byte[]>();
        for (long offset = 0; ; )
        {
            var response = await Store(client, "fs_read", new() { ["handle"] = handle, ["offset"] = offset, ["length"] = length });
            Assert.True(response.Success, response.Message);
            var bytes = response.Data?.ToArray() ?? [];
            Assert.Equal(bytes.Length, response.Body!["size"]!.GetValue<int>());
            if (bytes.Length == 0)
            {
                break;
            }

            chunks.Add(bytes);
            offset += bytes.Length;
        }

        await Ok(Store(client, "fs_close", new() { ["handle"] = handle, ["mode"] = "r" }));
        return (chunks, opened["size"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_1000_byte_file_read_300_bytes_at_a_time_comes_back_in_exactly_4_binary_chunks()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var content = Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray();
        var path = ".test-store/ts-hw-" + Guid.NewGuid().ToString("N")[..8];

        await WriteFileAsync(client, path, content);
        var (chunks, size) = await ReadFileAsync(client, path, 300);

        Assert.Equal(1000, size);
        Assert.Equal([300, 300, 300, 100], chunks.Select(c => c.Length));
        Assert.Equal(content, chunks.SelectMany(c => c));
        Assert.True(File.Exists(Path.Combine(server.DataDirectory, "store", "local", path)));
    }

    [Fact]
    public async Task Utf8_and_json_round_trip_and_stat_sees_the_file_until_it_is_deleted()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var text = "Hello ☃ 🚀";
        var json = new JsonObject { ["name"] = "snow ☃", ["n"] = 3, ["list"] = new JsonArray(1, 2) };

        await WriteFileAsync(client, ".test-store/greeting.txt", Encoding.UTF8.GetBytes(text));
        await WriteFileAsync(client, ".test-store/data.json", Encoding.UTF8.GetBytes(json.ToJsonString()));
        var readText = Encoding.UTF8.GetString([.. (await ReadFileAsync(client, ".test-store/greeting.txt", 4 * 1024 * 1024)).Chunks.SelectMany(c => c)]);
        var readJson = JsonNode.Parse(Encoding.UTF8.GetString([.. (await ReadFileAsync(client, ".test-store/data.json", 4 * 1024 * 1024)).Chunks.SelectMany(c => c)]));
        var before = await Ok(Store(client, "fs_stat", new() { ["path"] = ".test-store/greeting.txt" }));
        await Ok(Store(client, "fs_delete", new() { ["path"] = ".test-store/greeting.txt" }));
        var after = await Ok(Store(client, "fs_stat", new() { ["path"] = ".test-store/greeting.txt" }));

        Assert.Equal(text, readText);
        Assert.True(JsonNode.DeepEquals(json, readJson));
        Assert.True(before["exists"]!.GetValue<bool>());
        Assert.Equal("file", before["type"]!.GetValue<string>());
        Assert.Equal(Encoding.UTF8.GetByteCount(text), before["size"]!.GetValue<long>());
        Assert.True(before["modified"]!.GetValue<double>() > 0);
        Assert.False(after["exists"]!.GetValue<bool>());
        Assert.Single(after);
    }

    [Fact]
    public async Task Folders_can_be_made_listed_renamed_and_removed()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await Ok(Store(client, "fs_mkdir", new() { ["path"] = "docs/empty" }));
        await WriteFileAsync(client, "docs/a.txt", "abc"u8.ToArray());
        var listing = await Ok(Store(client, "fs_list_dir", new() { ["path"] = "docs" }));
        var rootListing = await Ok(Store(client, "fs_list_dir", new() { ["path"] = "" }));
        await Ok(Store(client, "fs_rename", new() { ["old_path"] = "docs/a.txt", ["new_path"] = "archive/2025/a.txt" }));
        var notEmpty = await Store(client, "fs_rmdir", new() { ["path"] = "docs", ["recursive"] = false });
        await Ok(Store(client, "fs_rmdir", new() { ["path"] = "docs", ["recursive"] = true }));
        var moved = await Ok(Store(client, "fs_stat", new() { ["path"] = "archive/2025/a.txt" }));
        var gone = await Ok(Store(client, "fs_stat", new() { ["path"] = "docs" }));
        var dirStat = await Ok(Store(client, "fs_stat", new() { ["path"] = "archive" }));

        Assert.Equal(2, listing["count"]!.GetValue<int>());
        Assert.Equal(["a.txt", "empty"], listing["entries"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.Equal(["file", "dir"], listing["entries"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()));
        Assert.Equal(3, listing["entries"]![0]!["size"]!.GetValue<long>());
        Assert.Null(listing["entries"]![1]!["size"]);
        Assert.Equal(["docs"], rootListing["entries"]!.AsArray().Select(e => e!["name"]!.GetValue<string>()));
        Assert.False(notEmpty.Success);
        Assert.Contains("not empty", notEmpty.Message, StringComparison.Ordinal);
        Assert.True(moved["exists"]!.GetValue<bool>());
        Assert.False(gone["exists"]!.GetValue<bool>());
        Assert.Equal("dir", dirStat["type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../x")]
    [InlineData("..")]
    [InlineData("a\0b")]
    public async Task Paths_that_could_leave_the_store_are_refused_by_every_subcommand(string path)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        var responses = new[]
        {
            await Store(client, "fs_open", new() { ["path"] = path, ["mode"] = "w" }),
            await Store(client, "fs_open", new() { ["path"] = path, ["mode"] = "r" }),
            await Store(client, "fs_stat", new() { ["path"] = path }),
            await Store(client, "fs_list_dir", new() { ["path"] = path }),
            await Store(client, "fs_mkdir", new() { ["path"] = path }),
            await Store(client, "fs_delete", new() { ["path"] = path }),
            await Store(client, "fs_rmdir", new() { ["path"] = path, ["recursive"] = true }),
            await Store(client, "fs_rename", new() { ["old_path"] = "x", ["new_path"] = path }),
        };

        Assert.All(responses, r =>
        {
            Assert.False(r.Success);
            Assert.DoesNotContain(server.DataDirectory, r.Message, StringComparison.Ordinal);
        });
        Assert.Contains(path.Contains('\0', StringComparison.Ordinal) ? "NUL" : path.StartsWith('/') ? "absolute" : "'..'", responses[0].Message, StringComparison.Ordinal);
        Assert.False(File.Exists("/etc/passwd") && File.GetLastWriteTimeUtc("/etc/passwd") > DateTime.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task A_symbolic_link_in_the_store_that_points_to_tmp_cannot_be_used_to_reach_it()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await Ok(Store(client, "fs_mkdir", new() { ["path"] = "inside" }));
        var userRoot = Path.Combine(server.DataDirectory, "store", "local");
        Directory.CreateSymbolicLink(Path.Combine(userRoot, "inside", "tmp"), Path.GetTempPath());
        var target = "pipelinehost-escape-" + Guid.NewGuid().ToString("N");

        var write = await Store(client, "fs_open", new() { ["path"] = $"inside/tmp/{target}", ["mode"] = "w" });
        var mkdir = await Store(client, "fs_mkdir", new() { ["path"] = $"inside/tmp/{target}" });
        var list = await Store(client, "fs_list_dir", new() { ["path"] = "inside/tmp" });
        var rename = await Store(client, "fs_rename", new() { ["old_path"] = "inside/tmp", ["new_path"] = "moved" });
        var listing = await Ok(Store(client, "fs_list_dir", new() { ["path"] = "inside" }));

        Assert.False(write.Success);
        Assert.Contains("outside the store", write.Message, StringComparison.Ordinal);
        Assert.False(mkdir.Success);
        Assert.False(list.Success);
        Assert.False(rename.Success);
        Assert.False(File.Exists(Path.Combine(Path.GetTempPath(), target)));
        Assert.False(Directory.Exists(Path.Combine(Path.GetTempPath(), target)));
        Assert.Equal(0, listing["count"]!.GetValue<int>());
    }

    [Fact]
    public async Task Handles_belong_to_their_connection_and_are_closed_when_it_closes()
    {
        await using var server = await TestServer.StartAsync();
        var first = await server.ConnectAsync();
        await using var second = await server.ConnectAsync();
        var handle = (await Ok(Store(first, "fs_open", new() { ["path"] = "held.bin", ["mode"] = "w" })))["handle"]!.GetValue<string>();
        var file = Path.Combine(server.DataDirectory, "store", "local", "held.bin");

        var foreign = await Store(second, "fs_write", new() { ["handle"] = handle }, [1, 2, 3]);
        Assert.True(OpenDescriptors(file) > 0);
        await first.DisposeAsync();

        Assert.False(foreign.Success);
        Assert.Contains("Unknown file handle", foreign.Message, StringComparison.Ordinal);
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while (OpenDescriptors(file) > 0)
        {
            await Task.Delay(20, timeout.Token);
        }
    }

    [Fact]
    public async Task Bad_requests_get_clear_errors_and_public_keys_have_no_store()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var started = await client.ExecuteAsync(TestPipelines.Echo());
        await using var publicKey = await server.ConnectAsync(started["publicToken"]!.GetValue<string>());
        await using var taskToken = await server.ConnectAsync(started["token"]!.GetValue<string>());
        var handle = (await Ok(Store(client, "fs_open", new() { ["path"] = "r.txt", ["mode"] = "w" })))["handle"]!.GetValue<string>();

        var tooLong = await Store(client, "fs_read", new() { ["handle"] = handle, ["offset"] = 0, ["length"] = FileHandleTable.MaxReadLength + 1 });
        var negative = await Store(client, "fs_read", new() { ["handle"] = handle, ["offset"] = -1, ["length"] = 10 });
        // A text frame: no binary payload at all (the test client turns a null payload into an empty one).
        await client.SendTextAsync(new JsonObject
        {
            ["type"] = "request",
            ["seq"] = 900,
            ["command"] = "rrext_store",
            ["arguments"] = new JsonObject { ["subcommand"] = "fs_write", ["handle"] = handle },
        }.ToJsonString());
        var noData = await client.ResponseToAsync(900);
        var badMode = await Store(client, "fs_open", new() { ["path"] = "r.txt", ["mode"] = "x" });
        var unknown = await Store(client, "fs_chmod", new() { ["path"] = "r.txt" });
        var missing = await Store(client, "fs_open", new() { ["path"] = "nope.txt", ["mode"] = "r" });
        var denied = await Store(publicKey, "fs_stat", new() { ["path"] = "r.txt" });
        var viaTaskToken = await Store(taskToken, "fs_stat", new() { ["path"] = "r.txt" });

        Assert.Contains("'length' must be an integer from 0 to 4194304", tooLong.Message, StringComparison.Ordinal);
        Assert.Contains("'offset' must be an integer of at least 0", negative.Message, StringComparison.Ordinal);
        Assert.Contains("binary data", noData.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown mode 'x'", badMode.Message, StringComparison.Ordinal);
        Assert.Contains("Unknown subcommand 'fs_chmod'", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        Assert.Equal("Permission 'task.store' denied", denied.Message);
        Assert.True(viaTaskToken.Success, viaTaskToken.Message);
    }

    /// <summary>How many of this process's file descriptors are open on <paramref name="path"/> (Linux).</summary>
    private static int OpenDescriptors(string path)
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget == path)
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return count;
    }
}
