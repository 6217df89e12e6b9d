using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;
using TaskStatus = PipelineHost.Client.TaskStatus;

namespace PipelineHost.Cli.Commands;

/// <summary>
/// <c>run &lt;pipeline&gt; [--input files|folders…] [--token T] [--wait] [--json]</c>: starts a pipeline, streams the
/// inputs into it with a live progress display, prints each result and the final status. Exits 0 only when every
/// send succeeded and, with <c>--wait</c>, the task COMPLETED.
/// </summary>
internal sealed class RunCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _pipeline = new("pipeline") { Description = "The pipeline file (.pipe, .pipe.json or .json)" };

    private readonly Option<string[]> _inputs = new("--input", "-i")
    {
        Description = "Files or folders (recursively) to send to the task",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<string?> _token = new("--token") { Description = "Task token to use instead of a random one" };
    private readonly Option<bool> _wait = new("--wait") { Description = "Wait until the task ends by itself (batch sources) and report how" };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("run", "Start a pipeline, send inputs to it with a progress display, print the results and the status")
        {
            _pipeline, _inputs, _token, _wait, _json,
        };
        command.SetAction(RunAsync);
        return command;
    }

    private async Task<int> RunAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var pipelineFile = FullPath(parse.GetRequiredValue(_pipeline));
        if (!File.Exists(pipelineFile))
        {
            throw new CliException($"no such pipeline file: {parse.GetRequiredValue(_pipeline)}", ExitCodes.Usage);
        }

        var inputs = InputFiles.Expand(parse.GetValue(_inputs) ?? [], Environment.WorkingDirectory);
        var wait = parse.GetValue(_wait);
        var json = parse.GetValue(_json);

        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            // The inputs are sent right after: a task the server has to queue is waited for rather than handed back unstarted.
            var task = await client.UseAsync(pipelineFile, new UseOptions { Token = parse.GetValue(_token), Wait = true }, cancellationToken).ConfigureAwait(false);
            var (outcomes, final) = json
                ? await RunQuietlyAsync(client, task, inputs, wait, cancellationToken).ConfigureAwait(false)
                : await RunWithProgressAsync(client, task, inputs, wait, cancellationToken).ConfigureAwait(false);

            var succeeded = outcomes.All(o => o.Succeeded) && (!wait || final.State == TaskState.Completed);
            if (json)
            {
                await JsonOutput.WriteAsync(Environment.Out, new JsonObject
                {
                    ["task"] = task.Raw.DeepClone(),
                    ["results"] = FileSender.ToJson(outcomes),
                    ["status"] = final.Raw.DeepClone(),
                }, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                Report(task, outcomes, final, wait);
            }

            return succeeded ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    private static async Task<(IReadOnlyList<SendOutcome>, TaskStatus)> RunQuietlyAsync(
        PipelineHostClient client, TaskHandle task, IReadOnlyList<FileInfo> inputs, bool wait, CancellationToken cancellationToken)
    {
        var outcomes = await FileSender.SendAsync(client, task.Token, inputs, null, cancellationToken).ConfigureAwait(false);
        var final = wait
            ? await client.WaitForCompletionAsync(task.Token, null, cancellationToken).ConfigureAwait(false)
            : await client.GetTaskStatusAsync(task.Token, cancellationToken).ConfigureAwait(false);
        return (outcomes, final);
    }

    private async Task<(IReadOnlyList<SendOutcome>, TaskStatus)> RunWithProgressAsync(
        PipelineHostClient client, TaskHandle task, IReadOnlyList<FileInfo> inputs, bool wait, CancellationToken cancellationToken)
    {
        var console = Environment.Console;
        console.MarkupLine($"Started [bold]{Markup.Escape(task.Token)}[/] [grey]({Markup.Escape(task.Id)}, source {Markup.Escape(task.Source)})[/]");
        IReadOnlyList<SendOutcome> outcomes = [];
        TaskStatus? final = null;
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var pipelineRow = progress.AddTask("pipeline: starting", maxValue: 1);
                var statusRow = new StatusRow(pipelineRow);
                using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var polling = PollStatusAsync(client, task.Token, statusRow.Show, stopPolling.Token);
                try
                {
                    if (inputs.Count > 0)
                    {
                        outcomes = await SendWithProgressAsync(client, task.Token, inputs, progress, cancellationToken).ConfigureAwait(false);
                    }

                    final = wait
                        ? await client.WaitForCompletionAsync(task.Token, new CallbackProgress<TaskStatus>(statusRow.Show), cancellationToken).ConfigureAwait(false)
                        : await client.GetTaskStatusAsync(task.Token, cancellationToken).ConfigureAwait(false);
                    statusRow.Show(final);
                    pipelineRow.StopTask();
                }
                finally
                {
                    await stopPolling.CancelAsync().ConfigureAwait(false);
                    await polling.ConfigureAwait(false);
                }
            }).ConfigureAwait(false);
        return (outcomes, final!);
    }

    private static async Task<IReadOnlyList<SendOutcome>> SendWithProgressAsync(
        PipelineHostClient client, string token, IReadOnlyList<FileInfo> inputs, ProgressContext progress, CancellationToken cancellationToken)
    {
        var totalBytes = inputs.Sum(f => f.Length);
        var row = progress.AddTask($"send: 0/{inputs.Count} files", maxValue: Math.Max(1, totalBytes));
        var started = Stopwatch.GetTimestamp();
        var done = 0;
        long sentBytes = 0;
        var outcomes = await FileSender.SendAsync(client, token, inputs, outcome =>
        {
            var files = Interlocked.Increment(ref done);
            var bytes = Interlocked.Add(ref sentBytes, outcome.File.Length);
            var seconds = Math.Max(Stopwatch.GetElapsedTime(started).TotalSeconds, 0.001);
            row.Increment(outcome.File.Length);
            row.Description = Markup.Escape($"send: {files}/{inputs.Count} files · {Format.Bytes(bytes)} of {Format.Bytes(totalBytes)} · {Format.Rate(bytes / seconds)}");
        }, cancellationToken).ConfigureAwait(false);
        row.Value = row.MaxValue;
        row.StopTask();
        return outcomes;
    }

    // CPU and memory only come with the status: poll it while sending, as WaitForCompletionAsync does while waiting.
    private static async Task PollStatusAsync(PipelineHostClient client, string token, Action<TaskStatus> show, CancellationToken cancellationToken)
    {
        try
        {
            using var timer = new PeriodicTimer(PipelineHostClient.StatusPollInterval);
            do
            {
                show(await client.GetTaskStatusAsync(token, cancellationToken).ConfigureAwait(false));
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (PipelineHostException)
        {
            // The display is a nicety; the real outcome comes from the sends and the final status.
        }
    }

    private void Report(TaskHandle task, IReadOnlyList<SendOutcome> outcomes, TaskStatus final, bool wait)
    {
        var console = Environment.Console;
        FileSender.Print(console, outcomes);
        console.Write(StatusView.Render(final));
        if (!wait && !final.State.IsTerminal())
        {
            console.MarkupLine($"[grey]The task keeps running: stop it with[/] pipelinehost stop {Markup.Escape(task.Token)}");
        }
    }

    /// <summary>The pipeline row of the display: objects done of total, with rate, CPU and memory in its description.</summary>
    private sealed class StatusRow(ProgressTask row)
    {
        private TaskMetrics _lastLiveMetrics = new();

        public void Show(TaskStatus status)
        {
            // A finished task's metrics read zero (the server resets them); keep showing the last live figures.
            if (!status.State.IsTerminal())
            {
                _lastLiveMetrics = status.Metrics;
            }

            var counts = status.Counts;
            row.MaxValue = Math.Max(1, Math.Max(counts.TotalCount, counts.CompletedCount + counts.FailedCount));
            row.Value = counts.CompletedCount + counts.FailedCount;
            row.Description = Markup.Escape($"pipeline: {status.State.ToString().ToLowerInvariant()} · {StatusView.Summary(status, _lastLiveMetrics)}");
        }
    }
}

/// <summary>Reports on the calling thread, in order (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
