using System.Diagnostics;
using PipelineHost.Dashboard.Tests.Support;

namespace PipelineHost.Dashboard.Tests;

/// <summary>The dashboard's pure modules (formatting, routes, filters, reducers) under <c>node --test</c>.</summary>
public sealed class LogicTests
{
    [RequiresNodeFact]
    public async Task The_dashboard_logic_unit_tests_pass_under_node()
    {
        var folder = Path.Combine(Requirements.RepositoryRoot(), "tests", "PipelineHost.Dashboard.Tests", "js");
        var start = new ProcessStartInfo(Requirements.Node!) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        start.ArgumentList.Add("--test");
        start.ArgumentList.Add("--test-reporter=tap");
        foreach (var file in Directory.GetFiles(folder, "*.test.mjs").Order(StringComparer.Ordinal))
        {
            start.ArgumentList.Add(file);
        }

        using var node = Process.Start(start)!;
        var output = node.StandardOutput.ReadToEndAsync();
        var errors = node.StandardError.ReadToEndAsync();
        await node.WaitForExitAsync().WaitAsync(DashboardServer.Timeout);
        Assert.True(node.ExitCode == 0, $"node --test failed:\n{await output}\n{await errors}");
        Assert.Contains("# fail 0", await output, StringComparison.Ordinal);
    }
}
