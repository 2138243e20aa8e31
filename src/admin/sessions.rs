//! Console sign-ins (`admin_sessions`): the web console's counterpart of refresh tokens.
//!
//! A sign-in stores the SHA-256 of a random token (the browser keeps the token in an HttpOnly cookie) and
//! a random CSRF token the pages echo in a header on every change. [`find`] reads the session *and* its
//! account on every request, so a disabled account, a changed role or a revoked session apply at once.
//! Sessions end when their time is up (`console::session`), on sign-out, and with every other sign-in of the
//! account when it is disabled, its password is set or all its sign-ins are revoked
//! ([`super::refresh::revoke_account`]).

use std::time::Duration;

use sqlx::FromRow;

use super::accounts::{Account, AccountRow};
use super::tokens::{new_refresh_token, refresh_token_hash};
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};

/// Expired and revoked sessions are kept a day (to tell "expired" from "never existed" in logs), then go.
const PURGE_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// A new sign-in: the cookie's token (shown once, never stored) and the session's CSRF token.
#[derive(Debug)]
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

/// A live session and the account it signs in, as read on each request.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i64,
    pub csrf: String,
    pub expires_at: i64,
    pub account: Account,
}

#[derive(FromRow)]
struct SessionRow {
    session_id: i64,
    csrf_token: String,
    session_expires_at: i64,
    #[sqlx(flatten)]
    account: AccountRow,
}

/// Starts a session for `account_id` lasting `ttl`, clearing the account's long-dead ones.
pub async fn start(db: &Db, account_id: i64, ttl: Duration) -> Result<NewSession, sqlx::Error> {
    let session = NewSession {
        token: new_refresh_token(),
        csrf: new_refresh_token(),
    };
    let now = now_ms();
    let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "DELETE FROM admin_sessions WHERE account_id = $1 AND (expires_at < $2 OR revoked_at < $2)",
        )
        .bind(account_id)
        .bind(now - PURGE_AFTER_MS)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO admin_sessions (token_hash, csrf_token, account_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(refresh_token_hash(&session.token))
        .bind(&session.csrf)
        .bind(account_id)
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    });
    Ok(session)
}

/// The live session of `token` with its account, whether or not the account is active (the caller
/// refuses a disabled one). `None` when unknown, expired or revoked.
pub async fn find(db: &Db, token: &str) -> Result<Option<Session>, sqlx::Error> {
    let now = now_ms();
    let row: Option<SessionRow> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT s.id AS session_id, s.csrf_token, s.expires_at AS session_expires_at, \
             a.id, a.username, a.role, a.password_hash, a.disabled_at \
             FROM admin_sessions s JOIN admin_accounts a ON a.id = s.account_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2",
        )
        .bind(refresh_token_hash(token))
        .bind(now)
        .fetch_optional(pool)
        .await?
    });
    row.map(|row| {
        Ok(Session {
            id: row.session_id,
            csrf: row.csrf_token,
            expires_at: row.session_expires_at,
            account: row.account.into_account()?,
        })
    })
    .transpose()
}

/// Whether session `id` is still live (not ended, not expired).
pub async fn is_live(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let found: Option<i64> = dispatch!(db, pool => {
        sqlx::query_scalar("SELECT id FROM admin_sessions WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2")
            .bind(id)
            .bind(now)
            .fetch_optional(pool)
            .await?
    });
    Ok(found.is_some())
}

/// Ends session `id` (sign-out). False when it had already ended.
pub async fn end(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => {
        let done = sqlx::query("UPDATE admin_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        Ok(done.rows_affected() == 1)
    })
}

/// Ends every live session of `account_id`; returns how many there were.
pub async fn end_all(db: &Db, account_id: i64) -> Result<u64, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => {
        let done = sqlx::query(
            "UPDATE admin_sessions SET revoked_at = $1 \
             WHERE account_id = $2 AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(account_id)
        .execute(pool)
        .await?;
        Ok(done.rows_affected())
    })
}
