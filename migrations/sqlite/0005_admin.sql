-- Accounts of the admin REST API, their refresh tokens, and the log of what they changed.
--
-- No account exists until an operator creates one (`junggye admin create`): there is no default password.
-- A disabled account keeps its row so the audit log still names who did what.
CREATE TABLE admin_accounts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    -- Lowercase, see admin::accounts::Username.
    username      TEXT    NOT NULL UNIQUE,
    -- An argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash); never the password.
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'viewer')),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    disabled_at   INTEGER
);

-- Refresh tokens are opaque random strings; only their SHA-256 is stored, so a copy of this table signs
-- no one in. Each login starts a family; every refresh marks its token used and adds the next one to the
-- family. A used token presented again means two parties hold the family: all of it is revoked.
CREATE TABLE admin_refresh_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    family      TEXT    NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES admin_accounts (id),
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER,
    created_at  INTEGER NOT NULL
);

CREATE INDEX admin_refresh_tokens_by_family ON admin_refresh_tokens (family);
CREATE INDEX admin_refresh_tokens_by_account ON admin_refresh_tokens (account_id, expires_at);

-- Every change made through the admin API: who (the account, and its name at the time), what, on which
-- row, and the row as shown to admins before and after (JSON as TEXT, read alike by both databases; never secrets or full phone numbers).
CREATE TABLE admin_audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES admin_accounts (id),
    username    TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   INTEGER,
    before_json TEXT,
    after_json  TEXT,
    created_at  INTEGER NOT NULL
);

CREATE INDEX admin_audit_log_by_target ON admin_audit_log (target_type, target_id, id);
CREATE INDEX admin_audit_log_by_account ON admin_audit_log (account_id, id);
