using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;
using PipelineHost.Tests.Corpus;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Archive entries and e-mail attachments travel as objects of their own through a real worker: parsed by the
/// same <c>parse</c>, counted by the task, answered under <c>objects</c>; a hostile archive fails only itself.
/// </summary>
public sealed class ChildObjectEndToEndTests
{
    private static readonly JsonObject Pipeline = JsonNode.Parse("""
        {"components":[
          {"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},
          {"id":"parse_1","provider":"parse","config":{},"input":[{"lane":"tags","from":"webhook_1"}]},
          {"id":"wordcount_1","provider":"wordcount","config":{},"input":[{"lane":"text","from":"parse_1"}]},
          {"id":"response_1","provider":"response","config":{},"input":[{"lane":"text","from":"parse_1"}]}],
         "source":"webhook_1"}
        """)!.AsObject();

    private static async Task<ResponseMessage> SendAsync(DapTestClient client, string token, string name, string mimeType, byte[] content)
    {
        var open = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "open", ["object"] = new JsonObject { ["name"] = name, ["size"] = content.Length }, ["mimeType"] = mimeType, ["token"] = token });
        Assert.True(open.Success, open.Message);
        var pipeId = open.Body!["pipe_id"]!.GetValue<int>();
        foreach (var chunk in content.Chunk(64 * 1024))
        {
            var write = await client.RequestAsync("rrext_process", new() { ["subcommand"] = "write", ["pipe_id"] = pipeId, ["token"] = token }, chunk);
            Assert.True(write.Success, write.Message);
        }

        return await client.RequestAsync("rrext_process", new() { ["subcommand"] = "close", ["pipe_id"] = pipeId, ["token"] = token });
    }

    private static List<string> Names(JsonNode? objects) => [.. objects!.AsArray().Select(o => o!["name"]!.GetValue<string>())];

    [Fact]
    public async Task A_zip_with_nested_documents_and_an_eml_with_attachments_answer_and_count_every_child()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(Pipeline.DeepClone().AsObject()))["token"]!.GetValue<string>();
        var zip = DocumentCorpus.Zip(
            ("readme.txt", "top level notes"u8.ToArray()),
            ("inner/report.pdf", DocumentCorpus.Pdf(false, "pdf page words")),
            ("inner/memo.docx", DocumentCorpus.Docx("docx memo words")),
            ("inner/more.zip", DocumentCorpus.Zip(("deep.txt", "deep text words"u8.ToArray()))));
        var eml = DocumentCorpus.Eml("See both attachments.", ("memo.docx", "application/octet-stream", DocumentCorpus.Docx("attached memo")), ("notes.txt", "text/plain", "attached notes"u8.ToArray()));

        var zipAnswer = await SendAsync(client, token, "archive.zip", "application/zip", zip);
        var emlAnswer = await SendAsync(client, token, "mail.eml", "message/rfc822", eml);

        Assert.True(zipAnswer.Success, zipAnswer.Message);
        Assert.Equal("archive.zip", zipAnswer.Body!["name"]!.GetValue<string>());
        var children = zipAnswer.Body!["objects"]!;
        Assert.Equal(["archive.zip/readme.txt", "archive.zip/inner/report.pdf", "archive.zip/inner/memo.docx", "archive.zip/inner/more.zip"], Names(children));
        Assert.Equal(["top level notes\n\n", "pdf page words\n\n", "docx memo words\n\n"], children.AsArray().Take(3).Select(c => c!["text"]![0]!.GetValue<string>()));
        var deep = Assert.Single(children[3]!["objects"]!.AsArray())!;
        Assert.Equal(("archive.zip/inner/more.zip/deep.txt", "deep text words\n\n"), (deep["name"]!.GetValue<string>(), deep["text"]![0]!.GetValue<string>()));

        Assert.True(emlAnswer.Success, emlAnswer.Message);
        Assert.Equal("See both attachments.\n\n", emlAnswer.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(["mail.eml/memo.docx", "mail.eml/notes.txt"], Names(emlAnswer.Body!["objects"]));
        Assert.Equal("attached memo\n\n", emlAnswer.Body!["objects"]![0]!["text"]![0]!.GetValue<string>());

        var status = await client.StatusAsync(token);
        Assert.Equal(9, status["totalCount"]!.GetValue<int>()); // 2 sent, 4 entries and the inner zip's 1, 2 attachments
        Assert.Equal(9, status["completedCount"]!.GetValue<int>());
        Assert.Equal(0, status["failedCount"]!.GetValue<int>());
        Assert.True(status["wordsCount"]!.GetValue<long>() >= 16, status.ToJsonString()); // wordcount downstream saw every child's text
    }

    [Fact]
    public async Task Hostile_archives_fail_only_the_object_sent_and_the_task_goes_on()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(Pipeline.DeepClone().AsObject()))["token"]!.GetValue<string>();
        var tooDeep = DocumentCorpus.Zip(("l3.zip", DocumentCorpus.Zip(("l2.zip", DocumentCorpus.Zip(("l1.zip", DocumentCorpus.Zip(("deep.txt", "deep"u8.ToArray())))))))); // 4 levels, default maxDepth 3

        var bomb = await SendAsync(client, token, "bomb.zip", "application/zip", DocumentCorpus.ZipBomb());
        var ratio = await SendAsync(client, token, "zeros.zip", "application/zip", DocumentCorpus.Zip(("zeros.bin", new byte[8 << 20])));
        var traversal = await SendAsync(client, token, "evil.zip", "application/zip", DocumentCorpus.Zip(("fine.txt", "fine"u8.ToArray()), ("../../x", "escape"u8.ToArray())));
        var deep = await SendAsync(client, token, "deep.zip", "application/zip", tooDeep);
        var after = await SendAsync(client, token, "after.zip", "application/zip", DocumentCorpus.Zip(("ok.txt", "still working"u8.ToArray())));

        Assert.False(bomb.Success);
        Assert.Contains("\"bomb.zip\" has an entry claiming 314572800 bytes", bomb.Message, StringComparison.Ordinal);
        Assert.False(ratio.Success);
        Assert.Contains("\"zeros.zip\" expands to more than 100 times its", ratio.Message, StringComparison.Ordinal);
        Assert.False(traversal.Success);
        Assert.Contains("\"evil.zip\": entry \"../../x\" has a path outside the archive", traversal.Message, StringComparison.Ordinal);
        Assert.False(deep.Success);
        Assert.Contains("\"deep.zip/l3.zip/l2.zip/l1.zip\" nests archives or messages more than 3 deep", deep.Message, StringComparison.Ordinal);
        Assert.True(after.Success, after.Message);
        Assert.Equal("still working\n\n", after.Body!["objects"]![0]!["text"]![0]!.GetValue<string>());

        var status = await client.StatusAsync(token);
        Assert.Equal(3, status["state"]!.GetValue<int>()); // still running
        // Four sent objects failed, and with deep.zip the three archives inside it that held the too-deep one.
        Assert.Equal(7, status["failedCount"]!.GetValue<int>());
        Assert.Equal(2, status["completedCount"]!.GetValue<int>()); // after.zip and its ok.txt
    }
}
