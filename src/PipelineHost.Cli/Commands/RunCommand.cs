using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using PipelineHost.Client;
using PipelineHost.Cli.Output;
using Spectre.Console;
using TaskStatus = PipelineHost.Client.TaskStatus;

namespace PipelineHost.Cli.Commands;

/// <summary>
/// <c>run &lt;pipeline&gt; [--input files|folders…] [--keep-running] [--token T] [--wait] [--json]</c>: starts a
/// pipeline, streams the inputs into it (live progress on a terminal), prints each result as it arrives and the
/// final status. With inputs the task is stopped once every input has its result, unless <c>--keep-running</c>.
/// Exits 0 only when every send succeeded and, with <c>--wait</c> and no inputs, the task COMPLETED.
/// </summary>
internal sealed class RunCommand(CliEnvironment environment, GlobalOptions globals) : CliCommand(environment, globals)
{
    private readonly Argument<string> _pipeline = new("pipeline") { Description = "The pipeline file (.pipe, .pipe.json or .json)" };

    private readonly Option<string[]> _inputs = new("--input", "-i")
    {
        Description = "Files or folders (recursively) to send to the task; the task is stopped once all have their results (see --keep-running)",
        AllowMultipleArgumentsPerToken = true,
    };

    private readonly Option<bool> _keepRunning = new("--keep-running") { Description = "With --input: leave the task running after the inputs (stop it with `pipelinehost stop`)" };
    private readonly Option<string?> _token = new("--token") { Description = "Task token to use instead of a random one" };
    private readonly Option<string?> _idempotencyKey = new("--idempotency-key") { Description = "Start once: run again with the same key and pipeline within 24 h and you get the first task instead of a new one" };
    private readonly Option<bool> _wait = new("--wait") { Description = "Wait until the task ends (a batch source ends by itself, a webhook source when stopped) and report how" };
    private readonly Option<bool> _json = JsonOption();

    public override Command Create()
    {
        var command = new Command("run", "Start a pipeline, send inputs to it, print each result and the status; with inputs, stop it afterwards unless --keep-running")
        {
            _pipeline, _inputs, _keepRunning, _token, _idempotencyKey, _wait, _json,
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
        var plan = new RunPlan(inputs, StopAfterInput: inputs.Count > 0 && !parse.GetValue(_keepRunning), Wait: parse.GetValue(_wait));
        var json = parse.GetValue(_json);

        var client = await ConnectAsync(parse, cancellationToken).ConfigureAwait(false);
        await using (client.ConfigureAwait(false))
        {
            // The inputs are sent right after: a task the server has to queue is waited for rather than handed back unstarted.
            var task = await client.UseAsync(pipelineFile, new UseOptions { Token = parse.GetValue(_token), IdempotencyKey = parse.GetValue(_idempotencyKey), Wait = true }, cancellationToken).ConfigureAwait(false);
            var printer = json ? null : new ResultPrinter(Environment.Console);
            if (printer is not null && !Environment.IsLive)
            {
                Environment.Console.MarkupLine($"Started {Markup.Escape(task.Token)} ({Markup.Escape(task.Id)}, source {Markup.Escape(task.Source)})");
            }

            var (outcomes, final) = Environment.IsLive && printer is not null
                ? await RunWithProgressAsync(client, task, plan, printer, cancellationToken).ConfigureAwait(false)
                : await RunPlainAsync(client, task, plan, printer, cancellationToken).ConfigureAwait(false);

            var succeeded = outcomes.All(o => o.Succeeded) && (!plan.Wait || plan.StopAfterInput || final.State == TaskState.Completed);
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
                Environment.Console.Write(StatusView.Render(final));
                if (!final.State.IsTerminal())
                {
                    Environment.Console.MarkupLine($"The task keeps running: stop it with pipelinehost stop {Markup.Escape(task.Token)}");
                }
            }

            return succeeded ? ExitCodes.Success : ExitCodes.Failure;
        }
    }

