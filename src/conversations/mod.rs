//! What a user is in the middle of in conversation mode: the skill that runs once its parameters are in,
//! the `clientExtra` it started with, and the answers given so far. Kept in the database (several
//! instances answer one user) for a short while; a conversation left idle simply expires.

use std::collections::BTreeMap;

use crate::db::Db;
use crate::{dispatch, dispatch_write};

/// How long an unanswered question waits before the conversation is forgotten.
pub const IDLE_MS: i64 = 10 * 60_000;

/// One user's conversation in progress.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Conversation {
    /// The block key (`blocks::Block::key`) whose skill it fills in.
    pub block: String,
    pub extras: BTreeMap<String, String>,
    pub params: BTreeMap<String, String>,
}

/// The user's conversation, unless there is none or it expired.
pub async fn load(db: &Db, user_key: &str, now: i64) -> Result<Option<Conversation>, sqlx::Error> {
    let row: Option<(String, String, String)> = dispatch!(db, pool => {
        sqlx::query_as("SELECT block, extras, params FROM conversations WHERE user_key = $1 AND expires_at > $2")
            .bind(user_key)
            .bind(now)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(block, extras, params)| Conversation {
        block,
        // A row this module wrote always parses; anything else reads as an empty map.
        extras: serde_json::from_str(&extras).unwrap_or_default(),
        params: serde_json::from_str(&params).unwrap_or_default(),
    }))
}

/// Keeps `conversation` for the user until [`IDLE_MS`] after `now`, replacing any other.
pub async fn save(db: &Db, user_key: &str, conversation: &Conversation, now: i64) -> Result<(), sqlx::Error> {
    let extras = serde_json::to_string(&conversation.extras).unwrap_or_else(|_| "{}".into());
    let params = serde_json::to_string(&conversation.params).unwrap_or_else(|_| "{}".into());
    dispatch_write!(db, pool => {
        sqlx::query(
            "INSERT INTO conversations (user_key, block, extras, params, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (user_key) DO UPDATE SET block = excluded.block, extras = excluded.extras, \
                 params = excluded.params, expires_at = excluded.expires_at",
        )
        .bind(user_key)
        .bind(&conversation.block)
        .bind(&extras)
        .bind(&params)
        .bind(now + IDLE_MS)
        .execute(pool)
        .await
        .map(drop)
    })
}

/// Forgets the user's conversation (done, or left with 취소).
pub async fn clear(db: &Db, user_key: &str) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query("DELETE FROM conversations WHERE user_key = $1")
            .bind(user_key)
            .execute(pool)
            .await
            .map(drop)
    })
}

/// Deletes conversations idle past their expiry (users who left mid-question); returns how many.
pub async fn purge_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query("DELETE FROM conversations WHERE expires_at <= $1")
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })
}

/// Runs [`purge_expired`] every `every` until the process ends (the first at once).
pub fn spawn_purge(db: Db, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        loop {
            ticks.tick().await;
            match purge_expired(&db, crate::clock::now_ms()).await {
                Ok(0) => {}
                Ok(purged) => tracing::debug!(purged, "idle conversations forgotten"),
                Err(e) => tracing::warn!(error = %e, "conversation purge failed"),
            }
        }
    })
}
