using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Plugins;
using PipelineHost.Pipelines.Runtime;
using PipelineHost.Pipelines.Validation;
using PipelineHost.Tests.Corpus;

namespace PipelineHost.Pipelines.Tests.Runtime;

/// <summary>
/// Archive entries and e-mail attachments as child objects: each runs through <c>parse</c> again and every
/// component after it, with its own name, result and counts; limits fail the object that holds them.
/// </summary>
public sealed class ChildObjectTests
{
    private static PipelineGraph Build(string parseConfig = "{}")
    {
        var catalog = ComponentCatalog.CreateDefault(new ComponentPlugins([], []));
        var json = $$$"""
            {"components":[
              {"id":"webhook_1","provider":"webhook","config":{"mode":"Source"}},
              {"id":"parse_1","provider":"parse","config":{{{parseConfig}}},"input":[{"lane":"tags","from":"webhook_1"}]},
              {"id":"response_1","provider":"response","config":{},"input":[{"lane":"text","from":"parse_1"},{"lane":"documents","from":"parse_1"}]}],
             "source":"webhook_1"}
            """;
        var validation = new PipelineValidator(catalog).Validate(JsonNode.Parse(json)!.AsObject());
        Assert.True(validation.IsValid, string.Join("; ", validation.Errors.Select(e => e.Message)));
        return PipelineGraph.Build(validation.Definition!, catalog, new ComponentEnvironment());
    }

    private static async Task<(JsonObject Answer, CountingObserver Observer)> Run(string name, string mime, byte[] bytes, string parseConfig = "{}")
    {
        var observer = new CountingObserver();
        var context = new ObjectContext(name, mime, Guid.NewGuid().ToString());
        var run = Build(parseConfig).Begin(context, observer);
        await run.WriteAsync(bytes, CancellationToken.None);
        await run.CloseAsync(CancellationToken.None);
        var answer = new JsonObject();
        context.Result.WriteTo(answer);
        return (answer, observer);
    }

    private static async Task<(string Message, CountingObserver Observer)> Failure(string name, string mime, byte[] bytes, string parseConfig = "{}")
    {
        var observer = new CountingObserver();
        var run = Build(parseConfig).Begin(new ObjectContext(name, mime, Guid.NewGuid().ToString()), observer);
        await run.WriteAsync(bytes, CancellationToken.None);
        var failure = await Assert.ThrowsAsync<ComponentFailureException>(() => run.CloseAsync(CancellationToken.None).AsTask());
        Assert.Equal("parse_1", failure.ComponentId);
        return (failure.Message, observer);
    }

    // Read through JSON text: the result keeps appended text as UTF-8 until it is written.
    private static string Text(JsonNode? answer) => JsonNode.Parse(answer!["text"]![0]!.ToJsonString())!.GetValue<string>();

    [Fact]
    public async Task Each_zip_entry_is_an_object_of_its_own_parsed_and_answered_under_objects()
    {
        var zip = DocumentCorpus.Zip(("a.txt", "alpha"u8.ToArray()), ("inner/b.docx", DocumentCorpus.Docx("Beta memo")), ("inner/c.pdf", DocumentCorpus.Pdf(false, "gamma")));

        var (answer, observer) = await Run("set.zip", "application/zip", zip);

        Assert.Null(answer["text"]); // the archive itself has no text: its entries do
        var objects = answer["objects"]!.AsArray();
        Assert.Equal(["set.zip/a.txt", "set.zip/inner/b.docx", "set.zip/inner/c.pdf"], objects.Select(o => o!["name"]!.GetValue<string>()));
        Assert.All(objects, o => Assert.Equal("set.zip", o!["path"]!.GetValue<string>()));
        Assert.Equal(3, objects.Select(o => o!["objectId"]!.GetValue<string>()).Distinct().Count());
        Assert.Equal(["alpha\n\n", "Beta memo\n\n", "gamma\n\n"], objects.Select(Text));
        Assert.Equal("docx", objects[1]!["documents"]![0]!["metadata"]!["type"]!.GetValue<string>());
        Assert.Equal(["set.zip/a.txt", "set.zip/inner/b.docx", "set.zip/inner/c.pdf"], observer.Opened.Select(c => c.Name));
        Assert.All(observer.Opened, c => Assert.Equal(1, c.Depth));
        Assert.Equal("inner/b.docx", observer.Opened[1].Metadata["entry"]!.GetValue<string>());
        Assert.Equal(3, observer.Completed);
        Assert.Equal(0, observer.Failed);
    }

