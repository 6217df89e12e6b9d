-- PipelineHost's durable store in cluster mode (PostgresTaskStore), schema version 3: the SQLite store's tables
-- (src/PipelineHost.Engine/Storage/SqliteMigrations.cs, version 4) with the host that runs each task.

CREATE TABLE pipelinehost_tasks (
    token        text             NOT NULL PRIMARY KEY,
    public_key   text             NOT NULL,
    id           text             NOT NULL,
    project_id   text             NOT NULL,
    source       text             NOT NULL,
    provider     text             NOT NULL,
    name         text             NOT NULL,
    user_id      text             NOT NULL,
    pipeline     text             NOT NULL,
    created_at   double precision NOT NULL,
    started_at   double precision,
    ended_at     double precision,
    state        integer          NOT NULL,
    status_text  text             NOT NULL,
    status       text,
    exit_code    integer,
    exit_message text             NOT NULL,
    task_key     text,
    owner        text             NOT NULL
);
CREATE INDEX pipelinehost_tasks_public_key ON pipelinehost_tasks (public_key);
CREATE INDEX pipelinehost_tasks_created ON pipelinehost_tasks (created_at);
CREATE INDEX pipelinehost_tasks_project ON pipelinehost_tasks (project_id, created_at);
CREATE INDEX pipelinehost_tasks_ended ON pipelinehost_tasks (ended_at) WHERE ended_at IS NOT NULL;
CREATE INDEX pipelinehost_tasks_open ON pipelinehost_tasks (owner) WHERE state NOT IN (5, 6);

CREATE TABLE pipelinehost_task_transitions (
    seq   bigserial        PRIMARY KEY,
    token text             NOT NULL REFERENCES pipelinehost_tasks (token) ON DELETE CASCADE,
    state integer          NOT NULL,
    at    double precision NOT NULL
);
CREATE INDEX pipelinehost_task_transitions_token ON pipelinehost_task_transitions (token, seq);

CREATE TABLE pipelinehost_deployments (
    project_id       text             NOT NULL PRIMARY KEY,
    pipeline         text             NOT NULL,
    schedule         text             NOT NULL,
    state            text             NOT NULL,
    created_by       text             NOT NULL,
    created_at       double precision NOT NULL,
    updated_at       double precision NOT NULL,
    last_run_at      double precision,
    next_run_at      double precision,
    last_token       text,
    last_run_skipped boolean,
    last_error       text,
    time_zone        text             NOT NULL DEFAULT 'UTC'
);

CREATE TABLE pipelinehost_task_callbacks (
    token       text             NOT NULL PRIMARY KEY,
    created_at  double precision NOT NULL,
    url         text             NOT NULL,
    delivery_id text             NOT NULL,
    state       text             NOT NULL,
    attempts    text             NOT NULL,
    payload     text
);
CREATE INDEX pipelinehost_task_callbacks_pending ON pipelinehost_task_callbacks (created_at) WHERE state = 'pending';
