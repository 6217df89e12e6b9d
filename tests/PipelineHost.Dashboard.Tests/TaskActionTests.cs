using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PipelineHost.Dashboard.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace PipelineHost.Dashboard.Tests;

/// <summary>The task page under load and its actions (restart, retry failed), with real workers.</summary>
public sealed class TaskActionTests(DashboardServer server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<DashboardServer>
{
    [RequiresChromiumFact]
    public async Task A_task_flooding_the_page_with_events_leaves_it_answering_and_it_shows_the_final_counts()
    {
        const int Objects = 1000;
        await using var dap = await server.ConnectAsync();

        // Full tracing: every object is a begin, an enter and a leave per component and an end (about a dozen
        // events through five components), besides the status updates, so 1,000 objects sent as fast as the server
        // takes them are thousands of events a second at the page.
        var started = await dap.RequestAsync("execute", new JsonObject
        {
            ["pipeline"] = ChattyPipeline(),
            ["name"] = "flooding",
            ["pipelineTraceLevel"] = "full",
        });
        var token = started["token"]!.GetValue<string>();

        await server.RunAsync(nameof(A_task_flooding_the_page_with_events_leaves_it_answering_and_it_shows_the_final_counts), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.EvaluateAsync($"location.hash = '#/task/{token}'");
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");

            using var http = server.CreateHttpClient();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var load = SendObjectsAsync(http, token, Objects, perRequest: 125, concurrency: 3);

            // While the flood lasts the page keeps answering script and clicks (bounded by the generous default
            // timeout, never by a speed figure).
            var probes = 0;
            var follow = page.GetByLabel("Follow");
            do
            {
                Assert.Equal(2, await page.EvaluateAsync<int>("1 + 1").WaitAsync(DashboardServer.Timeout));
                await follow.ClickAsync();
                await Expect(follow).Not.ToBeCheckedAsync();
                await follow.ClickAsync();
                await Expect(follow).ToBeCheckedAsync();
                probes++;
            }
            while (!load.IsCompleted);

            await load;
            var seconds = clock.Elapsed.TotalSeconds;
            Assert.True(probes >= 1);

            // The UI converges: every object counted, and the events tail shows them (bounded, virtualised).
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("1,000"); // en-US grouping, as the page formats
            await Expect(page.Locator(".events")).ToContainTextAsync("flow");
            Assert.True(await page.Locator(".events .row").CountAsync() < 200, "the events tail renders only the rows in view");

            // The rate reached, for the record (not asserted: the machine decides it).
            var note = await page.GetByText(new Regex(@"\d shown")).TextContentAsync();
            output.WriteLine($"{Objects} objects sent in {seconds:F1} s; the page's events note: {note}; {probes} probes answered meanwhile");
        });

        await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
    }

    [RequiresChromiumFact]
    public async Task Restart_and_retry_failed_from_the_page_run_the_task_again_and_reprocess_its_failed_items()
    {
        await using var dap = await server.ConnectAsync();
        var marker = Path.Combine(server.DataDirectory, "recovered-" + Guid.NewGuid().ToString("N"));
        var started = await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.FlakyPipeline(marker), ["name"] = "flaky-from-page" });
        var token = started["token"]!.GetValue<string>();
        using var http = server.CreateHttpClient();

        await server.RunAsync(nameof(Restart_and_retry_failed_from_the_page_run_the_task_again_and_reprocess_its_failed_items), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.EvaluateAsync($"location.hash = '#/task/{token}'");
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");
            await SendAsync(http, token, "good-1.txt");
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("1");

            // Restart: the same task (same token) runs afresh, its counters back at zero, and takes data again.
            await page.GetByRole(AriaRole.Button, new() { Name = "Restart" }).ClickAsync();
            await Expect(page.Locator("#toast")).ToHaveTextAsync("Restarted");
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("0");
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");
            await SendAsync(http, token, "good-2.txt", "bad-1.txt", "bad-2.txt");
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("1");
            await Expect(page.Locator("[data-stat=failed] .value")).ToHaveTextAsync("2");

            await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("CANCELLED");

            // The dependency is back: retrying from the page lands on the retry task, which reprocesses both.
            await File.WriteAllTextAsync(marker, "up");
            await page.GetByRole(AriaRole.Button, new() { Name = "Retry 2 failed" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("#/task/tk_(?!" + Regex.Escape(token[3..]) + ")"));
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("COMPLETED");
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("2");
            await Expect(page.Locator("[data-stat=failed] .value")).ToHaveTextAsync("0");
        });
    }

    // webhook → three pass-through components → response: more traced steps per object.
    private static JsonObject ChattyPipeline()
    {
        var pipeline = DashboardServer.EchoPipeline();
        var components = pipeline["components"]!.AsArray();
        var previous = "webhook_1";
        foreach (var id in new[] { "pass_1", "pass_2", "pass_3" })
        {
            components.Insert(components.Count - 1, new JsonObject
            {
                ["id"] = id,
                ["provider"] = "fault",
                ["config"] = new JsonObject { ["action"] = "none" },
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = previous }),
            });
            previous = id;
        }

        components[^1]!["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = previous });
        return pipeline;
    }

    private static async Task SendObjectsAsync(HttpClient http, string token, int objects, int perRequest, int concurrency)
    {
        using var gate = new SemaphoreSlim(concurrency);
        var requests = Enumerable.Range(0, (objects + perRequest - 1) / perRequest).Select(async batch =>
        {
            await gate.WaitAsync();
            try
            {
                var names = Enumerable.Range(batch * perRequest, Math.Min(perRequest, objects - (batch * perRequest))).Select(i => $"object-{i}.txt").ToArray();
                await SendAsync(http, token, names);
            }
            finally
            {
                gate.Release();
            }
        });
        await Task.WhenAll(requests);
    }

    // One multipart request, one object per part (POST /task/data); objects that fail are the task's business.
    private static async Task SendAsync(HttpClient http, string token, params string[] names)
    {
        using var form = new MultipartFormDataContent();
        foreach (var name in names)
        {
            form.Add(new StringContent("text of " + name), "file", name);
        }

        using var response = await http.PostAsync(new Uri($"/task/data?token={token}", UriKind.Relative), form);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"POST /task/data: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }
}