    [Fact]
    public async Task A_tar_gz_and_a_zip_inside_a_zip_give_children_and_grandchildren()
    {
        var tgz = DocumentCorpus.TarGz(("a.txt", "alpha"u8.ToArray()), ("dir/b.md", "# Beta"u8.ToArray()));
        var (answer, _) = await Run("set.tar.gz", "application/gzip", tgz);
        Assert.Equal(["set.tar.gz/a.txt", "set.tar.gz/dir/b.md"], answer["objects"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));

        var nested = DocumentCorpus.Zip(("inner.zip", DocumentCorpus.Zip(("deep.txt", "deep"u8.ToArray()))));
        var (outer, observer) = await Run("outer.zip", "application/zip", nested);
        var inner = Assert.Single(outer["objects"]!.AsArray())!;
        Assert.Equal("outer.zip/inner.zip", inner["name"]!.GetValue<string>());
        var deep = Assert.Single(inner["objects"]!.AsArray())!;
        Assert.Equal(("outer.zip/inner.zip/deep.txt", "outer.zip/inner.zip", "deep\n\n"), (deep["name"]!.GetValue<string>(), deep["path"]!.GetValue<string>(), Text(deep)));
        Assert.Equal([1, 2], observer.Opened.Select(c => c.Depth));
        Assert.Equal(2, observer.Completed);
    }

