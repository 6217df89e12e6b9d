using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sources;
using PipelineHost.Pipelines.Lanes;
using PipelineHost.Pipelines.Schema;

namespace PipelineHost.Pipelines.Tests.Components;

public sealed class FileSystemSourceProviderTests : IDisposable
{
    private readonly TempDirectory _root = new();
    private readonly TempDirectory _outside = new();
    private readonly FileSystemSourceProvider _provider = new();

    public void Dispose()
    {
        _root.Dispose();
        _outside.Dispose();
    }

    private ComponentEnvironment Environment => new() { AllowedRoots = [_root.Path] };

    private IBatchSource Create(string config, ComponentEnvironment? environment = null) =>
        Assert.IsAssignableFrom<IBatchSource>(_provider.Create(JsonNode.Parse(config)!.AsObject(), environment ?? Environment));

    private static string Json(string path) => System.Text.Json.JsonSerializer.Serialize(path);

    [Fact]
    public async Task Reads_matching_files_in_ordinal_order_with_relative_names_and_types()
    {
        var folder = _root.Sub("inbox");
        _root.Write("inbox/b.txt", "bee");
        _root.Write("inbox/a.md", "# a");
        _root.Write("inbox/Z.csv", "x,y\n1,2\n");
        _root.Write("inbox/sub/deep/c.json", "{}");
        _root.Write("inbox/sub/page.htm", "<p>hi</p>");
        _root.Write("inbox/data.bin", "\u0001");
        _root.Write("inbox/notes.log", "log");

        var source = Create($$"""{"path":{{Json(folder)}}}""");
        var objects = await ComponentHarness.ReadAll(source);

        Assert.Equal(7, source.KnownTotal);
        Assert.Equal(["Z.csv", "a.md", "b.txt", "data.bin", "notes.log", "sub/deep/c.json", "sub/page.htm"], objects.Select(o => o.Object.Name));
        Assert.Equal(
            ["text/csv", "text/markdown", "text/plain", "application/octet-stream", "text/plain", "application/json", "text/html"],
            objects.Select(o => o.Object.MimeType));
        Assert.Equal("bee", Encoding.UTF8.GetString(objects[2].Content));
        Assert.Equal(3, objects[2].Object.Size);
        Assert.Equal("b.txt", objects[2].Object.Metadata["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task Include_exclude_and_recursive_select_files()
    {
        var folder = _root.Sub("docs");
        _root.Write("docs/a.txt", "a");
        _root.Write("docs/b.md", "b");
        _root.Write("docs/c.csv", "c");
        _root.Write("docs/drafts/d.txt", "d");
        _root.Write("docs/x/e.md", "e");

        var globbed = Create($$"""{"path":{{Json(folder)}},"include":["**/*.{txt,md}"],"exclude":["drafts/**"]}""");
        Assert.Equal(["a.txt", "b.md", "x/e.md"], (await ComponentHarness.ReadAll(globbed)).Select(o => o.Object.Name));

        var flat = Create($$"""{"path":{{Json(folder)}},"recursive":false}""");
        Assert.Equal(["a.txt", "b.md", "c.csv"], (await ComponentHarness.ReadAll(flat)).Select(o => o.Object.Name));
        Assert.Equal(3, flat.KnownTotal);
    }

    [Fact]
    public async Task Max_file_size_skips_larger_files()
    {
        var folder = _root.Sub("sized");
        _root.Write("sized/small.txt", "12345");
        _root.Write("sized/large.txt", new string('x', 6));
        var source = Create($$"""{"path":{{Json(folder)}},"maxFileSize":5}""");
        Assert.Equal(["small.txt"], (await ComponentHarness.ReadAll(source)).Select(o => o.Object.Name));
    }

    [Fact]
    public async Task Relative_path_is_taken_from_the_first_root()
    {
        _root.Write("rel/a.txt", "a");
        var source = Create("""{"path":"rel"}""");
        Assert.Equal(["a.txt"], (await ComponentHarness.ReadAll(source)).Select(o => o.Object.Name));
    }

    [Fact]
    public async Task The_root_itself_is_allowed()
    {
        _root.Write("top.txt", "t");
        var source = Create($$"""{"path":{{Json(_root.Path + "/")}}}""");
        Assert.Equal(["top.txt"], (await ComponentHarness.ReadAll(source)).Select(o => o.Object.Name));
    }

    [Fact]
    public void Folder_outside_the_roots_is_refused()
    {
        var error = Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(_outside.Path)}}}"""));
        Assert.Equal($"Folder '{_outside.Path}' is outside the roots this server allows.", error.Message);
    }

    [Fact]
    public void Escape_through_dot_dot_is_refused()
    {
        _root.Sub("inner");
        var sneaky = _root.Path + "/inner/../../" + Path.GetFileName(_outside.Path);
        var error = Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(sneaky)}}}"""));
        Assert.Contains("is outside the roots this server allows", error.Message);
        Assert.Throws<ComponentConfigException>(() => Create("""{"path":"../"}"""));
    }

    [Fact]
    public void A_sibling_with_the_root_as_prefix_is_outside()
    {
        var sibling = _root.Path + "-sibling";
        Directory.CreateDirectory(sibling);
        try
        {
            Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(sibling)}}}"""));
        }
        finally
        {
            Directory.Delete(sibling);
        }
    }

    [Fact]
    public void Folder_symlink_leading_outside_is_refused()
    {
        var link = Path.Combine(_root.Path, "link");
        Directory.CreateSymbolicLink(link, _outside.Path);
        var error = Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(link)}}}"""));
        Assert.Equal($"Folder '{link}' is outside the roots this server allows.", error.Message);
        Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(link + "/sub/..")}}}"""));
    }

    [Fact]
    public async Task Files_and_folders_whose_links_lead_outside_are_skipped()
    {
        File.WriteAllText(Path.Combine(_outside.Path, "secret.txt"), "secret");
        var folder = _root.Sub("mixed");
        _root.Write("mixed/ok.txt", "ok");
        _root.Write("target/inside.txt", "inside");
        File.CreateSymbolicLink(Path.Combine(folder, "leak.txt"), Path.Combine(_outside.Path, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "leakdir"), _outside.Path);
        Directory.CreateSymbolicLink(Path.Combine(folder, "fine"), Path.Combine(_root.Path, "target"));
        Directory.CreateSymbolicLink(Path.Combine(folder, "loop"), folder);

        var source = Create($$"""{"path":{{Json(folder)}}}""");
        var objects = await ComponentHarness.ReadAll(source);
        Assert.Equal(["fine/inside.txt", "ok.txt"], objects.Select(o => o.Object.Name));
        Assert.DoesNotContain(objects, o => Encoding.UTF8.GetString(o.Content) == "secret");
    }

    [Fact]
    public async Task A_file_swapped_for_an_escaping_link_after_listing_is_not_read()
    {
        var folder = _root.Sub("swap");
        var file = _root.Write("swap/a.txt", "a");
        File.WriteAllText(Path.Combine(_outside.Path, "secret.txt"), "secret");
        var source = Create($$"""{"path":{{Json(folder)}}}""");

        File.Delete(file);
        File.CreateSymbolicLink(file, Path.Combine(_outside.Path, "secret.txt"));
        await Assert.ThrowsAsync<UnauthorizedAccessException>(() => ComponentHarness.ReadAll(source));
    }

    [Fact]
    public void No_roots_means_nothing_is_allowed()
    {
        Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(_root.Path)}}}""", new ComponentEnvironment()));
    }

    [Fact]
    public void Missing_folder_inside_the_roots_is_a_config_error()
    {
        var error = Assert.Throws<ComponentConfigException>(() => Create($$"""{"path":{{Json(Path.Combine(_root.Path, "nope"))}}}"""));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Schema_requires_path_and_rejects_unknown_keys()
    {
        var schema = _provider.Definition.ConfigSchema;
        Assert.Equal(["config.path: is required"], ConfigSchemaValidator.Validate(schema, null));
        Assert.Contains("config.recursive: must be a boolean", ConfigSchemaValidator.Validate(schema, JsonNode.Parse("""{"path":"x","recursive":"yes"}""")));
        Assert.Contains("config.include[0]: must be a string", ConfigSchemaValidator.Validate(schema, JsonNode.Parse("""{"path":"x","include":[1]}""")));
    }

    [Fact]
    public async Task Processor_fans_text_files_out_to_tags_and_text()
    {
        var folder = _root.Sub("fan");
        _root.Write("fan/a.txt", "héllo");
        var source = Create($$"""{"path":{{Json(folder)}}}""");
        var item = Assert.Single(await ComponentHarness.ReadAll(source));
        var output = new RecordingOutput();
        var processor = source.Begin(new ObjectContext(item.Object.Name, item.Object.MimeType, "id"));
        // Split inside the two-byte 'é'.
        await processor.WriteAsync(LaneNames.SourceInput, new BytesPayload(item.Content.AsMemory(0, 2)), output, default);
        await processor.WriteAsync(LaneNames.SourceInput, new BytesPayload(item.Content.AsMemory(2)), output, default);
        await processor.CloseAsync(output, default);
        Assert.Equal("héllo", string.Concat(output.Texts));
        Assert.Equal(item.Content, output.Bytes);
    }
}
