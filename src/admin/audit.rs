//! The audit log: every change made through the admin API, with who made it and the target before and
//! after.
//!
//! An endpoint that changes state records one [`Entry`]: inside its own write transaction with
//! [`record_in`] (the change and its audit row then commit or roll back together — prefer this), or
//! right after with [`record`]. `before` and `after` are the admin DTOs of the target (what the API
//! shows), never raw rows: no secrets, no full phone numbers, no payment credentials.

use serde::Serialize;
use sqlx::FromRow;
use utoipa::ToSchema;

use super::accounts::Account;
use super::tokens::AdminClaims;
use crate::clock::now_ms;
use crate::db::{Db, dispatch, dispatch_write};

/// One change, as an endpoint describes it.
#[derive(Clone, Debug, Default)]
pub struct Entry {
    /// `<area>.<verb>`, e.g. `product.status`, `notice.create`, `member.delete`.
    pub action: &'static str,
    /// The kind of row changed, e.g. `product`, `notice`, `member`, `order`, `admin_account`.
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    /// The target as shown to admins before the change (`None` for a creation).
    pub before: Option<serde_json::Value>,
    /// The target as shown to admins after the change (`None` for a deletion).
    pub after: Option<serde_json::Value>,
}

impl Entry {
    pub fn new(action: &'static str, target_type: &'static str, target_id: Option<i64>) -> Self {
        Self {
            action,
            target_type,
            target_id,
            ..Self::default()
        }
    }

    /// Sets `before` from any serialisable DTO.
    pub fn before(mut self, dto: &impl Serialize) -> Self {
        self.before = serde_json::to_value(dto).ok();
        self
    }

    /// Sets `after` from any serialisable DTO.
    pub fn after(mut self, dto: &impl Serialize) -> Self {
        self.after = serde_json::to_value(dto).ok();
        self
    }
}

/// Who made a change: an account. Endpoints pass their verified claims (`&claims`).
#[derive(Clone, Copy, Debug)]
pub struct Actor<'a> {
    pub account_id: i64,
    pub username: &'a str,
}

impl<'a> From<&'a AdminClaims> for Actor<'a> {
    fn from(claims: &'a AdminClaims) -> Self {
        Self {
            account_id: claims.account_id,
            username: &claims.username,
        }
    }
}

impl<'a> From<&'a Account> for Actor<'a> {
    fn from(account: &'a Account) -> Self {
        Self {
            account_id: account.id,
            username: &account.username,
        }
    }
}

const INSERT: &str = "INSERT INTO admin_audit_log \
     (account_id, username, action, target_type, target_id, before_json, after_json, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// A connection an audit row can be written on: either backend's connection, so [`record_in`] works on
/// the transaction inside a `dispatch_write!` block.
pub trait AuditWriter {
    fn insert_audit(
        &mut self,
        actor: Actor<'_>,
        entry: &Entry,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send;
}

macro_rules! audit_writer_for {
    ($connection:ty) => {
        impl AuditWriter for $connection {
            async fn insert_audit(&mut self, actor: Actor<'_>, entry: &Entry) -> Result<(), sqlx::Error> {
                sqlx::query(INSERT)
                    .bind(actor.account_id)
                    .bind(actor.username)
                    .bind(entry.action)
                    .bind(entry.target_type)
                    .bind(entry.target_id)
                    .bind(entry.before.as_ref().map(serde_json::Value::to_string))
                    .bind(entry.after.as_ref().map(serde_json::Value::to_string))
                    .bind(now_ms())
                    .execute(&mut *self)
                    .await
                    .map(drop)
            }
        }
    };
}
audit_writer_for!(sqlx::SqliteConnection);
audit_writer_for!(sqlx::PgConnection);

/// Records `entry` on `connection` (a transaction's connection: `&mut *tx`), so it commits with the
/// change it describes.
pub async fn record_in<'a, C: AuditWriter>(
    connection: &mut C,
    actor: impl Into<Actor<'a>>,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    connection.insert_audit(actor.into(), entry).await
}

/// Records `entry` in its own write, for a change that was not made in a transaction of ours.
pub async fn record<'a>(db: &Db, actor: impl Into<Actor<'a>>, entry: &Entry) -> Result<(), sqlx::Error> {
    let actor = actor.into();
    dispatch_write!(db, pool => {
        let mut connection = pool.acquire().await?;
        record_in(&mut *connection, actor, entry).await
    })
}

/// One row of the audit log, as an admin endpoint may show it.
#[derive(Clone, Debug, PartialEq, Serialize, FromRow, ToSchema)]
pub struct AuditRecord {
    pub id: i64,
    pub account_id: i64,
    pub username: String,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<i64>,
    /// JSON text of the target before the change.
    pub before_json: Option<String>,
    /// JSON text of the target after the change.
    pub after_json: Option<String>,
    /// Unix milliseconds (UTC).
    pub created_at: i64,
}

/// The newest `limit` entries with an id below `before_id` (all when `None`), newest first.
pub async fn recent(db: &Db, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT id, account_id, username, action, target_type, target_id, before_json, after_json, \
             created_at FROM admin_audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(before_id.unwrap_or(i64::MAX))
        .bind(limit.clamp(1, 500))
        .fetch_all(pool)
        .await
    })
}
