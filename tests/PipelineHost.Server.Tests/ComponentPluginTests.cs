using System.Text.Json.Nodes;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// Component plug-ins from the components folder (<c>--components-dir</c>): listed by <c>rrext_services</c> like
/// built-ins, run by real workers, and a bad plug-in refused by name while the rest still load.
/// </summary>
public sealed class ComponentPluginTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "pipelinehost-plugin-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_example_plugin_is_listed_like_a_built_in_and_runs_in_a_real_worker()
    {
        await using var server = await TestServer.StartAsync(options: o => o with { ComponentsDirectory = TestServer.PluginFolder("example-components") });
        await using var client = await server.ConnectAsync();

        var services = await client.RequestAsync("rrext_services", []);
        var token = (await client.ExecuteAsync(new JsonObject
        {
            ["components"] = new JsonArray(
                new JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new JsonObject { ["mode"] = "Source" } },
                TestPipelines.Component("reverse_1", "example_reverse", new JsonObject { ["upper"] = true }, "webhook_1"),
                TestPipelines.Component("response_1", "response", [], "reverse_1")),
            ["source"] = "webhook_1",
        }))["token"]!.GetValue<string>();
        var answer = await client.SendAsync(token, "héllo");

        var entry = services.Body!["services"]!["example_reverse"]!;
        Assert.Equal(("example_reverse://", "transform"), (entry["protocol"]!.GetValue<string>(), entry["classType"]![0]!.GetValue<string>()));
        Assert.Equal("""[{"name":"PipelineHost.Example.Components","providers":["example_reverse"],"error":null}]""", services.Body["plugins"]!.ToJsonString());
        Assert.True(answer.Success, answer.Message);
        Assert.Equal("OLLÉH\n\n", answer.Body!["text"]![0]!.GetValue<string>()); // the response sink ends each text item with a blank line
    }

    [Fact]
    public async Task Bad_plugins_are_refused_by_name_and_the_others_still_load()
    {
        CopyPlugins("components");
        CopyPlugins("bad-components");
        File.WriteAllText(Path.Combine(_folder, "NotAnAssembly.dll"), "not a PE file");

        await using var server = await TestServer.StartAsync(options: o => o with { ComponentsDirectory = _folder });
        await using var client = await server.ConnectAsync();
        var services = (await client.RequestAsync("rrext_services", [])).Body!;
        var answer = await client.SendAsync((await client.ExecuteAsync(TestPipelines.Faulty("none")))["token"]!.GetValue<string>(), "still works");

        var reports = services["plugins"]!.AsArray().ToDictionary(p => p!["name"]!.GetValue<string>(), p => p!["error"]?.GetValue<string>());
        Assert.Equal(
            ["NotAnAssembly", "PipelineHost.TestComponents", "PipelineHost.TestComponents.Throwing", "PipelineHost.TestComponents.WrongVersion"],
            reports.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("not a .NET assembly", reports["NotAnAssembly"]);
        Assert.Null(reports["PipelineHost.TestComponents"]);
        Assert.Equal("a provider failed to start: InvalidOperationException: this plug-in is broken on purpose", reports["PipelineHost.TestComponents.Throwing"]);
        Assert.Equal("built for component interface version 2; this host has version 1", reports["PipelineHost.TestComponents.WrongVersion"]);
        Assert.True(services["services"]!.AsObject().ContainsKey("fault"));
        Assert.False(services["services"]!.AsObject().ContainsKey("future"));
        Assert.True(answer.Success, answer.Message);
    }

    [Fact]
    public async Task A_plugin_that_reuses_a_built_in_name_is_refused()
    {
        CopyPlugins("components");
        Directory.CreateDirectory(_folder);
        var copy = Path.Combine(_folder, "again");
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(Path.Combine(_folder, "PipelineHost.TestComponents")))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        await using var server = await TestServer.StartAsync(options: o => o with { ComponentsDirectory = _folder });
        await using var client = await server.ConnectAsync();
        var plugins = (await client.RequestAsync("rrext_services", [])).Body!["plugins"]!.AsArray();

        Assert.Equal(2, plugins.Count);
        Assert.Equal("provider \"fault\" is already provided by a built-in or another plug-in", plugins[1]!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_missing_components_folder_stops_the_start_without_naming_the_path()
    {
        var missing = Path.Combine(_folder, "nowhere");

        var error = await Assert.ThrowsAsync<ArgumentException>(() => TestServer.StartAsync(options: o => o with { ComponentsDirectory = missing }));

        Assert.Equal("The components folder (--components-dir) does not exist.", error.Message);
    }

    private void CopyPlugins(string set)
    {
        foreach (var plugin in Directory.GetDirectories(TestServer.PluginFolder(set)))
        {
            var target = Path.Combine(_folder, Path.GetFileName(plugin));
            Directory.CreateDirectory(target);
            foreach (var file in Directory.GetFiles(plugin))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
            }
        }
    }
}
