using System.Text;
using PipelineHost.Engine.Storage;

namespace PipelineHost.Engine.Tests.Storage;

public sealed class FileStoreTests : IDisposable
{
    private const string User = "local";
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "pipelinehost-filestore-tests", Guid.NewGuid().ToString("N"));
    private readonly FileStore _store;
    private readonly FileHandleTable _handles;

    public FileStoreTests()
    {
        _store = new FileStore(Path.Combine(_directory, "store"));
        _handles = new FileHandleTable(_store);
    }

    public void Dispose()
    {
        _handles.Dispose();
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private string UserRoot => _store.UserRoot(User);

    [Theory]
    [InlineData("../x", "must not contain '..'")]
    [InlineData("a/../../x", "must not contain '..'")]
    [InlineData("a/..", "must not contain '..'")]
    [InlineData("..\\x", "must not contain '..'")]
    [InlineData("/etc/passwd", "not absolute")]
    [InlineData("\\etc\\passwd", "not absolute")]
    [InlineData("C:/Windows", "not absolute")]
    [InlineData("a\0b", "NUL")]
    [InlineData("", "names the store root")]
    [InlineData("./", "names the store root")]
    public void Unsafe_paths_are_refused_with_a_clear_message(string path, string expected)
    {
        var ex = Assert.Throws<FileStoreException>(() => _store.Resolve(User, path));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_directory, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Relative_paths_land_in_the_users_folder_and_users_are_kept_apart()
    {
        Assert.Equal(Path.Combine(UserRoot, "a", "b.txt"), _store.Resolve(User, "a/./b.txt"));
        Assert.Equal(Path.Combine(UserRoot, "a", "b.txt"), _store.Resolve(User, "a\\b.txt"));
        Assert.Equal(UserRoot, _store.Resolve(User, "", allowRoot: true));
        Assert.NotEqual(_store.UserRoot("someone"), UserRoot);
        Assert.Equal(Path.Combine(_store.RootDirectory, "_2e_2e"), _store.UserRoot(".."));
        Assert.Equal(Path.Combine(_store.RootDirectory, "a_2fb"), _store.UserRoot("a/b"));
        Assert.Equal("a_5fb", FileStore.FolderName("a_b"));
        Assert.Equal("_", FileStore.FolderName(""));
    }

    [Fact]
    public void A_symbolic_link_that_leads_outside_the_store_is_refused_whatever_is_done_through_it()
    {
        var outside = Path.Combine(_directory, "outside");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "secret.txt"), "secret");
        Directory.CreateSymbolicLink(Path.Combine(UserRoot, "escape"), outside);
        Directory.CreateSymbolicLink(Path.Combine(UserRoot, "tmp"), Path.GetTempPath());
        File.CreateSymbolicLink(Path.Combine(UserRoot, "passwd"), "/etc/passwd");

        Assert.Throws<FileStoreException>(() => _store.Resolve(User, "escape/secret.txt"));
        Assert.Throws<FileStoreException>(() => _store.Resolve(User, "escape/new.txt"));
        Assert.Throws<FileStoreException>(() => _handles.Open(User, "tmp/x", "w"));
        Assert.Throws<FileStoreException>(() => _handles.Open(User, "passwd", "r"));
        Assert.Throws<FileStoreException>(() => _store.Stat(User, "escape"));
        Assert.Throws<FileStoreException>(() => _store.RemoveDirectory(User, "escape", recursive: true));
        Assert.DoesNotContain(_store.ListDirectory(User, ""), e => e.Name is "escape" or "tmp" or "passwd");
        Assert.True(File.Exists(Path.Combine(outside, "secret.txt")));
    }

    [Fact]
    public void A_symbolic_link_inside_the_store_is_followed()
    {
        Directory.CreateDirectory(Path.Combine(UserRoot, "real"));
        File.WriteAllText(Path.Combine(UserRoot, "real", "f.txt"), "hi");
        Directory.CreateSymbolicLink(Path.Combine(UserRoot, "alias"), Path.Combine(UserRoot, "real"));

        var entry = _store.Stat(User, "alias/f.txt");

        Assert.Equal(new FileStoreEntry("f.txt", false, 2, entry!.Modified), entry);
        Assert.Contains(_store.ListDirectory(User, null), e => e is { Name: "alias", IsDirectory: true });
    }

    [Fact]
    public async Task A_file_written_through_a_handle_reads_back_in_chunks_with_an_empty_read_at_the_end()
    {
        var content = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var (writer, noSize) = _handles.Open(User, "deep/er/file.bin", "w");
        Assert.Equal(600, await _handles.WriteAsync(writer, content.AsMemory(0, 600), CancellationToken.None));
        Assert.Equal(400, await _handles.WriteAsync(writer, content.AsMemory(600), CancellationToken.None));
        _handles.Close(writer);

        var (reader, size) = _handles.Open(User, "deep/er/file.bin", "r");
        var chunks = new List<byte[]>();
        for (long offset = 0; ; offset += 300)
        {
            var chunk = await _handles.ReadAsync(reader, offset, 300, CancellationToken.None);
            if (chunk.Length == 0)
            {
                break;
            }

            chunks.Add(chunk);
        }

        Assert.Null(noSize);
        Assert.Equal(1000, size);
        Assert.Equal([300, 300, 300, 100], chunks.Select(c => c.Length));
        Assert.Equal(content, chunks.SelectMany(c => c));
        Assert.Empty(await _handles.ReadAsync(reader, 5000, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Handles_are_checked_capped_and_closed_with_the_table()
    {
        File.WriteAllText(Path.Combine(UserRoot, "r.txt"), "abc");
        var (reader, _) = _handles.Open(User, "r.txt", "r");
        var (writer, _) = _handles.Open(User, "w.txt", "w");

        await Assert.ThrowsAsync<FileStoreException>(() => _handles.WriteAsync(reader, Encoding.UTF8.GetBytes("x"), CancellationToken.None));
        await Assert.ThrowsAsync<FileStoreException>(() => _handles.ReadAsync(writer, 0, 1, CancellationToken.None));
        Assert.Throws<FileStoreException>(() => _handles.Close("fh_nope"));
        Assert.Throws<FileStoreException>(() => _handles.Open(User, "missing.txt", "r"));
        Assert.Throws<FileStoreException>(() => _handles.Open(User, "r.txt", "a"));

        for (var i = _handles.Count; i < FileHandleTable.MaxHandles; i++)
        {
            _handles.Open(User, "r.txt", "r");
        }

        var full = Assert.Throws<FileStoreException>(() => _handles.Open(User, "r.txt", "r"));
        Assert.Contains("at most 64", full.Message, StringComparison.Ordinal);
        _handles.Close(reader);
        _handles.Open(User, "r.txt", "r");

        _handles.Dispose();
        Assert.Equal(0, _handles.Count);
    }

    [Fact]
    public void Folders_are_made_listed_removed_only_when_asked_and_renamed()
    {
        _store.CreateDirectory(User, "a/b");
        File.WriteAllText(Path.Combine(UserRoot, "a", "b", "x.txt"), "12345");
        File.WriteAllText(Path.Combine(UserRoot, "a", "y.txt"), "1");

        var listing = _store.ListDirectory(User, "a");
        Assert.Equal([("b", true, (long?)null), ("y.txt", false, 1L)], listing.Select(e => (e.Name, e.IsDirectory, e.Size)));
        Assert.Contains("not empty", Assert.Throws<FileStoreException>(() => _store.RemoveDirectory(User, "a", recursive: false)).Message, StringComparison.Ordinal);
        Assert.Throws<FileStoreException>(() => _store.Delete(User, "a"));
        Assert.Throws<FileStoreException>(() => _store.RemoveDirectory(User, "a/y.txt", recursive: false));
        Assert.Throws<FileStoreException>(() => _store.ListDirectory(User, "nope"));

        _store.Rename(User, "a/b/x.txt", "c/d/moved.txt");
        Assert.Equal(5, _store.Stat(User, "c/d/moved.txt")!.Size);
        Assert.Null(_store.Stat(User, "a/b/x.txt"));
        Assert.Throws<FileStoreException>(() => _store.Rename(User, "a", "a/inside"));
        Assert.Throws<FileStoreException>(() => _store.Rename(User, "a", "c"));

        _store.RemoveDirectory(User, "a", recursive: true);
        Assert.Null(_store.Stat(User, "a"));
        Assert.Throws<FileStoreException>(() => _store.RemoveDirectory(User, "", recursive: true));
    }
}
