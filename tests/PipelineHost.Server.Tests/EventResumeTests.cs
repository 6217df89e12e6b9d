using System.Text.Json.Nodes;
using PipelineHost.Protocol;
using PipelineHost.Server.Events;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Issue 20, "never miss an event": every task event carries <c>__seq</c>, the server journals them, and a client
/// resumes with <c>rrext_monitor sinceSeq</c> or SSE <c>Last-Event-ID</c>; what is no longer kept is an
/// <c>apaevt_gap</c>, never silence. Real workers throughout.
/// </summary>
public class EventResumeTests
{
    private static readonly JsonArray Everything = ["SUMMARY", "DETAIL", "TASK", "OUTPUT"];

    private static long Seq(EventMessage e) => e.Body["__seq"]!.GetValue<long>();

    private static bool IsObject(EventMessage e) => e.Event == "apaevt_status_object";

    private static string ObjectName(JsonNode body) => body["object"]!.GetValue<string>();

    private static bool IsEnd(EventMessage e) => e.Event == "apaevt_task" && e.Body["action"]?.GetValue<string>() == "end";

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_resumes_with_sinceSeq_and_gets_every_event_once_in_order()
    {
        await using var server = await TestServer.StartAsync();
        await using var driver = await server.ConnectAsync();
        var token = (await driver.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();

        var first = await server.ConnectAsync();
        await first.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = Everything.DeepClone() });
        for (var i = 1; i <= 3; i++)
        {
            await driver.SendAsync(token, "before", name: $"obj-{i}");
        }

        await first.EventAsync(e => IsObject(e) && ObjectName(e.Body) == "obj-3");
        var firstEvents = first.Seen.OfType<EventMessage>().Where(e => e.Body.ContainsKey("__seq")).ToList();
        await first.DisposeAsync();

        // Sent while nobody listens: only the journal has these.
        for (var i = 4; i <= 6; i++)
        {
            await driver.SendAsync(token, "while away", name: $"obj-{i}");
        }

