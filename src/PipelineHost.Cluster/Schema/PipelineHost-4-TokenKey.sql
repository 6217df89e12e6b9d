-- Schema version 4: the key of the cluster's token hashes (TokenHasher, HMAC-SHA256). Every host hashes task
-- credentials with this one key, so the store keeps tk_/pk_ only as keyed hashes (as the SQLite store does) and any
-- host finds a task by the token a client presents. The first host to open the store inserts a random key.
CREATE TABLE pipelinehost_token_key (
    id  integer NOT NULL PRIMARY KEY CHECK (id = 1),
    key text    NOT NULL
);
