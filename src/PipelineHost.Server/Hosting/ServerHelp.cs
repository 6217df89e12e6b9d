namespace PipelineHost.Server.Hosting;

/// <summary>What <c>--help</c> prints: how to start the server and its options, as README.md's table.</summary>
public static class ServerHelp
{
    /// <summary>True when <paramref name="args"/> asks for help (<c>--help</c>, <c>-h</c>, <c>-?</c>).</summary>
    public static bool IsRequested(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "-?");

    /// <summary>The help text.</summary>
    public const string Text = """
        PipelineHost server: runs pipeline tasks, each in its own worker process, over WebSocket (/task/service) and HTTP.

        Usage: PipelineHost.Server [options]   (or: pipelinehost serve [options])

        Options (command line, or the environment variable named):
          --port N                     PIPELINEHOST_PORT            port to listen on (default 5565)
          --host ADDR                  PIPELINEHOST_HOST            address to listen on (default 127.0.0.1)
          --api-key KEY                PIPELINEHOST_API_KEY         accepted API key; repeatable or comma-separated
                                                                    (default: generated on first start into DATA-DIR/api-key)
          --data-dir DIR               PIPELINEHOST_DATA_DIR        where history, deployments and files live (default ./.pipelinehost)
          --allow-root DIR             PIPELINEHOST_ALLOW_ROOT      a folder a filesys source may read; repeatable
          --allow-exec PATH            PIPELINEHOST_ALLOW_EXEC      a program an exec component may run; repeatable
          --retention SECONDS                                       how long finished tasks stay in memory (default 3600)
          --history-retention SECONDS  PIPELINEHOST_HISTORY_RETENTION  how long finished tasks stay in the history (default 604800)
          --stop-grace SECONDS                                      time a stopping worker gets before it is killed (default 5)
          --failed-item-max-bytes N                                 most input kept for one failed item (default 16 MiB)
          --failed-task-max-bytes N                                 most input kept for one task's failed items (default 256 MiB)
          --worker-pool-size N         PIPELINEHOST_WORKER_POOL_SIZE  warm workers kept ahead of tasks (default 2; 0: none)
          --pipe-idle-timeout SECONDS  PIPELINEHOST_PIPE_IDLE_TIMEOUT  an idle data pipe is closed as failed after this (default 60)
          --max-concurrent-tasks N     PIPELINEHOST_MAX_CONCURRENT_TASKS  tasks running at once; the rest queue (default CPUs x 4)
          --test-components true                                    enables the fault component used by the tests
          --PipelineHost:Section:Key=VALUE                          any configuration setting (TokenRates, Callbacks, ...)
          -h, --help                                                this text

        Pipelines may use ${PIPELINEHOST_*} and ${ROCKETRIDE_*} placeholders: their values come from this server's
        environment when it starts. More: README.md and protocol-spec/.
        """;
}