        await using var second = await server.ConnectAsync();
        var resumed = await second.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = Everything.DeepClone(), ["sinceSeq"] = Seq(firstEvents[^1]) });
        var replayed = second.Seen.OfType<EventMessage>().ToList(); // the replay comes before the response
        await driver.SendAsync(token, "after", name: "obj-7");
        await driver.RequestAsync("terminate", new() { ["token"] = token });
        await second.EventAsync(IsEnd);
        var secondEvents = second.Seen.OfType<EventMessage>().Where(e => e.Body.ContainsKey("__seq")).ToList(); // not the server-wide "running" snapshot

        Assert.True(resumed.Success, resumed.Message);
        Assert.Contains(replayed, e => IsObject(e) && ObjectName(e.Body) == "obj-4");
        Assert.DoesNotContain(secondEvents, e => e.Event == "apaevt_gap");
        var all = firstEvents.Concat(secondEvents).ToList();
        var seqs = all.Select(Seq).ToList();
        Assert.Equal(seqs.Order(), seqs); // in order across the reconnect
        Assert.Equal(seqs.Count, seqs.Distinct().Count()); // and none twice
        Assert.Equal(
            Enumerable.Range(1, 7).Select(i => $"obj-{i}"),
            all.Where(IsObject).Select(e => ObjectName(e.Body))); // and none lost
        Assert.Contains(secondEvents, e => e.Event == "apaevt_status_update" && e.Body["state"]!.GetValue<int>() == 6);
    }

    [Fact]
    public async Task An_sse_client_that_reconnects_with_Last_Event_ID_gets_every_event_once_in_order()
    {
        await using var server = await TestServer.StartAsync(kestrel: true);
        await using var driver = await server.ConnectAsync();
        var token = (await driver.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        using var http = server.CreateHttpClient();
        var url = $"/task/events?token={token}&types=SUMMARY,DETAIL,TASK";

        var first = new List<SseFrame>();
        using (var cut = new CancellationTokenSource(TestTimeouts.Default))
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cut.Token);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cut.Token));
            for (var i = 1; i <= 3; i++)
            {
                await driver.SendAsync(token, "before", name: $"obj-{i}");
            }

            await foreach (var frame in SseFrame.ReadAsync(reader, cut.Token))
            {
                first.Add(frame);
                if (frame.Event == "apaevt_status_object" && ObjectName(frame.Data) == "obj-3")
                {
                    break; // the client goes away mid-stream
                }
            }
        }

        for (var i = 4; i <= 6; i++)
        {
            await driver.SendAsync(token, "while away", name: $"obj-{i}");
        }

        var second = new List<SseFrame>();
        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            request.Headers.Add("Last-Event-ID", first[^1].Id);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            await driver.SendAsync(token, "after", name: "obj-7");
            await driver.RequestAsync("terminate", new() { ["token"] = token });
            using var timeout = new CancellationTokenSource(TestTimeouts.Default);
            await foreach (var frame in SseFrame.ReadAsync(reader, timeout.Token))
            {
                second.Add(frame); // the stream ends after the task's end event
            }
        }

        var all = first.Concat(second).ToList();
        var ids = all.Select(f => long.Parse(f.Id, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(ids.Order(), ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(all, f => Assert.Equal(f.Id, f.Data["__seq"]!.ToJsonString()));
        Assert.Equal(
            Enumerable.Range(1, 7).Select(i => $"obj-{i}"),
            all.Where(f => f.Event == "apaevt_status_object").Select(f => ObjectName(f.Data)));
        Assert.DoesNotContain(second, f => f.Event == "apaevt_gap");
        Assert.Contains(second, f => f.Event == "apaevt_task" && f.Data["action"]!.GetValue<string>() == "end");
    }

    [Fact]
    public async Task Asking_for_events_no_longer_kept_gets_an_explicit_gap_then_the_rest_and_the_final_status_is_kept_anyway()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { EventJournalSize = 1 });
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        for (var i = 1; i <= 5; i++)
        {
            await client.SendAsync(token, "x", name: $"obj-{i}");
        }

        await client.RequestAsync("terminate", new() { ["token"] = token });
        await client.WaitForStateAsync(token, 6);
        await using var late = await server.ConnectAsync();
        await late.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("ALL"), ["sinceSeq"] = 0 });
        var replay = late.Seen.OfType<EventMessage>().Where(e => e.Body.ContainsKey("__seq")).ToList();

        // The first thing said is the gap, from the first seq asked for.
        var gap = replay[0];
        Assert.Equal("apaevt_gap", gap.Event);
        Assert.Equal(1, gap.Body["from"]!.GetValue<long>());
        Assert.Equal(Seq(gap), gap.Body["to"]!.GetValue<long>());

        // Every seq from 1 to the last is accounted for: a gap covers it, or its event is there; nothing twice.
        var covered = new List<long>();
        foreach (var e in replay)
        {
            covered.AddRange(e.Event == "apaevt_gap"
                ? Enumerable.Range(0, (int)(e.Body["to"]!.GetValue<long>() - e.Body["from"]!.GetValue<long>() + 1)).Select(k => e.Body["from"]!.GetValue<long>() + k)
                : [Seq(e)]);
        }

        Assert.Equal(Enumerable.Range(1, covered.Count).Select(k => (long)k), covered);

        // The one kept event (the task's end) and the final status before it, which that journal of one no longer
        // holds but keeps anyway.
        Assert.Equal("end", replay[^1].Body["action"]?.GetValue<string>());
        var final = Assert.Single(replay, e => e.Event == "apaevt_status_update");
        Assert.Equal(6, final.Body["state"]!.GetValue<int>());
        Assert.True(final.Body["completed"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_plain_subscription_starts_from_a_numbered_snapshot_and_sinceSeq_needs_a_task()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await client.SendAsync(token, "x", name: "obj-1");

        await client.RequestAsync("rrext_monitor", new() { ["token"] = token, ["types"] = new JsonArray("SUMMARY") });
        var snapshot = client.Seen.OfType<EventMessage>().Last(e => e.Event == "apaevt_status_update");
        var everything = await client.RequestAsync("rrext_monitor", new() { ["token"] = "*", ["types"] = new JsonArray("SUMMARY"), ["sinceSeq"] = 1 });
        var noTask = await client.RequestAsync("rrext_monitor", new() { ["projectId"] = "nothing-here", ["source"] = "webhook_1", ["types"] = new JsonArray("SUMMARY"), ["sinceSeq"] = 1 });

        Assert.True(Seq(snapshot) >= 3); // begin, statuses and the object's details came before it
        Assert.False(everything.Success);
        Assert.Contains("sinceSeq", everything.Message, StringComparison.Ordinal);
        Assert.False(noTask.Success);
    }

    /// <summary>One Server-Sent Event as a browser's EventSource sees it.</summary>
    private sealed record SseFrame(string Id, string Event, JsonNode Data)
    {
        public static async IAsyncEnumerable<SseFrame> ReadAsync(StreamReader reader, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            string? id = null, name = null, data = null;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0)
                {
                    if (data is not null)
                    {
                        yield return new SseFrame(id ?? string.Empty, name ?? "message", JsonNode.Parse(data)!);
                    }

                    (id, name, data) = (null, null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    name = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }
    }
}

/// <summary>The journal's bookkeeping on its own: what a replay after a given seq contains.</summary>
public class EventJournalTests
{
    private static JournalEntry Entry(long seq, string name = "output") =>
        new(seq, Protocol.Events.EventTypes.Output, null, new EventMessage(name, new JsonObject { ["__seq"] = seq }));

    private static List<string> Replay(EventJournal journal, long since)
    {
        var said = new List<string>();
        journal.Replay(since, e => said.Add($"{e.Seq}"), (from, to) => said.Add($"gap {from}-{to}"));
        return said;
    }

    [Fact]
    public void A_periodic_status_replaces_the_previous_one_without_a_gap_and_the_oldest_go_beyond_the_capacity()
    {
        var journal = new EventJournal(3);
        for (var seq = 1; seq <= 6; seq++)
        {
            var periodic = seq is 2 or 4 or 5;
            journal.Append(Entry(journal.Next()), finalStatus: false, periodicStatus: periodic);
        }

        // Kept: 3, 5 (which superseded 2 and 4), 6; 1 went beyond the capacity.
        Assert.Equal(["gap 1-1", "3", "5", "6"], Replay(journal, 0));
        Assert.Equal(["5", "6"], Replay(journal, 3));
        Assert.Empty(Replay(journal, 6));
        Assert.Equal(["gap 1-1", "3", "5", "6"], Replay(journal, 99)); // a client from before a restart starts over
    }

    [Fact]
    public void With_no_capacity_only_the_final_status_is_kept_between_gaps()
    {
        var journal = new EventJournal(0);
        journal.Next();
        journal.Next();
        journal.Append(Entry(journal.Next(), "apaevt_status_update"), finalStatus: true, periodicStatus: false);
        journal.Next();

        Assert.Equal(["gap 1-2", "3", "gap 4-4"], Replay(journal, 0));
        Assert.Equal(["gap 4-4"], Replay(journal, 3));
    }
}
