-- Sign-ins to the admin web console (/admin/ui). The browser holds an opaque random token in an HttpOnly
-- cookie; only its SHA-256 is stored, so a copy of this table signs no one in. Each session has its own
-- CSRF token, which every change must echo in a header. Disabling an account, setting its password or
-- "sign out everywhere" revoke its sessions, like its refresh tokens.
CREATE TABLE admin_sessions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT    NOT NULL UNIQUE,
    csrf_token  TEXT    NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES admin_accounts (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE INDEX admin_sessions_by_account ON admin_sessions (account_id, expires_at);
