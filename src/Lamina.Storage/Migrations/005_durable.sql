-- Durable executions: one row per execution, its operations, its history, and checkpoint replies kept for
-- ClientToken replay. Payload-bearing columns hold sealed bytes (AES-GCM, execution ARN as associated data).
CREATE TABLE durable_executions (
    arn                  TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,
    function_name        TEXT NOT NULL,
    version              TEXT NOT NULL,
    name                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    started_at           INTEGER NOT NULL,
    ended_at             INTEGER NULL,
    input                BLOB NOT NULL,
    input_hash           TEXT NOT NULL,
    result               BLOB NULL,
    error                BLOB NULL,
    pending_outcome      BLOB NULL,
    execution_timeout    INTEGER NOT NULL,
    retention_days       INTEGER NOT NULL,
    trace_id             TEXT NULL,
    row_version          INTEGER NOT NULL,
    token                TEXT NULL,
    invocation_event_id  TEXT NULL,
    invocation_request_id TEXT NULL,
    invocation_started_at INTEGER NULL,
    resume_queued        INTEGER NOT NULL,
    change_seq           INTEGER NOT NULL,
    seen_seq             INTEGER NOT NULL,
    next_op_seq          INTEGER NOT NULL,
    next_event_id        INTEGER NOT NULL,
    consecutive_failures INTEGER NOT NULL,
    expires_at           INTEGER NULL,
    parent_arn           TEXT NULL,
    parent_operation_id  TEXT NULL
);
CREATE UNIQUE INDEX durable_executions_name ON durable_executions (account_id, function_name, name);
CREATE INDEX durable_executions_by_function ON durable_executions (account_id, function_name, started_at);
CREATE INDEX durable_executions_expiry ON durable_executions (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE durable_operations (
    arn          TEXT NOT NULL REFERENCES durable_executions (arn) ON DELETE CASCADE,
    id           TEXT NOT NULL,
    parent_id    TEXT NULL,
    type         TEXT NOT NULL,
    sub_type     TEXT NULL,
    name         TEXT NULL,
    status       TEXT NOT NULL,
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER NULL,
    seq          INTEGER NOT NULL,
    change_seq   INTEGER NOT NULL,
    details      BLOB NOT NULL,
    callback_id  TEXT NULL,
    PRIMARY KEY (arn, id)
) WITHOUT ROWID;
CREATE INDEX durable_operations_seq ON durable_operations (arn, seq);
CREATE INDEX durable_operations_changes ON durable_operations (arn, change_seq);
CREATE UNIQUE INDEX durable_operations_callback ON durable_operations (callback_id) WHERE callback_id IS NOT NULL;

CREATE TABLE durable_history (
    arn       TEXT NOT NULL REFERENCES durable_executions (arn) ON DELETE CASCADE,
    event_id  INTEGER NOT NULL,
    at        INTEGER NOT NULL,
    event     BLOB NOT NULL,
    PRIMARY KEY (arn, event_id)
) WITHOUT ROWID;

CREATE TABLE durable_checkpoints (
    arn          TEXT NOT NULL REFERENCES durable_executions (arn) ON DELETE CASCADE,
    client_token TEXT NOT NULL,
    at           INTEGER NOT NULL,
    response     BLOB NOT NULL,
    PRIMARY KEY (arn, client_token)
) WITHOUT ROWID;
CREATE INDEX durable_checkpoints_at ON durable_checkpoints (at);
