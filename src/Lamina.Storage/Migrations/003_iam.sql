-- IAM: users, roles, customer managed policies, inline policies, attachments; Lambda resource policies.

CREATE TABLE iam_users (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    user_name  TEXT NOT NULL COLLATE NOCASE,
    user_id    TEXT NOT NULL UNIQUE,
    path       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    tags       TEXT NOT NULL,
    PRIMARY KEY (account_id, user_name)
) WITHOUT ROWID;

CREATE TABLE iam_roles (
    account_id           TEXT NOT NULL REFERENCES accounts (id),
    role_name            TEXT NOT NULL COLLATE NOCASE,
    role_id              TEXT NOT NULL UNIQUE,
    path                 TEXT NOT NULL,
    assume_role_policy   TEXT NOT NULL,
    max_session_duration INTEGER NOT NULL,
    description          TEXT NULL,
    created_at           INTEGER NOT NULL,
    tags                 TEXT NOT NULL,
    PRIMARY KEY (account_id, role_name)
) WITHOUT ROWID;

CREATE TABLE iam_policies (
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    arn                TEXT NOT NULL,
    policy_name        TEXT NOT NULL,
    policy_id          TEXT NOT NULL UNIQUE,
    path               TEXT NOT NULL,
    description        TEXT NULL,
    document           TEXT NOT NULL,
    default_version_id TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (account_id, arn)
) WITHOUT ROWID;

CREATE TABLE iam_inline_policies (
    account_id     TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_name TEXT NOT NULL COLLATE NOCASE,
    policy_name    TEXT NOT NULL,
    document       TEXT NOT NULL,
    PRIMARY KEY (account_id, principal_type, principal_name, policy_name)
) WITHOUT ROWID;

CREATE TABLE iam_attachments (
    account_id     TEXT NOT NULL,
    principal_type TEXT NOT NULL,
    principal_name TEXT NOT NULL COLLATE NOCASE,
    policy_arn     TEXT NOT NULL,
    PRIMARY KEY (account_id, principal_type, principal_name, policy_arn)
) WITHOUT ROWID;
CREATE INDEX iam_attachments_by_policy ON iam_attachments (account_id, policy_arn);

-- qualifier '' is the unqualified function.
CREATE TABLE function_policies (
    account_id    TEXT NOT NULL,
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    document      TEXT NOT NULL,
    revision_id   TEXT NOT NULL,
    PRIMARY KEY (account_id, function_name, qualifier),
    FOREIGN KEY (account_id, function_name) REFERENCES functions (account_id, name) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE layer_version_policies (
    account_id  TEXT NOT NULL,
    layer_name  TEXT NOT NULL,
    version     INTEGER NOT NULL,
    document    TEXT NOT NULL,
    revision_id TEXT NOT NULL,
    PRIMARY KEY (account_id, layer_name, version)
) WITHOUT ROWID;
