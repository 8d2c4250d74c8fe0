-- Function logs (CloudWatch Logs-like): one row per line, grouped by log group and stream.
CREATE TABLE log_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id TEXT NOT NULL,
    log_group  TEXT NOT NULL,
    log_stream TEXT NOT NULL,
    timestamp  INTEGER NOT NULL,
    message    TEXT NOT NULL
);
CREATE INDEX log_events_by_stream ON log_events (account_id, log_group, log_stream, seq);
CREATE INDEX log_events_by_group ON log_events (account_id, log_group, seq);
