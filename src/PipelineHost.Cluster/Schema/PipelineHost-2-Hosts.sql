-- PipelineHost's own cluster tables, schema version 2.

-- Which host runs which task: a host that is asked about a task it does not run looks the owner up here and
-- forwards the request to the owner's task grain. Keyed by the task token's hash, never the token itself.
CREATE TABLE pipelinehost_task_owner (
    token_hash text PRIMARY KEY,
    public_key text,
    task_id text NOT NULL,
    owner_silo text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pipelinehost_task_owner_public_key ON pipelinehost_task_owner (public_key);
CREATE INDEX pipelinehost_task_owner_silo ON pipelinehost_task_owner (owner_silo);
