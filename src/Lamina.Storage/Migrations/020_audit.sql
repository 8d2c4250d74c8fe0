-- Audit trail (CloudTrail-like). Events are appended (group commit) before the response is sent, sealed
-- into log files, and the log files are listed in signed digests. A row always precedes its file:
-- written = 0 marks a file not yet on disk (repaired at start-up after a crash). Times are Unix ms.
CREATE TABLE audit_events (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    event_id      TEXT NOT NULL,
    event_time    INTEGER NOT NULL,
    event_name    TEXT NOT NULL,
    event_source  TEXT NOT NULL,
    username      TEXT NULL,
    access_key_id TEXT NULL,
    read_only     INTEGER NOT NULL,
    category      TEXT NOT NULL,
    record        TEXT NOT NULL,
    log_file_id   INTEGER NULL
);
-- Every API call inserts a row, so indexes are few: each one is more pages written (and fsync'd) per call.
-- LookupEvents filters other attributes while walking the time index; CloudTrail itself serves it at 2 TPS.
CREATE INDEX audit_events_by_time ON audit_events (account_id, event_time, seq);
CREATE INDEX audit_events_unsealed ON audit_events (account_id, seq) WHERE log_file_id IS NULL;
CREATE INDEX audit_events_by_id ON audit_events (event_id);

-- Resources an event names (LookupEvents ResourceType / ResourceName).
CREATE TABLE audit_event_resources (
    seq           INTEGER NOT NULL REFERENCES audit_events (seq) ON DELETE CASCADE,
    account_id    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    resource_arn  TEXT NULL,
    PRIMARY KEY (seq, resource_type, resource_name)
) WITHOUT ROWID;
CREATE INDEX audit_event_resources_by_name ON audit_event_resources (account_id, resource_name, seq);

CREATE TABLE audit_log_files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   TEXT NOT NULL,
    bucket       TEXT NOT NULL,
    object_key   TEXT NOT NULL UNIQUE,
    hash_value   TEXT NOT NULL,
    oldest_event INTEGER NOT NULL,
    newest_event INTEGER NOT NULL,
    first_seq    INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL,
    records      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    written      INTEGER NOT NULL,
    digest_id    INTEGER NULL
);
CREATE INDEX audit_log_files_undigested ON audit_log_files (account_id, id) WHERE digest_id IS NULL;

-- The chain's anchor outside the log folder: every digest issued, with its hash and signature. Truncating
-- the folder (deleting the newest digests and logs) leaves these rows pointing at files that are gone.
CREATE TABLE audit_digests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  TEXT NOT NULL,
    start_time  INTEGER NOT NULL,
    end_time    INTEGER NOT NULL,
    bucket      TEXT NOT NULL,
    object_key  TEXT NOT NULL UNIQUE,
    hash_value  TEXT NOT NULL,
    signature   TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    content     BLOB NULL,
    written     INTEGER NOT NULL
);
CREATE INDEX audit_digests_by_account ON audit_digests (account_id, id);

-- Digest signing keys (RSA-2048): public key as PKCS#1 DER, private key sealed by the master key.
CREATE TABLE audit_keys (
    fingerprint        TEXT PRIMARY KEY,
    public_key         BLOB NOT NULL,
    sealed_private_key BLOB NOT NULL,
    valid_from         INTEGER NOT NULL,
    valid_to           INTEGER NULL
);
