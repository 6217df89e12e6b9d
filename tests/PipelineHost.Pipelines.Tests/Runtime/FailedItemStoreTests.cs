using System.Text;
using System.Text.Json.Nodes;
using PipelineHost.Engine.Tests.Support;
using PipelineHost.Pipelines.Components;
using PipelineHost.Pipelines.Components.Sources;
using PipelineHost.Pipelines.Runtime;

namespace PipelineHost.Pipelines.Tests.Runtime;

public class FailedItemStoreTests
{
    [Fact]
    public async Task Items_are_kept_with_their_input_and_metadata_until_a_cap_then_only_their_metadata()
    {
        using var temp = new TempDirectory();
        var clock = new ManualTimeProvider();
        var tracker = new RetryTracker(clock);
        var folder = Path.Combine(temp.Path, "failed");
        var store = new FailedItemStore(folder, maxItemBytes: 8, maxTaskBytes: 12, tracker, clock);

        var first = await store.KeepAsync("a.txt", "text/plain", "boom", 3, Stream("aaaaa"), 5, CancellationToken.None);
        var tooLarge = await store.KeepAsync("big.bin", "application/octet-stream", "boom", 1, Stream("0123456789"), 10, CancellationToken.None);
        var notBuffered = await store.KeepAsync("huge.bin", "application/octet-stream", "boom", 1, null, 1 << 20, CancellationToken.None);
        var second = await store.KeepAsync("b.txt", "text/plain", "boom", 1, Stream("bbbbb"), 5, CancellationToken.None);
        var overTask = await store.KeepAsync("c.txt", "text/plain", "boom", 1, Stream("ccccc"), 5, CancellationToken.None);
        var items = FailedItemStore.List(folder);
        var metadata = JsonNode.Parse(File.ReadAllText(items[0].MetadataPath))!.AsObject();

        Assert.Null(first);
        Assert.Null(second);
        Assert.Equal("Failed item \"big.bin\" kept without its input: its input was larger than the per-item cap of 8 bytes", tooLarge);
        Assert.Equal("Failed item \"huge.bin\" kept without its input: its input (1048576 bytes) was larger than the per-item cap of 8 bytes", notBuffered);
        Assert.Equal("Failed item \"c.txt\" kept without its input: the task's failed items reached their cap of 12 bytes", overTask);
        Assert.Equal(["a.txt", "big.bin", "huge.bin", "b.txt", "c.txt"], items.Select(i => i.Name).ToArray());
        Assert.Equal([true, false, false, true, false], items.Select(i => i.DataPath is not null).ToArray());
        Assert.Equal("aaaaa", File.ReadAllText(items[0].DataPath!));
        Assert.Equal(["000001.bin", "000001.json", "000002.json", "000003.json", "000004.bin", "000004.json", "000005.json"],
            Directory.GetFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal("a.txt", metadata["name"]!.GetValue<string>());
        Assert.Equal("text/plain", metadata["mimeType"]!.GetValue<string>());
        Assert.Equal("boom", metadata["error"]!.GetValue<string>());
        Assert.Equal(3, metadata["attempts"]!.GetValue<int>());
        Assert.Equal("2025-01-01T00:00:00.000Z", metadata["failedAt"]!.GetValue<string>());
        Assert.Equal(10, items[1].Size);
        Assert.Equal(5, tracker.FailedItems);
    }

    [Fact]
    public async Task A_store_reopened_on_the_same_folder_counts_and_numbers_after_what_is_there()
    {
        using var temp = new TempDirectory();
        var clock = new ManualTimeProvider();
        var folder = Path.Combine(temp.Path, "failed");
        var first = new FailedItemStore(folder, 100, 8, new RetryTracker(clock), clock);
        await first.KeepAsync("a", "text/plain", "x", 1, Stream("12345"), 5, CancellationToken.None);

        var tracker = new RetryTracker(clock);
        var reopened = new FailedItemStore(folder, 100, 8, tracker, clock);
        var warning = await reopened.KeepAsync("b", "text/plain", "x", 1, Stream("6789"), 4, CancellationToken.None);

        Assert.Equal(2, tracker.FailedItems);
        Assert.NotNull(warning); // 5 + 4 bytes is over the task's 8
        Assert.Equal(["a", "b"], FailedItemStore.List(folder).Select(i => i.Name).ToArray());
    }

    [Fact]
    public async Task The_failed_items_source_replays_the_items_that_kept_their_input_with_their_names_and_types()
    {
        using var temp = new TempDirectory();
        var clock = new ManualTimeProvider();
        var folder = Path.Combine(temp.Path, "failed");
        var store = new FailedItemStore(folder, 6, 100, new RetryTracker(clock), clock);
        await store.KeepAsync("one.csv", "text/csv", "x", 1, Stream("a,b"), 3, CancellationToken.None);
        await store.KeepAsync("two.bin", "application/octet-stream", "x", 1, Stream("too large"), 9, CancellationToken.None);
        await store.KeepAsync("three.txt", "text/plain", "x", 1, Stream("3"), 1, CancellationToken.None);
        var provider = new FailedItemsSourceProvider();

        var source = (IBatchSource)provider.Create([], new ComponentEnvironment { RetryInputDirectory = folder });
        var read = new List<(string, string, string)>();
        await foreach (var item in source.ReadAsync(CancellationToken.None))
        {
            using var reader = new StreamReader(await item.OpenAsync(CancellationToken.None));
            read.Add((item.Name, item.MimeType, await reader.ReadToEndAsync()));
        }

        Assert.Equal(2, source.KnownTotal);
        Assert.Equal([("one.csv", "text/csv", "a,b"), ("three.txt", "text/plain", "3")], read);
        Assert.Throws<ComponentConfigException>(() => provider.Create([], new ComponentEnvironment()));
        Assert.False(ComponentCatalog.CreateDefault().TryGet(FailedItemsSourceProvider.ProviderName, out _));
        Assert.True(ComponentCatalog.CreateForWorker().TryGet(FailedItemsSourceProvider.ProviderName, out _));
    }

    private static MemoryStream Stream(string text) => new(Encoding.UTF8.GetBytes(text));
}
