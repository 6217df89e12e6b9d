using System.Text.Json.Nodes;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using PipelineHost.Dashboard.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace PipelineHost.Dashboard.Tests;

/// <summary>axe-core on every page: no serious or critical accessibility violation.</summary>
public sealed class AccessibilityTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [RequiresChromiumFact]
    public async Task Every_page_passes_axe_without_serious_violations()
    {
        await using var dap = await server.ConnectAsync();
        var token = (await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(), ["name"] = "axe" }))["token"]!.GetValue<string>();
        await server.RunAsync(nameof(Every_page_passes_axe_without_serious_violations), async page =>
        {
            await page.GotoAsync("/");
            await CheckAsync(page, "sign-in");
            await DashboardServer.SignInAsync(page);
            foreach (var (hash, heading) in new[] { ("#/", "Overview"), ("#/tasks", "Tasks"), ("#/launch", "Launch"), ("#/deployments", "Deployments"), ("#/history", "History"), ($"#/task/{token}", "axe.webhook_1") })
            {
                await page.EvaluateAsync($"location.hash = '{hash}'");
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 })).ToBeVisibleAsync();
                // Each page's data has arrived (the live streams never let the network go idle).
                await Expect(page.Locator("#view [aria-busy=true]")).ToHaveCountAsync(0);
                await Expect(page.Locator("#view")).Not.ToContainTextAsync("Loading…");
                await Expect(page.Locator("#view")).Not.ToContainTextAsync("Waiting for the first snapshot");
                await CheckAsync(page, heading);
            }
        });
        await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
    }

    private static async Task CheckAsync(IPage page, string name)
    {
        var results = await page.RunAxe();
        var serious = results.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"{name}: " + string.Join("; ", serious.Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}")));
    }
}
