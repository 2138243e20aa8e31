//! 차단: who blocked whom. From a block on neither member sees the other's products (lists, search,
//! detail), neither can start paying for the other's product or offer on it. A block is private: the
//! blocked member is never told, and every refusal reads like the product simply not being available.
//!
//! This module holds the facts and the condition the purchase and offer statements refuse a blocked pair
//! with ([`between_sql`]); it imports neither, so both can use it. Making a block, which also ends the
//! open offers between the two, is `members::blocks::block`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use sqlx::FromRow;

use crate::db::{Db, dispatch, dispatch_write};
use crate::domain::ids::MemberId;

/// The condition "`$a` and `$b` blocked one another", for statements that must refuse such a pair (the
/// numbers are the statement's parameters for the two members).
pub fn between_sql(a: u8, b: u8) -> String {
    format!(
        "EXISTS (SELECT 1 FROM member_blocks WHERE (blocker_id = ${a} AND blocked_id = ${b}) \
         OR (blocker_id = ${b} AND blocked_id = ${a}))"
    )
}

/// `blocker` lifts their block of `blocked`; false when there was none.
pub async fn unblock(db: &Db, blocker: MemberId, blocked: MemberId) -> Result<bool, sqlx::Error> {
    dispatch_write!(db, pool => {
        let done = sqlx::query("DELETE FROM member_blocks WHERE blocker_id = $1 AND blocked_id = $2")
            .bind(blocker)
            .bind(blocked)
            .execute(pool)
            .await?
            .rows_affected();
        Ok(done == 1)
    })
}

/// A member someone blocked, as their list shows it.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct BlockedMember {
    pub id: MemberId,
    pub name: String,
    pub blocked_at: i64,
}

/// The members `blocker` blocked, newest first, at most `limit`.
pub async fn blocked_by(db: &Db, blocker: MemberId, limit: i64) -> Result<Vec<BlockedMember>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT m.id, m.name, b.created_at AS blocked_at FROM member_blocks b \
             JOIN members m ON m.id = b.blocked_id WHERE b.blocker_id = $1 \
             ORDER BY b.created_at DESC, m.id LIMIT $2",
        )
        .bind(blocker)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// Every member `viewer` must not see, nor be seen by: those they blocked and those who blocked them.
/// Usually empty; one indexed read each way.
pub async fn hidden_from(db: &Db, viewer: MemberId) -> Result<Vec<MemberId>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "SELECT blocked_id FROM member_blocks WHERE blocker_id = $1 \
             UNION SELECT blocker_id FROM member_blocks WHERE blocked_id = $1",
        )
        .bind(viewer)
        .fetch_all(pool)
        .await
    })
}

/// The Kakao user keys of every member in a block, on either side: whom a list must filter for. A list
/// asks for the caller's blocks ([`hidden_from_user`], a database read) only when the caller is on the
/// roster, so the many members who never blocked anyone browse without one.
///
/// Never under-inclusive for longer than the stated staleness:
/// - a block made through this process is on the roster once it has committed ([`note`](Self::note),
///   called by `members::blocks::block`);
/// - a block made by another instance is read by the next [`reload`](Self::reload), every catalog
///   time-to-live (`CATALOG_CACHE_MS`, 2 s by default), the staleness browsing already states;
/// - until the first reload, and with that cache off, everyone is on it (every list reads).
///
/// A lifted block leaves its members on the roster until the next reload; they then read their (empty)
/// blocks, which costs a query and hides nothing. The roster decides no write: a purchase or an offer
/// refuses a blocked pair in its own statement ([`between_sql`]), and the detail reads the block.
#[derive(Default)]
pub struct Roster {
    /// `None`: not loaded (or not kept), so everyone may be in a block.
    keys: RwLock<Option<Arc<HashSet<String>>>>,
    /// Counts [`note`](Self::note)s, so a reload that raced one keeps what it noted.
    noted: AtomicU64,
}

