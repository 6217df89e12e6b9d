namespace PipelineHost.Engine.Storage;

/// <summary>
/// The schema of <see cref="SqliteTaskStore"/>, as an ordered list of scripts: script <c>i</c> takes the database
/// from version <c>i</c> to <c>i + 1</c>. Scripts are only ever appended; a released one never changes.
/// </summary>
internal static class SqliteMigrations
{
    /// <summary>The version from which every column naming a task by token holds its keyed hash (<see cref="TokenHasher"/>).</summary>
    public const int HashedTokensVersion = 5;

    public static readonly IReadOnlyList<string> Scripts =
    [
        // 1: task history and deployments.
        """
        CREATE TABLE tasks (
            token        TEXT    NOT NULL PRIMARY KEY,
            public_key   TEXT    NOT NULL,
            id           TEXT    NOT NULL,
            project_id   TEXT    NOT NULL,
            source       TEXT    NOT NULL,
            provider     TEXT    NOT NULL,
            name         TEXT    NOT NULL,
            user_id      TEXT    NOT NULL,
            pipeline     TEXT    NOT NULL,
            created_at   REAL    NOT NULL,
            started_at   REAL,
            ended_at     REAL,
            state        INTEGER NOT NULL,
            status_text  TEXT    NOT NULL,
            status       TEXT,
            exit_code    INTEGER,
            exit_message TEXT    NOT NULL
        );
        CREATE INDEX tasks_public_key ON tasks (public_key);
        CREATE INDEX tasks_created ON tasks (created_at);
        CREATE INDEX tasks_project ON tasks (project_id, created_at);
        CREATE INDEX tasks_ended ON tasks (ended_at) WHERE ended_at IS NOT NULL;

        CREATE TABLE task_transitions (
            seq   INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            token TEXT    NOT NULL REFERENCES tasks (token) ON DELETE CASCADE,
            state INTEGER NOT NULL,
            at    REAL    NOT NULL
        );
        CREATE INDEX task_transitions_token ON task_transitions (token, seq);

        CREATE TABLE deployments (
            project_id       TEXT    NOT NULL PRIMARY KEY,
            pipeline         TEXT    NOT NULL,
            schedule         TEXT    NOT NULL,
            state            TEXT    NOT NULL,
            created_by       TEXT    NOT NULL,
            created_at       REAL    NOT NULL,
            updated_at       REAL    NOT NULL,
            last_run_at      REAL,
            next_run_at      REAL,
            last_token       TEXT,
            last_run_skipped INTEGER,
            last_error       TEXT
        );
        """,

        // 2: task-end callback deliveries, one per token (the latest run's); no foreign key, because the record
        // is written when the task is created, possibly before the history recorder writes the task's.
        """
        CREATE TABLE task_callbacks (
            token       TEXT NOT NULL PRIMARY KEY,
            created_at  REAL NOT NULL,
            url         TEXT NOT NULL,
            delivery_id TEXT NOT NULL,
            state       TEXT NOT NULL,
            attempts    TEXT NOT NULL,
            payload     TEXT
        );
        CREATE INDEX task_callbacks_pending ON task_callbacks (created_at) WHERE state = 'pending';
        """,

        // 3: each deployment's schedule follows the wall clock of its own IANA time zone.
        """
        ALTER TABLE deployments ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
        """,

        // 4: the internal key naming a task's folder (tasks/<key>), so no path carries a token.
        """
        ALTER TABLE tasks ADD COLUMN task_key TEXT;
        """,

        // 5: credentials as keyed hashes, never in clear. token_hash() is the store's HMAC, registered on the
        // connection; the foreign key from task_transitions holds again once both sides are hashed (at commit).
        // A task can now also be named by its short id (for API keys), hence the index. tasks_listing covers every
        // history filter, so counting a filtered history (GET /history's total) reads the index, not 10,000 rows
        // of stored statuses (174 ms → 1 ms for 10,000 tasks).
        """
        PRAGMA defer_foreign_keys = ON;
        UPDATE tasks SET token = token_hash(token), public_key = token_hash(public_key);
        UPDATE task_transitions SET token = token_hash(token);
        UPDATE task_callbacks SET token = token_hash(token);
        UPDATE deployments SET last_token = token_hash(last_token) WHERE last_token IS NOT NULL;
        CREATE INDEX tasks_id ON tasks (id);
        CREATE INDEX tasks_listing ON tasks (created_at, user_id, state, project_id, source, id, name, token);
        """,

        // 6 (issue 20): idempotency keys, per user, and the tasks the history dropped (by token hash, no token).
        """
        CREATE TABLE idempotency_keys (
            user_id       TEXT NOT NULL,
            key           TEXT NOT NULL,
            pipeline_hash TEXT NOT NULL,
            token         TEXT NOT NULL,
            public_key    TEXT,
            created_at    REAL NOT NULL,
            PRIMARY KEY (user_id, key)
        );
        CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

        CREATE TABLE expired_tasks (
            token_hash TEXT NOT NULL PRIMARY KEY,
            id         TEXT NOT NULL,
            user_id    TEXT NOT NULL,
            ended_at   REAL NOT NULL,
            expired_at REAL NOT NULL
        );
        CREATE INDEX expired_tasks_expired ON expired_tasks (expired_at);
        """,
    ];
}
