//! 차단: who blocked whom. From a block on neither member sees the other's products (lists, search,
//! detail), neither can start paying for the other's product or offer on it. A block is private: the
//! blocked member is never told, and every refusal reads like the product simply not being available.
//!
//! This module holds the facts and the condition the purchase and offer statements refuse a blocked pair
//! with ([`between_sql`]); it imports neither, so both can use it. Making a block, which also ends the
//! open offers between the two, is `members::blocks::block`.

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