impl Roster {
    /// A roster nobody has loaded: everyone is on it.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether `user_key` may be in a block (true when unsure).
    pub fn may_be_blocking(&self, user_key: &str) -> bool {
        match &*self.keys.read().unwrap_or_else(|e| e.into_inner()) {
            Some(keys) => keys.contains(user_key),
            None => true,
        }
    }

    /// Reads the whole roster from the database. A [`note`](Self::note) made while it read is kept.
    pub async fn reload(&self, db: &Db) -> Result<(), sqlx::Error> {
        let noted_before = self.noted.load(Ordering::Acquire);
        let keys: Vec<String> = dispatch!(db, pool => {
            sqlx::query_scalar(
                "SELECT m.user_key FROM members m WHERE m.deleted_at IS NULL AND (\
                   EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocker_id = m.id) OR \
                   EXISTS (SELECT 1 FROM member_blocks b WHERE b.blocked_id = m.id))",
            )
            .fetch_all(pool)
            .await?
        });
        let mut fresh: HashSet<String> = keys.into_iter().collect();
        let mut current = self.keys.write().unwrap_or_else(|e| e.into_inner());
        if self.noted.load(Ordering::Acquire) != noted_before
            && let Some(old) = current.as_ref()
        {
            fresh.extend(old.iter().cloned());
        }
        *current = Some(Arc::new(fresh));
        Ok(())
    }

    /// Puts both members of a block just committed on the roster (read by id: one small query). The block
    /// stands whatever happens here: if the read fails, the roster forgets itself (everyone is on it until
    /// the next reload) rather than leave the two off.
    pub async fn note(&self, db: &Db, a: MemberId, b: MemberId) {
        self.noted.fetch_add(1, Ordering::AcqRel);
        let read: Result<Vec<String>, sqlx::Error> = dispatch!(db, pool => {
            sqlx::query_scalar("SELECT user_key FROM members WHERE id IN ($1, $2)")
                .bind(a)
                .bind(b)
                .fetch_all(pool)
                .await
        });
        let mut current = self.keys.write().unwrap_or_else(|e| e.into_inner());
        match (read, current.as_ref()) {
            (Ok(keys), Some(old)) => {
                let mut next = HashSet::clone(old);
                next.extend(keys);
                *current = Some(Arc::new(next));
            }
            (Ok(_), None) => {}
            (Err(err), _) => {
                tracing::warn!(error = %err, "block roster forgotten after a block");
                *current = None;
            }
        }
    }

    /// Reloads the roster every `every` in the background. With `every` zero (browse cache off) the roster
    /// is never loaded, so every list reads the caller's blocks.
    pub fn keep_fresh(self: &Arc<Self>, db: Db, every: Duration) {
        if every.is_zero() {
            return;
        }
        let roster = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                let Some(roster) = roster.upgrade() else { return };
                if let Err(err) = roster.reload(&db).await {
                    tracing::warn!(error = %err, "block roster not reloaded; lists read every caller's blocks");
                    *roster.keys.write().unwrap_or_else(|e| e.into_inner()) = None;
                }
            }
        });
    }
}

/// [`hidden_from`] for the member with Kakao user key `user_key` (none for a non-member), in one
/// query, without reading the member first: what a list filters by.
pub async fn hidden_from_user(db: &Db, user_key: &str) -> Result<Vec<MemberId>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "SELECT b.blocked_id FROM members m JOIN member_blocks b ON b.blocker_id = m.id \
             WHERE m.user_key = $1 AND m.deleted_at IS NULL \
             UNION SELECT b.blocker_id FROM members m JOIN member_blocks b ON b.blocked_id = m.id \
             WHERE m.user_key = $1 AND m.deleted_at IS NULL",
        )
        .bind(user_key)
        .fetch_all(pool)
        .await
    })
}

/// The name of active member `id`, for a block's question and answers.
pub async fn member_name(db: &Db, id: MemberId) -> Result<Option<String>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar("SELECT name FROM members WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .fetch_optional(pool)
            .await
    })
}
