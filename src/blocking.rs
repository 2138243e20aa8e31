//! 차단: a member blocks another. From then on neither sees the other's products (lists, search, detail),
//! neither can start paying for the other's product or offer on it, and their open offers to each other
//! end. A block is private: the blocked member is never told, and every refusal reads like the product
//! simply not being available.
//!
//! A block and a purchase between the same two members cannot pass each other: both first write both
//! members' rows (`orders::store::open` does so too), so on PostgreSQL one waits for the other and then
//! sees its result. [`block`] reports whether a trade between them was already open, so a test can check
//! that every order it finds was opened before the block.

use sqlx::FromRow;

use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::MemberId;

/// The condition "`$a` and `$b` blocked one another", for statements that must refuse such a pair (the
/// numbers are the statement's parameters for the two members).
pub fn between_sql(a: u8, b: u8) -> String {
    format!(
        "EXISTS (SELECT 1 FROM member_blocks WHERE (blocker_id = ${a} AND blocked_id = ${b}) \
         OR (blocker_id = ${b} AND blocked_id = ${a}))"
    )
}

/// What [`block`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// Blocked now; `open_trade` when an order between them was already under way (it goes on).
    Blocked {
        open_trade: bool,
    },
    AlreadyBlocked,
    /// No such member (or one of them withdrew), or the member themself.
    Refused,
}

/// `blocker` blocks `blocked`: one write transaction that also ends the open offers between them.
pub async fn block(db: &Db, blocker: MemberId, blocked: MemberId) -> Result<Blocked, sqlx::Error> {
    if blocker == blocked {
        return Ok(Blocked::Refused);
    }
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        // Both members' rows, as `orders::store::open` writes them: a purchase between them and this block
        // run one after the other.
        let members = sqlx::query("UPDATE members SET updated_at = $1 WHERE id IN ($2, $3) AND deleted_at IS NULL")
            .bind(now)
            .bind(blocker)
            .bind(blocked)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if members != 2 {
            break 'write Ok(Blocked::Refused);
        }
        let inserted = sqlx::query(
            "INSERT INTO member_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (blocker_id, blocked_id) DO NOTHING",
        )
        .bind(blocker)
        .bind(blocked)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted != 1 {
            break 'write Ok(Blocked::AlreadyBlocked);
        }
        // Statuses written out: the offers and orders modules use this one, not the other way round.
        sqlx::query(
            "UPDATE offers SET status = 'withdrawn', decided_at = $1 WHERE status = 'pending' AND ( \
               (buyer_id = $2 AND product_id IN (SELECT id FROM products WHERE seller_id = $3)) OR \
               (buyer_id = $3 AND product_id IN (SELECT id FROM products WHERE seller_id = $2)))",
        )
        .bind(now)
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *tx)
        .await?;
        let (open,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM orders WHERE status IN ('pending', 'approving', 'paid', 'buyer_confirmed') AND \
             ((buyer_id = $1 AND seller_id = $2) OR (buyer_id = $2 AND seller_id = $1))",
        )
        .bind(blocker)
        .bind(blocked)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Blocked::Blocked { open_trade: open > 0 })
    })
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

/// Whether `a` and `b` blocked one another (either way).
pub async fn between(db: &Db, a: MemberId, b: MemberId) -> Result<bool, sqlx::Error> {
    let sql = format!("SELECT {}", between_sql(1, 2));
    dispatch!(db, pool => {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(a)
            .bind(b)
            .fetch_one(pool)
            .await
    })
}