    // Inputs, then the stop (when planned), then the wait (when asked for), then the final status.
    private async Task<(IReadOnlyList<SendOutcome>, TaskStatus)> RunPlainAsync(
        PipelineHostClient client, TaskHandle task, RunPlan plan, ResultPrinter? printer, CancellationToken cancellationToken)
    {
        var outcomes = await FileSender.SendAsync(client, task.Token, plan.Inputs, printer is null ? null : printer.Print, cancellationToken).ConfigureAwait(false);
        return (outcomes, await FinishAsync(client, task, plan, printer, null, cancellationToken).ConfigureAwait(false));
    }

    private async Task<TaskStatus> FinishAsync(
        PipelineHostClient client, TaskHandle task, RunPlan plan, ResultPrinter? printer, IProgress<TaskStatus>? progress, CancellationToken cancellationToken)
    {
        if (plan.StopAfterInput)
        {
            await client.TerminateAsync(task.Token, cancellationToken).ConfigureAwait(false);
            return await client.GetTaskStatusAsync(task.Token, cancellationToken).ConfigureAwait(false);
        }

        if (!plan.Wait)
        {
            return await client.GetTaskStatusAsync(task.Token, cancellationToken).ConfigureAwait(false);
        }

        var current = await client.GetTaskStatusAsync(task.Token, cancellationToken).ConfigureAwait(false);
        if (printer is not null && !current.State.IsTerminal() && current.Raw["taskType"]?.GetValue<string>() == "pipeline")
        {
            printer.Note($"Waiting for {task.Token} to end: a {task.Provider} source ends only when the task is stopped (pipelinehost stop {task.Token}, or Ctrl+C here to stop waiting)");
        }

        return await client.WaitForCompletionAsync(task.Token, progress, cancellationToken).ConfigureAwait(false);
    }

    private async Task<(IReadOnlyList<SendOutcome>, TaskStatus)> RunWithProgressAsync(
        PipelineHostClient client, TaskHandle task, RunPlan plan, ResultPrinter printer, CancellationToken cancellationToken)
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
                    if (plan.Inputs.Count > 0)
                    {
                        outcomes = await SendWithProgressAsync(client, task.Token, plan.Inputs, progress, printer, cancellationToken).ConfigureAwait(false);
                    }

                    final = await FinishAsync(client, task, plan, printer, new CallbackProgress<TaskStatus>(statusRow.Show), cancellationToken).ConfigureAwait(false);
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
        PipelineHostClient client, string token, IReadOnlyList<FileInfo> inputs, ProgressContext progress, ResultPrinter printer, CancellationToken cancellationToken)
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
            printer.Print(outcome);
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
            row.Description = Markup.Escape($"pipeline: {status.State.ToWireName()} · {StatusView.Summary(status, _lastLiveMetrics)}");
        }
    }
}

/// <summary>Reports on the calling thread, in order (unlike <see cref="Progress{T}"/>, which posts to the thread pool).</summary>
internal sealed class CallbackProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}

/// <summary>What <c>run</c> does after starting the task.</summary>
/// <param name="Inputs">The files to send.</param>
/// <param name="StopAfterInput">Stop the task once every input has its result (the default with inputs).</param>
/// <param name="Wait">Wait for the task to end by itself.</param>
internal sealed record RunPlan(IReadOnlyList<FileInfo> Inputs, bool StopAfterInput, bool Wait);

/// <summary>Prints each result the moment it arrives; sends finish on several threads, the console takes one line at a time.</summary>
internal sealed class ResultPrinter(IAnsiConsole console)
{
    private readonly Lock _gate = new();

    public void Print(SendOutcome outcome)
    {
        lock (_gate)
        {
            FileSender.PrintOne(console, outcome);
        }
    }

    public void Note(string text)
    {
        lock (_gate)
        {
            console.MarkupLine(Markup.Escape(text));
        }
    }
}
