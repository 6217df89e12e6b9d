using System.Text.Json.Nodes;
using Microsoft.Playwright;
using PipelineHost.Dashboard.Tests.Support;
using static Microsoft.Playwright.Assertions;

namespace PipelineHost.Dashboard.Tests;

/// <summary>The dashboard as a user drives it: a real Chromium, a real server, real worker processes.</summary>
public sealed class DashboardTests(DashboardServer server) : IClassFixture<DashboardServer>
{
    [RequiresChromiumFact]
    public Task A_wrong_key_is_refused_with_a_clear_message_and_the_right_key_opens_the_overview() =>
        server.RunAsync(nameof(A_wrong_key_is_refused_with_a_clear_message_and_the_right_key_opens_the_overview), async page =>
        {
            await DashboardServer.SignInAsync(page, "not-the-key");
            await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "API key was not accepted" })).ToBeVisibleAsync();
            await Expect(page.Locator("#nav")).ToBeHiddenAsync();

            await page.GetByLabel("API key").FillAsync(DashboardServer.ApiKey);
            await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
            await Expect(page.Locator("[data-stat=free] .value")).Not.ToBeEmptyAsync();
            await Expect(page.Locator("#live")).ToHaveTextAsync("Live");

            // The key lives in this tab's sessionStorage only, never in localStorage or a cookie.
            Assert.Equal(DashboardServer.ApiKey, await page.EvaluateAsync<string>("sessionStorage.getItem('pipelinehost.credential')"));
            Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length"));
            Assert.Empty(await page.Context.CookiesAsync());
        });

    [RequiresChromiumFact]
    public Task A_pipeline_launched_from_the_page_runs_takes_data_and_stops_live() =>
        server.RunAsync(nameof(A_pipeline_launched_from_the_page_runs_takes_data_and_stops_live), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "Launch", Exact = true }).ClickAsync();
            await page.GetByLabel("Pipeline JSON").FillAsync(DashboardServer.EchoPipeline().ToJsonString());
            await page.GetByLabel("Name", new() { Exact = true }).FillAsync("launched-from-page");
            await page.GetByRole(AriaRole.Button, new() { Name = "Launch" }).ClickAsync();

            // Lands on the task's page, which turns RUNNING by itself (pushed, no reload).
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/task/tk_"));
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");
            await Expect(page.Locator("[data-component=webhook_1]")).ToBeVisibleAsync();

            await page.GetByLabel("Text", new() { Exact = true }).FillAsync("hello from the dashboard");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("1");
            await page.GetByLabel("Text", new() { Exact = true }).FillAsync("and again");
            await page.GetByRole(AriaRole.Button, new() { Name = "Send", Exact = true }).ClickAsync();
            await Expect(page.Locator("[data-stat=done] .value")).ToHaveTextAsync("2");
            await Expect(page.Locator(".events")).ToContainTextAsync("status_update");
            await Expect(page.Locator("#main")).ToContainTextAsync("curl -s");
            await DashboardServer.ScreenshotAsync(page, "task-running");

            await page.GetByRole(AriaRole.Button, new() { Name = "Stop" }).ClickAsync();
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("CANCELLED");
            await Expect(page.Locator("#task-exit")).ToContainTextAsync("CANCELED: Stopped");
            await Expect(page.Locator(".timeline")).ToContainTextAsync("CANCELLED");
        });

    [RequiresChromiumFact]
    public async Task Validation_errors_show_on_the_component_they_concern()
    {
        await server.RunAsync(nameof(Validation_errors_show_on_the_component_they_concern), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "Launch", Exact = true }).ClickAsync();
            var broken = DashboardServer.EchoPipeline();
            broken["components"]![1]!["provider"] = "no_such_provider";
            await page.GetByLabel("Pipeline JSON").FillAsync(broken.ToJsonString());
            await page.GetByRole(AriaRole.Button, new() { Name = "Validate" }).ClickAsync();
            await Expect(page.Locator("[data-component=response_1][data-bad]")).ToBeVisibleAsync();
            await Expect(page.Locator("[data-component=webhook_1][data-bad]")).ToHaveCountAsync(0);
        });
    }

    [RequiresChromiumFact]
    public async Task History_filters_are_applied_on_the_server_and_kept_in_the_url()
    {
        await using var dap = await server.ConnectAsync();
        var marker = "hist" + Guid.NewGuid().ToString("N")[..6];
        foreach (var name in new[] { marker + "-keep", marker + "-also", "other-" + marker[4..] })
        {
            var token = (await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(), ["name"] = name }))["token"]!.GetValue<string>();
            await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
        }

        await server.RunAsync(nameof(History_filters_are_applied_on_the_server_and_kept_in_the_url), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "History", Exact = true }).ClickAsync();
            await page.GetByLabel("Pipeline name").FillAsync(marker);
            await page.GetByLabel("State").SelectOptionAsync("CANCELLED");
            await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();

            var rows = page.Locator("table[aria-label=Tasks] tbody tr");
            await Expect(rows).ToHaveCountAsync(2);
            await Expect(rows.First).ToContainTextAsync(marker);
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/history\\?state=CANCELLED&name={marker}"));

            // The URL is the view: opening it afresh shows the same filtered page.
            await page.ReloadAsync();
            await Expect(rows).ToHaveCountAsync(2);
            await Expect(page.GetByLabel("Pipeline name")).ToHaveValueAsync(marker);
        });
    }

    [RequiresChromiumFact]
    public async Task Run_now_on_a_deployment_starts_a_task_listed_among_its_past_fires()
    {
        await using var dap = await server.ConnectAsync();
        var projectId = "deploy-" + Guid.NewGuid().ToString("N")[..8];
        await dap.RequestAsync("rrext_deploy_add", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(projectId), ["schedule"] = "@daily" });

        await server.RunAsync(nameof(Run_now_on_a_deployment_starts_a_task_listed_among_its_past_fires), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await page.Locator("#nav").GetByRole(AriaRole.Link, new() { Name = "Deployments", Exact = true }).ClickAsync();
            var row = page.Locator($"tr[data-project='{projectId}']");
            await Expect(row).ToContainTextAsync("@daily");
            await Expect(row).ToContainTextAsync("none yet");

            await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
            await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Resume" })).ToBeVisibleAsync();
            await row.GetByRole(AriaRole.Button, new() { Name = "Run now" }).ClickAsync();
            await Expect(row.GetByRole(AriaRole.Link)).ToHaveCountAsync(1);
            await row.GetByRole(AriaRole.Link).ClickAsync();
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");
        });

        var deployment = await dap.RequestAsync("rrext_deploy_status", new JsonObject { ["projectId"] = projectId });
        await dap.RequestAsync("terminate", new JsonObject { ["token"] = deployment["lastToken"]!.GetValue<string>() });
    }

    [RequiresChromiumFact]
    public async Task A_task_link_opens_only_that_task_and_a_public_key_opens_nothing()
    {
        await using var dap = await server.ConnectAsync();
        var started = await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(), ["name"] = "shared-by-link" });
        var token = started["token"]!.GetValue<string>();
        var publicKey = started["publicToken"]!.GetValue<string>();

        await server.RunAsync(nameof(A_task_link_opens_only_that_task_and_a_public_key_opens_nothing), async page =>
        {
            await page.GotoAsync($"/#/task/{token}");
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "shared-by-link" })).ToBeVisibleAsync();
            await Expect(page.Locator("#nav")).ToBeHiddenAsync();
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");

            // Any other page leads back to the task.
            await page.EvaluateAsync("location.hash = '#/history'");
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex($"#/task/{token}$"));
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "History" })).ToHaveCountAsync(0);
        });

        await server.RunAsync(nameof(A_task_link_opens_only_that_task_and_a_public_key_opens_nothing) + "_pk", async page =>
        {
            await page.GotoAsync($"/#/task/{publicKey}");
            await Expect(page.GetByRole(AriaRole.Alert).Filter(new() { HasText = "public key" })).ToBeVisibleAsync();
            await Expect(page.Locator("#nav")).ToBeHiddenAsync();
            await Expect(page.Locator("#task-state")).ToHaveCountAsync(0);
        });

        await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
    }

    [RequiresChromiumFact]
    public async Task The_pages_fit_a_phone_width_screen()
    {
        await using var dap = await server.ConnectAsync();
        var token = (await dap.RequestAsync("execute", new JsonObject { ["pipeline"] = DashboardServer.EchoPipeline(), ["name"] = "on-a-phone" }))["token"]!.GetValue<string>();
        await server.RunAsync(nameof(The_pages_fit_a_phone_width_screen), async page =>
        {
            await DashboardServer.SignInAsync(page);
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
            await Expect(page.Locator("[data-stat=free] .value")).Not.ToBeEmptyAsync();
            await AssertNoSidewaysScrollAsync(page, "overview");
            await page.EvaluateAsync("location.hash = '#/tasks'");
            await Expect(page.Locator("table[aria-label=Tasks]")).ToBeVisibleAsync();
            await AssertNoSidewaysScrollAsync(page, "tasks");
            await page.EvaluateAsync($"location.hash = '#/task/{token}'");
            await Expect(page.Locator("#task-state")).ToHaveTextAsync("RUNNING");
            await AssertNoSidewaysScrollAsync(page, "task");
            await DashboardServer.ScreenshotAsync(page, "task-phone");
        }, width: 390, height: 844);
        await dap.RequestAsync("terminate", new JsonObject { ["token"] = token });
    }

    private static async Task AssertNoSidewaysScrollAsync(IPage page, string name) =>
        Assert.True(await page.EvaluateAsync<bool>("document.documentElement.scrollWidth <= window.innerWidth"), $"the {name} page scrolls sideways at phone width");
}
