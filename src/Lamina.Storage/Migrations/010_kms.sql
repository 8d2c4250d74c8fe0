-- Key service (KMS subset). Key material is sealed by the master key (context kms-key:ACCOUNT:KEY_ID);
-- revision makes every key update conditional. Numbered 010 to leave 006-009 to other work in flight.
CREATE TABLE kms_keys (
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    key_id          TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    description     TEXT NOT NULL,
    state           TEXT NOT NULL,
    deletion_date   INTEGER NULL,
    policy          TEXT NOT NULL,
    key_manager     TEXT NOT NULL,
    tags            TEXT NOT NULL,
    sealed_material BLOB NOT NULL,
    revision        INTEGER NOT NULL,
    PRIMARY KEY (account_id, key_id)
) WITHOUT ROWID;

CREATE TABLE kms_aliases (
    account_id    TEXT NOT NULL,
    alias_name    TEXT NOT NULL,
    target_key_id TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, alias_name),
    FOREIGN KEY (account_id, target_key_id) REFERENCES kms_keys (account_id, key_id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX kms_aliases_by_key ON kms_aliases (account_id, target_key_id);
