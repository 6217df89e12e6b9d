using System.Net;
using System.Net.Sockets;
using PipelineHost.Engine.Storage;
using PipelineHost.Server.Hosting;
using PipelineHost.Server.Tests.Support;

namespace PipelineHost.Server.Tests;

/// <summary>
/// The real server process at start: one server per data folder, start-up failures as one clear line and exit code
/// 1, and a data folder nobody else can read.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StartupTests : IDisposable
{
    private readonly string _dataDirectory = TestServer.NewDataDirectory();

    public void Dispose()
    {
        try
        {
            if (File.Exists(_dataDirectory))
            {
                File.Delete(_dataDirectory);
            }
            else if (Directory.Exists(_dataDirectory))
            {
                Directory.Delete(_dataDirectory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    [Fact]
    public async Task A_second_server_on_the_same_data_folder_names_the_holder_and_exits_1_without_touching_its_tasks()
    {
        await using var first = await HostProcess.StartAsync(_dataDirectory);
        await using var client = await first.ConnectAsync();
        var token = (await client.ExecuteAsync(TestPipelines.Echo()))["token"]!.GetValue<string>();
        await WaitUntilStoredRunningAsync(token);

        var (exitCode, _, error) = await HostProcess.RunToExitAsync(HostProcess.DefaultArguments(_dataDirectory));
        var status = await client.StatusAsync(token);
        await using var store = new SqliteTaskStore(Path.Combine(_dataDirectory, SqliteTaskStore.FileName));
        var stored = await store.FindTaskAsync(token, CancellationToken.None);

        Assert.Equal(1, exitCode);
        Assert.Equal($"pipelinehost: The data folder is in use by another PipelineHost server (process {first.Process.Id}); stop it, or start this one with another --data-dir.", error.Trim());
        Assert.Equal(3, status["state"]!.GetValue<int>());
        Assert.Equal(Engine.Tasks.TaskState.Running, stored!.State);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_and_exit_code_1_and_leaves_the_data_folder_alone()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (exitCode, _, error) = await HostProcess.RunToExitAsync([.. HostProcess.DefaultArguments(_dataDirectory), "--port", port]);

        Assert.Equal(1, exitCode);
        Assert.Equal($"pipelinehost: Port {port} on 127.0.0.1 is already in use; stop the program using it or choose another --port.", error.Trim());
        Assert.False(File.Exists(Path.Combine(_dataDirectory, SqliteTaskStore.FileName)));
    }

    [Fact]
    public async Task A_data_folder_that_is_a_file_is_one_line_and_exit_code_1()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(_dataDirectory)!);
        await File.WriteAllTextAsync(_dataDirectory, "not a folder");

        var (exitCode, _, error) = await HostProcess.RunToExitAsync(HostProcess.DefaultArguments(_dataDirectory));

        Assert.Equal(1, exitCode);
        Assert.Equal("pipelinehost: The data folder (--data-dir) is a file, not a folder.", error.Trim());
    }

    [Fact]
    public async Task A_data_folder_under_a_file_is_one_line_and_exit_code_1()
    {
        var (exitCode, _, error) = await HostProcess.RunToExitAsync(HostProcess.DefaultArguments("/dev/null/pipelinehost"));

        Assert.Equal(1, exitCode);
        Assert.Equal("pipelinehost: The data folder (--data-dir) cannot be created or written: an I/O error.", error.Trim());
    }

    [NotRootFact]
    public async Task A_data_folder_that_cannot_be_written_is_one_line_and_exit_code_1()
    {
        Directory.CreateDirectory(_dataDirectory);
        File.SetUnixFileMode(_dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserExecute);

        var (exitCode, _, error) = await HostProcess.RunToExitAsync(HostProcess.DefaultArguments(_dataDirectory));
        File.SetUnixFileMode(_dataDirectory, PrivateFiles.FolderMode);

        Assert.Equal(1, exitCode);
        Assert.Equal("pipelinehost: The data folder (--data-dir) cannot be created or written: permission denied.", error.Trim());
    }

    [Fact]
    public async Task Everything_the_server_creates_in_its_data_folder_is_owner_only_and_a_looser_folder_is_warned_about()
    {
        Directory.CreateDirectory(_dataDirectory);
        File.SetUnixFileMode(_dataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using (var host = await HostProcess.StartAsync(_dataDirectory))
        {
            await using var client = await host.ConnectAsync();
            var pipeline = new System.Text.Json.Nodes.JsonObject
            {
                ["components"] = new System.Text.Json.Nodes.JsonArray(
                    new System.Text.Json.Nodes.JsonObject { ["id"] = "webhook_1", ["provider"] = "webhook", ["config"] = new System.Text.Json.Nodes.JsonObject { ["mode"] = "Source" } },
                    TestPipelines.Component("writer_1", "writer", new System.Text.Json.Nodes.JsonObject(), "webhook_1")),
                ["source"] = "webhook_1",
                ["project_id"] = Guid.NewGuid().ToString(),
            };
            var token = (await client.ExecuteAsync(pipeline))["token"]!.GetValue<string>();
            Assert.True((await client.SendAsync(token, "kept private", name: "secret")).Success);
            var open = await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_open", ["path"] = "dir/file.txt", ["mode"] = "w" });
            Assert.True(open.Success, open.Message);
            Assert.True((await client.RequestAsync("rrext_store", new() { ["subcommand"] = "fs_close", ["handle"] = open.Body!["handle"]!.GetValue<string>() })).Success);
            await WaitUntilStoredRunningAsync(token);
            Assert.Contains(host.Output, line => line.Contains("The data folder (--data-dir) has 1 entries other users may read or enter", StringComparison.Ordinal));
        }

        File.SetUnixFileMode(_dataDirectory, PrivateFiles.FolderMode);
        var entries = Directory.EnumerateFileSystemEntries(_dataDirectory, "*", SearchOption.AllDirectories).ToList();
        Assert.Contains(entries, e => e.EndsWith("secret.txt", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EndsWith("file.txt", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.EndsWith(SqliteTaskStore.FileName + "-wal", StringComparison.Ordinal));
        foreach (var entry in entries)
        {
            var expected = Directory.Exists(entry) ? PrivateFiles.FolderMode : PrivateFiles.FileMode;
            Assert.True(File.GetUnixFileMode(entry) == expected, $"{Path.GetRelativePath(_dataDirectory, entry)}: {File.GetUnixFileMode(entry)}");
        }
    }

    private async Task WaitUntilStoredRunningAsync(string token)
    {
        await using var store = new SqliteTaskStore(Path.Combine(_dataDirectory, SqliteTaskStore.FileName));
        using var timeout = new CancellationTokenSource(TestTimeouts.Default);
        while ((await store.FindTaskAsync(token, timeout.Token))?.State != Engine.Tasks.TaskState.Running)
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}

/// <summary>A test that needs file permissions to hold: skipped for root, who writes anywhere.</summary>
public sealed class NotRootFactAttribute : FactAttribute
{
    public NotRootFactAttribute()
    {
        if (!OperatingSystem.IsWindows() && Environment.UserName == "root")
        {
            Skip = "Running as root: file permissions do not stop root.";
        }
    }
}
