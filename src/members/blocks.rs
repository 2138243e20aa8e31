//! Blocking a member (차단): one write transaction that records the block (`crate::blocking` holds the
//! facts and the condition purchases and offers refuse with) and ends the open offers between the two.
//!
//! A block and a purchase between the same two members cannot pass each other: both first write both
//! members' rows (`orders::store::open` does so too), so on PostgreSQL one waits for the other and then
//! sees its result. [`block`] reports whether a trade between them was already open, so a test can check
//! that every order it finds was opened before the block.

use crate::blocking::Roster;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch_write};
use crate::domain::ids::MemberId;
use crate::offers::OfferStatus;
use crate::orders::OrderStatus;

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

/// `blocker` blocks `blocked`: one write transaction that also ends the open offers between them. Once it
/// has committed, both are put on the lists' [`Roster`], so this process's lists filter at once.
pub async fn block(
    db: &Db,
    roster: &Roster,
    blocker: MemberId,
    blocked: MemberId,
) -> Result<Blocked, sqlx::Error> {
    let done = write_block(db, blocker, blocked).await?;
    if matches!(done, Blocked::Blocked { .. }) {
        roster.note(db, blocker, blocked).await;
    }
    Ok(done)
}

async fn write_block(db: &Db, blocker: MemberId, blocked: MemberId) -> Result<Blocked, sqlx::Error> {
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
        // The statuses are written into the text (from the enum): SQLite's planner fails on this
        // statement with them bound, over the partial indexes on `offers.status`.
        let end_offers = format!(
            "UPDATE offers SET status = '{}', decided_at = $1 WHERE status = '{}' AND ( \
               (buyer_id = $2 AND product_id IN (SELECT id FROM products WHERE seller_id = $3)) OR \
               (buyer_id = $3 AND product_id IN (SELECT id FROM products WHERE seller_id = $2)))",
            OfferStatus::Withdrawn.key(),
            OfferStatus::Pending.key()
        );
        sqlx::query(sqlx::AssertSqlSafe(end_offers))
        .bind(now)
        .bind(blocker)
        .bind(blocked)
        .execute(&mut *tx)
        .await?;
        let (open,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM orders WHERE status IN ($3, $4, $5, $6) AND \
             ((buyer_id = $1 AND seller_id = $2) OR (buyer_id = $2 AND seller_id = $1))",
        )
        .bind(blocker)
        .bind(blocked)
        .bind(OrderStatus::Pending)
        .bind(OrderStatus::Approving)
        .bind(OrderStatus::Paid)
        .bind(OrderStatus::BuyerConfirmed)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Blocked::Blocked { open_trade: open > 0 })
    })
}
