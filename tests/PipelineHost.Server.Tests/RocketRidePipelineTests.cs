using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Tests.Support;
using PipelineHost.Tests.Corpus;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Pipeline files written the RocketRide way (editor <c>ui</c>, <c>viewport</c>, wrapped or flat, a response
/// reading several lanes from several components) run unchanged, end to end, in real worker processes, on
/// real documents.
/// </summary>
public sealed class RocketRidePipelineTests
{
    private static JsonObject Load(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "RocketRide", file)))!.AsObject();

    private static async Task<ResponseMessage> SendBytesAsync(DapTestClient client, string token, string name, string mimeType, byte[] content)
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

    [Fact]
    public async Task A_response_reading_text_and_table_from_the_source_and_the_parser_runs()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var validation = await client.RequestAsync("rrext_validate", new() { ["pipeline"] = Load("fan-in.pipe") });
        Assert.Empty(validation.Body!["errors"]!.AsArray());
        Assert.Contains(validation.Body!["notes"]!.AsArray(), n => n!["message"]!.GetValue<string>() == "Component \"webhook_1\": field 'ui' is not used; ignored");
        var token = (await client.ExecuteAsync(Load("fan-in.pipe")))["token"]!.GetValue<string>();

        var result = await SendBytesAsync(client, token, "people.csv", "text/csv", "name;city\r\nAnn;Oslo\r\n"u8.ToArray());

        Assert.True(result.Success, result.Message);
        var text = result.Body!["text"]![0]!.GetValue<string>();
        Assert.Equal("name;city\r\nAnn;Oslo\r\n\n\nname;city\r\nAnn;Oslo\r\n\n\n", text); // the source's text, then the parser's
        var table = result.Body!["table"]![0]!;
        Assert.Equal("""["name","city"]""", table["columns"]!.ToJsonString());
        Assert.Equal("""[["Ann","Oslo"]]""", table["rows"]!.ToJsonString());
    }

    [Fact]
    public async Task Documents_of_every_kind_come_back_on_their_lanes_and_a_hostile_one_fails_alone()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(Load("document-media.pipe")))["token"]!.GetValue<string>();

        var pdf = await SendBytesAsync(client, token, "report.pdf", "application/pdf", DocumentCorpus.Pdf("Quarterly revenue grew", "Costs fell"));
        var bomb = await SendBytesAsync(client, token, "bomb.zip", "application/zip", DocumentCorpus.ZipBomb());
        var docx = await SendBytesAsync(client, token, "memo.docx", "application/octet-stream", DocumentCorpus.Docx("Memo for the board"));
        var png = await SendBytesAsync(client, token, "pixel.png", "image/png", DocumentCorpus.Png(9, 4));
        var audio = await SendBytesAsync(client, token, "clip.mp3", "audio/mpeg", [1, 2, 3, 4]);
        var eml = await SendBytesAsync(client, token, "mail.eml", "message/rfc822", DocumentCorpus.Eml("See the memo.", ("memo.docx", "application/octet-stream", DocumentCorpus.Docx("Attached memo text"))));
        var zip = await SendBytesAsync(client, token, "set.zip", "application/zip", DocumentCorpus.Zip(("a.txt", "alpha"u8.ToArray()), ("b.xlsx", DocumentCorpus.Xlsx(("S", [["k"], ["v"]])))));

        Assert.True(pdf.Success, pdf.Message);
        Assert.Equal("Quarterly revenue grew\n\nCosts fell\n\n", pdf.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(2, pdf.Body!["documents"]!.AsArray().Count);
        Assert.Equal(2, pdf.Body!["documents"]![1]!["metadata"]!["page"]!.GetValue<int>());
        Assert.Equal(4, pdf.Body!["image"]![0]!["width"]!.GetValue<int>());

        Assert.False(bomb.Success);
        Assert.Contains("\"bomb.zip\" has an entry claiming", bomb.Message, StringComparison.Ordinal);

        Assert.True(docx.Success, docx.Message);
        Assert.Equal("Memo for the board\n\n", docx.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal(("image/png", 9, 4), (png.Body!["image"]![0]!["mimeType"]!.GetValue<string>(), png.Body!["image"]![0]!["width"]!.GetValue<int>(), png.Body!["image"]![0]!["height"]!.GetValue<int>()));
        Assert.Equal(("audio/mpeg", 4), (audio.Body!["audio"]![0]!["mimeType"]!.GetValue<string>(), audio.Body!["audio"]![0]!["size"]!.GetValue<int>()));
        // Attachments and entries are objects of their own, answered under "objects" (and counted: 6 sent + 3).
        Assert.Equal("See the memo.\n\n", eml.Body!["text"]![0]!.GetValue<string>());
        Assert.Equal("Attached memo text\n\n", eml.Body!["objects"]![0]!["text"]![0]!.GetValue<string>());
        Assert.Equal(["alpha\n\n", "k\nv\n\n"], zip.Body!["objects"]!.AsArray().Select(o => o!["text"]![0]!.GetValue<string>()));

        var status = await client.StatusAsync(token);
        Assert.Equal(9, status["completedCount"]!.GetValue<int>());
        Assert.Equal(1, status["failedCount"]!.GetValue<int>());
        Assert.Equal(3, status["state"]!.GetValue<int>()); // still running: the bomb ended only its own object
        Assert.True(status["wordsCount"]!.GetValue<long>() >= 15, status.ToJsonString()); // wordcount read the parsed text of every kind
    }
}