    [Fact]
    public async Task A_7z_gives_its_entries_as_children_too_by_name_or_by_content()
    {
        var sevenZip = DocumentCorpus.SevenZip(("notes/a.txt", "seven alpha"u8.ToArray()), ("b.pdf", DocumentCorpus.Pdf(false, "seven pdf")));

        var (answer, observer) = await Run("set.7z", "application/octet-stream", sevenZip);
        var (sniffed, _) = await Run("unnamed", "application/octet-stream", sevenZip);

        Assert.Equal(["set.7z/notes/a.txt", "set.7z/b.pdf"], answer["objects"]!.AsArray().Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal(["seven alpha\n\n", "seven pdf\n\n"], answer["objects"]!.AsArray().Select(Text));
        Assert.Equal(2, observer.Completed);
        Assert.Equal(2, sniffed["objects"]!.AsArray().Count);
    }

    [Fact]
    public async Task An_eml_keeps_its_body_and_headers_and_each_attachment_becomes_an_object()
    {
        var eml = DocumentCorpus.Eml("Figures attached.", ("figures.csv", "text/csv", Encoding.UTF8.GetBytes("q,revenue\nQ1,10\n")), ("memo.docx", "application/octet-stream", DocumentCorpus.Docx("Memo text")));

        var (answer, observer) = await Run("mail.eml", "message/rfc822", eml);

        Assert.Equal("Figures attached.\n\n", Text(answer));
        Assert.Equal("Quarterly figures", answer["documents"]![0]!["metadata"]!["subject"]!.GetValue<string>());
        var objects = answer["objects"]!.AsArray();
        Assert.Equal(["mail.eml/figures.csv", "mail.eml/memo.docx"], objects.Select(o => o!["name"]!.GetValue<string>()));
        Assert.Equal("Memo text\n\n", Text(objects[1]));
        Assert.Equal("attachment", observer.Opened[0].Metadata["kind"]!.GetValue<string>());
        Assert.Equal("text/csv", observer.Opened[0].MimeType);
        Assert.Equal(2, observer.Completed);
    }

    [Fact]
    public async Task A_damaged_entry_fails_alone_and_its_archive_completes()
    {
        var zip = DocumentCorpus.Zip(("cut.pdf", DocumentCorpus.TruncatedPdf()), ("ok.txt", "fine"u8.ToArray()));

        var (answer, observer) = await Run("set.zip", "application/zip", zip);

        var objects = answer["objects"]!.AsArray();
        Assert.Contains("\"set.zip/cut.pdf\" is not a readable PDF", objects[0]!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("fine\n\n", Text(objects[1]));
        Assert.Equal((1, 1), (observer.Completed, observer.Failed));
        Assert.Contains(observer.Errors, e => e.StartsWith("set.zip/cut.pdf: ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Hostile_archives_fail_the_object_that_holds_them_with_a_clear_message()
    {
        var (bomb, bombSeen) = await Failure("bomb.zip", "application/zip", DocumentCorpus.ZipBomb());
        Assert.Contains("\"bomb.zip\" has an entry claiming 314572800 bytes", bomb, StringComparison.Ordinal);
        Assert.Empty(bombSeen.Opened); // every entry is checked before the first child runs

        var (ratio, _) = await Failure("ratio.zip", "application/zip", DocumentCorpus.Zip(("zeros.txt", new byte[4 << 20])));
        Assert.Contains("\"ratio.zip\" expands to more than 100 times its", ratio, StringComparison.Ordinal);
        Assert.Contains("(limit maxRatio)", ratio, StringComparison.Ordinal);

        var (traversal, traversalSeen) = await Failure("evil.zip", "application/zip", DocumentCorpus.Zip(("ok.txt", "x"u8.ToArray()), ("../../x", "y"u8.ToArray())));
        Assert.Contains("\"evil.zip\": entry \"../../x\" has a path outside the archive", traversal, StringComparison.Ordinal);
        Assert.Empty(traversalSeen.Opened);

        var (absolute, _) = await Failure("abs.tar.gz", "application/gzip", DocumentCorpus.TarGz(("/etc/passwd", "y"u8.ToArray())));
        Assert.Contains("entry \"/etc/passwd\" has a path outside the archive", absolute, StringComparison.Ordinal);

        var (mail, _) = await Failure("evil.eml", "message/rfc822", DocumentCorpus.Eml("hi", ("..\\..\\x.txt", "text/plain", "y"u8.ToArray())));
        Assert.Contains("has a path outside the archive", mail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Limits_hold_for_an_object_and_everything_inside_it_and_fail_the_object_sent()
    {
        var three = DocumentCorpus.Zip(("1.txt", "a"u8.ToArray()), ("2.txt", "b"u8.ToArray()), ("3.txt", "c"u8.ToArray()));
        Assert.Contains("\"three.zip\" holds more than 2 entries", (await Failure("three.zip", "application/zip", three, """{"maxEntries":2}""")).Message, StringComparison.Ordinal);

        // Two entries at the top and two inside the inner zip: four in all, past three, though each archive holds two.
        var spread = DocumentCorpus.Zip(("a.txt", "a"u8.ToArray()), ("inner.zip", DocumentCorpus.Zip(("b.txt", "b"u8.ToArray()), ("c.txt", "c"u8.ToArray()))));
        var (entries, seen) = await Failure("spread.zip", "application/zip", spread, """{"maxEntries":3}""");
        Assert.Contains("\"spread.zip/inner.zip\" holds more than 3 entries", entries, StringComparison.Ordinal);
        Assert.Equal((1, 1), (seen.Completed, seen.Failed)); // a.txt completed; inner.zip failed, and so does spread.zip

        var nested = DocumentCorpus.Zip(("inner.zip", DocumentCorpus.Zip(("deep.txt", "deep"u8.ToArray()))));
        var (depth, _) = await Failure("outer.zip", "application/zip", nested, """{"maxDepth":1}""");
        Assert.Contains("\"outer.zip/inner.zip\" nests archives or messages more than 1 deep", depth, StringComparison.Ordinal);
    }

    private sealed class CountingObserver : IRunObserver
    {
        public List<ObjectContext> Opened { get; } = [];

        public List<string> Errors { get; } = [];

        public int Completed { get; private set; }

        public int Failed { get; private set; }

        public void Warn(string componentId, string message)
        {
        }

        public void Count(string counter, long amount)
        {
        }

        public void FileWritten(string name, long size, string contentType)
        {
        }

        public void ChildOpened(ObjectContext child, long size) => Opened.Add(child);

        public void ChildClosed(ObjectContext child, long size, string? error)
        {
            if (error is null)
            {
                Completed++;
                return;
            }

            Failed++;
            Errors.Add($"{child.Name}: {error}");
        }
    }
}
