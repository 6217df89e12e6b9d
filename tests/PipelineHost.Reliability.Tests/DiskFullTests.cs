using System.Net;
using System.Net.Http.Headers;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Reliability.Tests;

/// <summary>A full disk fails the writes that need space, clearly, and nothing else; space returning heals it.</summary>
[Collection(nameof(Serial))]
public sealed class DiskFullTests
{
    [TmpfsFact]
    public async Task On_a_full_disk_store_writes_fail_without_leaking_paths_reads_keep_working_and_freed_space_heals()
    {
        using var disk = Tmpfs.Mount(megabytes: 16);
        var dataDirectory = Path.Combine(disk.Path, "data");
        await using var server = await TestServer.StartAsync(dataDirectory: dataDirectory);
        await using var client = await server.ConnectAsync();
        using var http = server.CreateHttpClient();

        var handle = (await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_open", ["path"] = "filler.bin", ["mode"] = "w" })).Body!["handle"]!.GetValue<string>();
        var chunk = new byte[1 << 20];
        Protocol.ResponseMessage? failed = null;
        for (var i = 0; i < 64 && failed is null; i++)
        {
            var write = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_write", ["handle"] = handle }, chunk);
            failed = write.Success ? null : write;
        }

        Assert.NotNull(failed);
        Assert.DoesNotContain(disk.Path, failed.Message, StringComparison.Ordinal);
        Assert.True((await client.RequestAsync("rrext_ping")).Success);
        using (var request = new HttpRequestMessage(HttpMethod.Get, "/status"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", TestServer.ApiKey);
            using var status = await http.SendAsync(request).WaitAsync(TestTimeouts.Default);
            Assert.Equal(HttpStatusCode.OK, status.StatusCode);
        }

        await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_close", ["handle"] = handle });
        var deleted = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_delete", ["path"] = "filler.bin" });
        var again = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_open", ["path"] = "after.bin", ["mode"] = "w" });
        var written = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_write", ["handle"] = again.Body!["handle"]!.DeepClone() }, chunk);

        Assert.True(deleted.Success, deleted.Message);
        Assert.True(written.Success, written.Message);
    }
}
