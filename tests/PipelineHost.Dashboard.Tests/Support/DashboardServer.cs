using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using PipelineHost.Server.Hosting;

namespace PipelineHost.Dashboard.Tests.Support;

/// <summary>
/// One real server (Kestrel on a free loopback port, real worker processes) and one headless Chromium, shared
/// by a test class; each test gets a fresh browser context, so sessionStorage starts empty.
/// </summary>
public sealed class DashboardServer : IAsyncLifetime
{
    public const string ApiKey = "dashboard-test-key";

    /// <summary>A hang guard, never a speed assertion.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static readonly string[] ChromiumArgs =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "pipelinehost-dashboard-tests", Guid.NewGuid().ToString("N"));
    private WebApplication? _app;
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (Requirements.Chromium is not { } chromium)
        {
            return; // every test of the class is skipped
        }

        _app = PipelineHostApp.Build(new ServerOptions { Port = 0, ApiKeys = [ApiKey], DataDirectory = _dataDirectory, WorkerPoolSize = 0, ComponentsDirectory = Path.Combine(AppContext.BaseDirectory, "components") });
        await _app.StartAsync().WaitAsync(Timeout);
        BaseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = chromium, Headless = true, Args = ChromiumArgs });
    }

    public Task<DapSocket> ConnectAsync(string credential = ApiKey) => DapSocket.ConnectAsync(BaseAddress, credential);

    /// <summary>The echo pipeline (webhook source, response sink) with its own project id.</summary>
    public static JsonObject EchoPipeline(string? projectId = null) => new()
    {
        ["project_id"] = projectId ?? Guid.NewGuid().ToString(),
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject { ["id"] = "response_1", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }) }),
        ["source"] = "webhook_1",
    };

    /// <summary>The data folder (a test puts the file a <c>fault</c> component's <c>passIfExists</c> names there).</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>An HTTP client on the server, signed in with the API key.</summary>
    public HttpClient CreateHttpClient()
    {
        var http = new HttpClient { BaseAddress = BaseAddress, Timeout = Timeout };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiKey);
        return http;
    }

    /// <summary>
    /// The echo pipeline with a <c>fault</c> component between source and sink that fails objects whose name
    /// contains <c>bad</c> until the file <paramref name="passIfExists"/> exists.
    /// </summary>
    public static JsonObject FlakyPipeline(string passIfExists) => new()
    {
        ["project_id"] = Guid.NewGuid().ToString(),
        ["components"] = new JsonArray(
            new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
            new JsonObject
            {
                ["id"] = "fault_1",
                ["provider"] = "fault",
                ["config"] = new JsonObject { ["action"] = "throw", ["match"] = "bad", ["passIfExists"] = passIfExists },
                ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "webhook_1" }),
            },
            new JsonObject { ["id"] = "response_1", ["provider"] = "response", ["input"] = new JsonArray(new JsonObject { ["lane"] = "text", ["from"] = "fault_1" }) }),
        ["source"] = "webhook_1",
    };

    /// <summary>
    /// Runs <paramref name="test"/> on a new page at 1280 px; on failure saves a full-page screenshot as
    /// <c>screenshots/&lt;name&gt;.png</c> in the test output folder, then rethrows.
    /// </summary>
    public async Task RunAsync(string name, Func<IPage, Task> test, int width = 1280, int height = 900)
    {
        await using var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        context.SetDefaultTimeout((float)Timeout.TotalMilliseconds);
        var page = await context.NewPageAsync();
        try
        {
            await test(page);
        }
        catch
        {
            await ScreenshotAsync(page, name);
            throw;
        }
    }

    /// <summary>Saves the page as <c>screenshots/&lt;name&gt;.png</c> in the test output folder; returns the path.</summary>
    public static async Task<string> ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    /// <summary>Opens the dashboard and signs in with <paramref name="key"/>.</summary>
    public static async Task SignInAsync(IPage page, string key = ApiKey)
    {
        await page.GotoAsync("/");
        await page.GetByLabel("API key").FillAsync(key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        _playwright?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(Timeout);
            await _app.DisposeAsync();
        }

        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
