//! Refresh tokens in the database: families, rotation, reuse detection, revocation.
//!
//! A login starts a family with one token. A refresh marks the presented token used and adds its
//! successor, in one write transaction; the conditional `UPDATE … WHERE used_at IS NULL` lets exactly
//! one of two racing refreshes win. A token that was already used, presented again, means someone else
//! holds a copy (or raced the rightful client): the whole family is revoked, so the thief's newest
//! token dies along with the victim's, and the person signs in again.

use std::time::Duration;

use sqlx::FromRow;

use super::tokens::refresh_token_hash;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch_write};

/// Used tokens are kept until they expire (to recognise their reuse); a day after that they go.
const PURGE_AFTER_EXPIRY_MS: i64 = 24 * 60 * 60 * 1000;

/// What became of a presented refresh token.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The token was good; its successor is stored. The account is to be checked and issued tokens.
    Rotated {
        account_id: i64,
    },
    /// No such token (never issued, or purged).
    Unknown,
    Expired,
    /// Its family was revoked (logout, reuse, revoke-all, disabled account).
    Revoked,
    /// Already used: the family is now revoked.
    Reused,
    /// The account is disabled: the family is now revoked.
    AccountDisabled,
}

#[derive(FromRow)]
struct TokenRow {
    id: i64,
    family: String,
    account_id: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
    disabled_at: Option<i64>,
}

const SELECT_TOKEN: &str = "SELECT t.id, t.family, t.account_id, t.expires_at, t.used_at, t.revoked_at, \
     a.disabled_at FROM admin_refresh_tokens t JOIN admin_accounts a ON a.id = t.account_id \
     WHERE t.token_hash = $1";
const INSERT_TOKEN: &str = "INSERT INTO admin_refresh_tokens \
     (token_hash, family, account_id, expires_at, created_at) VALUES ($1, $2, $3, $4, $5)";
const MARK_USED: &str = "UPDATE admin_refresh_tokens SET used_at = $1 \
     WHERE id = $2 AND used_at IS NULL AND revoked_at IS NULL";
const REVOKE_FAMILY: &str =
    "UPDATE admin_refresh_tokens SET revoked_at = $1 WHERE family = $2 AND revoked_at IS NULL";

/// Stores the first token of a new family for `account_id` and clears the account's long-expired
/// tokens; returns the family id.
pub async fn start_family(
    db: &Db,
    account_id: i64,
    token: &str,
    ttl: Duration,
) -> Result<String, sqlx::Error> {
    let family = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query("DELETE FROM admin_refresh_tokens WHERE account_id = $1 AND expires_at < $2")
            .bind(account_id)
            .bind(now - PURGE_AFTER_EXPIRY_MS)
            .execute(&mut *tx)
            .await?;
        sqlx::query(INSERT_TOKEN)
            .bind(refresh_token_hash(token))
            .bind(&family)
            .bind(account_id)
            .bind(now + ttl_ms(ttl))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    });
    Ok(family)
}

/// Exchanges `presented` for `successor` (both raw tokens; only hashes are stored).
pub async fn rotate(
    db: &Db,
    presented: &str,
    successor: &str,
    ttl: Duration,
) -> Result<Rotation, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let row: Option<TokenRow> = sqlx::query_as(SELECT_TOKEN)
            .bind(refresh_token_hash(presented))
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            break 'write Ok(Rotation::Unknown);
        };
        let verdict = if row.revoked_at.is_some() {
            Some(Rotation::Revoked)
        } else if row.used_at.is_some() {
            Some(Rotation::Reused)
        } else if row.disabled_at.is_some() {
            Some(Rotation::AccountDisabled)
        } else if row.expires_at <= now {
            Some(Rotation::Expired)
        } else {
            let marked = sqlx::query(MARK_USED).bind(now).bind(row.id).execute(&mut *tx).await?;
            // Zero rows: a concurrent refresh used it first — the same as a reuse.
            (marked.rows_affected() != 1).then_some(Rotation::Reused)
        };
        let outcome = match verdict {
            Some(outcome @ (Rotation::Reused | Rotation::AccountDisabled)) => {
                sqlx::query(REVOKE_FAMILY).bind(now).bind(&row.family).execute(&mut *tx).await?;
                outcome
            }
            Some(outcome) => outcome,
            None => {
                sqlx::query(INSERT_TOKEN)
                    .bind(refresh_token_hash(successor))
                    .bind(&row.family)
                    .bind(row.account_id)
                    .bind(now + ttl_ms(ttl))
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                Rotation::Rotated { account_id: row.account_id }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Revokes the family of `token` (logout). False when the token is unknown.
pub async fn revoke_family_of(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let family: Option<(String,)> =
            sqlx::query_as("SELECT family FROM admin_refresh_tokens WHERE token_hash = $1")
                .bind(refresh_token_hash(token))
                .fetch_optional(&mut *tx)
                .await?;
        let Some((family,)) = family else {
            break 'write Ok(false);
        };
        sqlx::query(REVOKE_FAMILY).bind(now).bind(&family).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// Ends every sign-in of `account_id` (sign out everywhere): its refresh tokens and its console sessions
/// ([`super::sessions`]). Returns how many refresh tokens were live.
pub async fn revoke_account(db: &Db, account_id: i64) -> Result<u64, sqlx::Error> {
    super::sessions::end_all(db, account_id).await?;
    let now = now_ms();
    dispatch_write!(db, pool => {
        let done = sqlx::query(
            "UPDATE admin_refresh_tokens SET revoked_at = $1 \
             WHERE account_id = $2 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(account_id)
        .execute(pool)
        .await?;
        // Used tokens of those families are revoked too, so a replayed one reads as revoked.
        sqlx::query("UPDATE admin_refresh_tokens SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(account_id)
            .execute(pool)
            .await?;
        Ok(done.rows_affected())
    })
}

fn ttl_ms(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2)
}
