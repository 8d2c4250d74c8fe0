-- The event queue (async invokes, durable resumes) and event-invoke configs.
CREATE TABLE async_events (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    function_name     TEXT NOT NULL,
    qualifier         TEXT NULL,
    payload           BLOB NOT NULL,
    enqueued_at       INTEGER NOT NULL,
    visible_at        INTEGER NOT NULL,
    attempts          INTEGER NOT NULL,
    throttle_attempts INTEGER NOT NULL,
    client_context    TEXT NULL,
    execution_arn     TEXT NULL,
    claimed_by        TEXT NULL,
    claimed_until     INTEGER NULL
);
CREATE INDEX async_events_due ON async_events (visible_at);

CREATE TABLE event_invoke_configs (
    account_id    TEXT NOT NULL,
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    config        TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    PRIMARY KEY (account_id, function_name, qualifier),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
