-- Lamina schema v1. Times are Unix milliseconds (INTEGER); JSON columns hold AWS wire shapes.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE access_keys (
    access_key_id      TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    kind               TEXT NOT NULL,
    principal_arn      TEXT NOT NULL,
    principal_id       TEXT NOT NULL,
    sealed_secret      BLOB NOT NULL,
    status             TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    expires_at         INTEGER NULL,
    session_token_hash TEXT NULL,
    session_data       TEXT NULL
);
CREATE INDEX access_keys_by_principal ON access_keys (account_id, principal_arn);
CREATE INDEX access_keys_by_expiry ON access_keys (expires_at) WHERE expires_at IS NOT NULL;

-- Sealed code packages, content-addressed per account. The file of a blob is named by its id.
CREATE TABLE blobs (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    unzipped_size INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    UNIQUE (account_id, sha256)
);

CREATE TABLE functions (
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    name                 TEXT NOT NULL,
    created_at           INTEGER NOT NULL,
    reserved_concurrency INTEGER NULL,
    last_version         INTEGER NOT NULL,
    tags                 TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

-- version_number 0 is $LATEST; published versions count from 1 and are never reused.
CREATE TABLE function_versions (
    account_id     TEXT NOT NULL,
    function_name  TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    config         TEXT NOT NULL,
    sealed_env     BLOB NULL,
    code_blob      TEXT NOT NULL REFERENCES blobs (id),
    content_hash   TEXT NOT NULL,
    revision_id    TEXT NOT NULL,
    PRIMARY KEY (account_id, function_name, version_number),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX function_versions_by_blob ON function_versions (code_blob);

-- Layer content a version uses; it outlives the layer version itself (AWS keeps a copy for functions).
CREATE TABLE function_version_layers (
    account_id     TEXT NOT NULL,
    function_name  TEXT NOT NULL,
    version_number INTEGER NOT NULL,
    position       INTEGER NOT NULL,
    blob_id        TEXT NOT NULL REFERENCES blobs (id),
    PRIMARY KEY (account_id, function_name, version_number, position),
    FOREIGN KEY (account_id, function_name, version_number)
        REFERENCES function_versions (account_id, function_name, version_number) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX function_version_layers_by_blob ON function_version_layers (blob_id);

CREATE TABLE aliases (
    account_id       TEXT NOT NULL,
    function_name    TEXT NOT NULL,
    name             TEXT NOT NULL,
    function_version TEXT NOT NULL,
    config           TEXT NOT NULL,
    revision_id      TEXT NOT NULL,
    PRIMARY KEY (account_id, function_name, name),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE layers (
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    last_version INTEGER NOT NULL,
    PRIMARY KEY (account_id, name)
) WITHOUT ROWID;

CREATE TABLE layer_versions (
    account_id    TEXT NOT NULL,
    layer_name    TEXT NOT NULL,
    version       INTEGER NOT NULL,
    info          TEXT NOT NULL,
    code_blob     TEXT NOT NULL REFERENCES blobs (id),
    unzipped_size INTEGER NOT NULL,
    PRIMARY KEY (account_id, layer_name, version),
    FOREIGN KEY (account_id, layer_name) REFERENCES layers (account_id, name)
) WITHOUT ROWID;
CREATE INDEX layer_versions_by_blob ON layer_versions (code_blob);

CREATE TABLE provisioned_concurrency (
    account_id    TEXT NOT NULL,
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    requested     INTEGER NOT NULL,
    allocated     INTEGER NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (account_id, function_name, qualifier),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name) ON DELETE CASCADE
) WITHOUT ROWID;
