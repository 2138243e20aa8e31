//! Orders and payment events in the database.
//!
//! Every change is a conditional update on the status the caller expects, and every change that also
//! moves the product does both in one write transaction, so an order and its product never disagree:
//! the product is `pending_payment` exactly while its order is `pending`/`approving`, and
//! `awaiting_completion` while it is `paid`/`buyer_confirmed`.
//!
//! A change the buyer or the seller must hear about writes its trade notices (the outbox) in the same
//! transaction, after its conditional update applied: a notice exists exactly when its change committed.

use std::sync::LazyLock;

use sqlx::FromRow;

use super::model::{ApprovalWatch, CloseReason, Order, OrderStatus, PaymentEvent};
use crate::blocking::between_sql;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write, text_set, violates_unique};
use crate::domain::ids::{MemberId, OrderId, ProductId};
use crate::notifications::outbox::{Announce, Party as Recipient};
use crate::notifications::{Kind, Outbox};
use crate::offers::OfferStatus;
use crate::products::catalog::Catalog;
use crate::products::model::{Page, ProductStatus};
use crate::products::store::END_OFFERS;

macro_rules! select_orders {
    ($tail:literal) => {
        concat!(
            "SELECT o.id, o.reference, o.product_id, o.buyer_id, b.name AS buyer_name, o.seller_id, \
                    s.name AS seller_name, o.item_name, o.amount, o.status, o.close_reason, o.tid, o.aid, \
                    o.payment_method, o.tracking_number, o.hold_expires_at, o.created_at, o.updated_at, \
                    o.paid_at, o.shipped_at, o.buyer_confirmed_at, o.completed_at, o.closed_at, \
                    o.approval_watch \
             FROM orders o \
             JOIN members b ON b.id = o.buyer_id \
             JOIN members s ON s.id = o.seller_id ",
            $tail
        )
    };
}

#[derive(FromRow)]
struct OrderRow {
    id: OrderId,
    reference: String,
    product_id: ProductId,
    buyer_id: MemberId,
    buyer_name: String,
    seller_id: MemberId,
    seller_name: String,
    item_name: String,
    amount: i64,
    status: String,
    close_reason: Option<String>,
    tid: Option<String>,
    aid: Option<String>,
    payment_method: Option<String>,
    tracking_number: Option<String>,
    hold_expires_at: i64,
    created_at: i64,
    updated_at: i64,
    paid_at: Option<i64>,
    shipped_at: Option<i64>,
    buyer_confirmed_at: Option<i64>,
    completed_at: Option<i64>,
    closed_at: Option<i64>,
    approval_watch: Option<String>,
}

impl TryFrom<OrderRow> for Order {
    type Error = sqlx::Error;

    fn try_from(row: OrderRow) -> Result<Self, sqlx::Error> {
        let corrupt = |what: &str| sqlx::Error::Decode(format!("order {}: bad {what}", row.id).into());
        Ok(Order {
            status: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            close_reason: match row.close_reason.as_deref() {
                Some(key) => Some(CloseReason::parse(key).ok_or_else(|| corrupt("close_reason"))?),
                None => None,
            },
            approval_watch: match row.approval_watch.as_deref() {
                Some(key) => Some(ApprovalWatch::parse(key).ok_or_else(|| corrupt("approval_watch"))?),
                None => None,
            },
            id: row.id,
            reference: row.reference,
            product_id: row.product_id,
            buyer_id: row.buyer_id,
            buyer_name: row.buyer_name,
            seller_id: row.seller_id,
            seller_name: row.seller_name,
            item_name: row.item_name,
            amount: row.amount,
            tid: row.tid,
            aid: row.aid,
            payment_method: row.payment_method,
            tracking_number: row.tracking_number,
            hold_expires_at: row.hold_expires_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
            paid_at: row.paid_at,
            shipped_at: row.shipped_at,
            buyer_confirmed_at: row.buyer_confirmed_at,
            completed_at: row.completed_at,
            closed_at: row.closed_at,
        })
    }
}

fn orders(rows: Vec<OrderRow>) -> Result<Vec<Order>, sqlx::Error> {
    rows.into_iter().map(Order::try_from).collect()
}

/// How many orders are in each status (statuses with none are left out), for the operators' dashboard.
pub async fn count_by_status(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as("SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await
    })
}

pub async fn get(db: &Db, id: OrderId) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = dispatch!(db, pool => {
        sqlx::query_as(select_orders!("WHERE o.id = $1")).bind(id).fetch_optional(pool).await?
    });
    row.map(Order::try_from).transpose()
}

pub async fn by_reference(db: &Db, reference: &str) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = dispatch!(db, pool => {
        sqlx::query_as(select_orders!("WHERE o.reference = $1"))
            .bind(reference)
            .fetch_optional(pool)
            .await?
    });
    row.map(Order::try_from).transpose()
}

/// Whose orders a list shows.
#[derive(Clone, Copy, Debug)]
pub enum OrderList {
    /// What the member bought or tried to buy (abandoned attempts left out, unless an approve of theirs
    /// is unaccounted for: the buyer may have paid).
    Purchases(MemberId),
    /// What was paid for the member's products (attempts still being paid left out, and payments Kakao Pay
    /// completed after the hold ended: the product had gone back on sale, there never was a sale).
    Sales(MemberId),
}

/// One page of a member's orders, newest first, after `cursor` (the last id of the previous page).
pub async fn list(
    db: &Db,
    which: OrderList,
    cursor: Option<i64>,
    per_page: usize,
) -> Result<Page<Order>, sqlx::Error> {
    use OrderStatus::{Abandoned, Approving, Pending};
    let fetch = i64::try_from(per_page + 1).unwrap_or(i64::MAX);
    let rows: Vec<OrderRow> = dispatch!(db, pool => {
        let query = |sql| sqlx::query_as(sql).bind(cursor.unwrap_or(i64::MAX)).bind(fetch);
        match which {
            OrderList::Purchases(id) => query(select_orders!(
                "WHERE o.id < $1 AND o.buyer_id = $3 \
                   AND (o.status <> $4 OR o.approval_watch IS NOT NULL) ORDER BY o.id DESC LIMIT $2"
            ))
            .bind(id)
            .bind(Abandoned),
            OrderList::Sales(id) => query(select_orders!(
                "WHERE o.id < $1 AND o.seller_id = $3 AND o.status NOT IN ($4, $5, $6) \
                   AND COALESCE(o.close_reason, '') <> $7 ORDER BY o.id DESC LIMIT $2"
            ))
            .bind(id)
            .bind(Pending)
            .bind(Approving)
            .bind(Abandoned)
            .bind(CloseReason::LateApproval),
        }
        .fetch_all(pool)
        .await?
    });
    let mut items = orders(rows)?;
    let next = (items.len() > per_page).then(|| {
        items.truncate(per_page);
        items.last().map(|o| o.id.get())
    });
    Ok(Page {
        items,
        next: next.flatten(),
    })
}

/// An order to open, with the product's hold.
#[derive(Clone, Debug)]
pub struct NewOrder<'a> {
    pub reference: &'a str,
    pub link_nonce: &'a str,
    pub product_id: ProductId,
    pub buyer_id: MemberId,
    pub seller_id: MemberId,
    pub item_name: &'a str,
    pub amount: i64,
    pub hold_expires_at: i64,
}

/// What [`open`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened {
    /// The product is held and the order exists (its id).
    Created(OrderId),
    /// The product is not on sale at that price any more (someone else is buying it, or it changed).
    Unavailable,
    /// This payment link already made an order.
    LinkUsed,
    /// The buyer or the seller is no longer a member.
    MemberGone,
    /// One of them blocked the other.
    Blocked,
}

/// Holds the product (on sale → payment pending) and creates the order, in one write transaction.
///
/// The members' rows are touched first: on PostgreSQL that locks them, so a withdrawal running at the
/// same moment either sees this order (and refuses) or makes this fail; SQLite has one writer anyway.
pub async fn open(db: &Db, catalog: &Catalog, new: &NewOrder<'_>) -> Result<Opened, sqlx::Error> {
    let opened = insert_order(db, new).await?;
    catalog.retire_if(matches!(opened, Opened::Created(_)));
    Ok(opened)
}

async fn insert_order(db: &Db, new: &NewOrder<'_>) -> Result<Opened, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let members = sqlx::query(
            "UPDATE members SET updated_at = $1 WHERE id IN ($2, $3) AND deleted_at IS NULL AND suspended_at IS NULL",
        )
        .bind(now)
        .bind(new.buyer_id)
        .bind(new.seller_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // A party who withdrew or was suspended (`members::suspension`) opens nothing.
        if members != 2 {
            break 'write Ok(Opened::MemberGone);
        }
        // After both rows are written: a block between them (crate::blocking) is committed or waits.
        let blocked: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {}", between_sql(1, 2))))
            .bind(new.buyer_id)
            .bind(new.seller_id)
            .fetch_one(&mut *tx)
            .await?;
        if blocked {
            break 'write Ok(Opened::Blocked);
        }
        // At its price, or at the price of this buyer's accepted offer (`offers`).
        let held = sqlx::query(
            "UPDATE products SET status = $5, updated_at = $1 \
             WHERE id = $2 AND seller_id = $3 AND status = $6 AND (price = $4 OR EXISTS \
               (SELECT 1 FROM offers WHERE product_id = $2 AND buyer_id = $7 AND status = $8 AND price = $4))",
        )
        .bind(now)
        .bind(new.product_id)
        .bind(new.seller_id)
        .bind(new.amount)
        .bind(ProductStatus::PendingPayment)
        .bind(ProductStatus::OnSale)
        .bind(new.buyer_id)
        .bind(OfferStatus::Accepted)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held != 1 {
            break 'write Ok(Opened::Unavailable);
        }
        let inserted: Result<(OrderId,), sqlx::Error> = sqlx::query_as(
            "INSERT INTO orders (reference, link_nonce, product_id, buyer_id, seller_id, item_name, amount, \
                                 status, hold_expires_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9, $9) RETURNING id",
        )
        .bind(new.reference)
        .bind(new.link_nonce)
        .bind(new.product_id)
        .bind(new.buyer_id)
        .bind(new.seller_id)
        .bind(new.item_name)
        .bind(new.amount)
        .bind(new.hold_expires_at)
        .bind(now)
        .bind(OrderStatus::Pending)
        .fetch_one(&mut *tx)
        .await;
        match inserted {
            Ok((id,)) => {
                tx.commit().await?;
                Ok(Opened::Created(id))
            }
            Err(e) if violates_unique(&e, "orders_link_nonce_key", "orders.link_nonce") => Ok(Opened::LinkUsed),
            Err(e) if violates_unique(&e, "orders_one_holder_per_product", "orders.product_id") => {
                Ok(Opened::Unavailable)
            }
            Err(e) => Err(e),
        }
    })
}

/// Binds each of `$bind` (a `&[Bound]`) to `$query` in order; a macro because the query's type differs
/// per backend.
macro_rules! bind_all {
    ($query:expr, $bind:expr) => {{
        let mut query = $query;
        for value in $bind {
            query = match value {
                Bound::Text(t) => query.bind(t.to_owned()),
                Bound::Int(i) => query.bind(*i),
                Bound::Member(member) => query.bind(*member),
                Bound::Status(status) => query.bind(*status),
                Bound::Reason(reason) => query.bind(*reason),
                Bound::Watch(watch) => query.bind(*watch),
            };
        }
        query
    }};
}

/// Runs one conditional `UPDATE orders … WHERE id = $1 AND <condition>` (the condition in the SQL) and
/// says whether it applied.
async fn update_order(
    db: &Db,
    sql: &'static str,
    id: OrderId,
    bind: &[Bound<'_>],
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let changed = dispatch_write!(db, pool => {
        bind_all!(sqlx::query(sql).bind(id).bind(now), bind).execute(pool).await?.rows_affected()
    });
    Ok(changed == 1)
}

/// Like [`update_order`], in a write transaction that also writes the trade notices `tell` (each to one
/// party of the order) when the update applied; nothing is written when it did not.
async fn update_order_telling(
    db: &Db,
    outbox: &Outbox,
    sql: &'static str,
    id: OrderId,
    bind: &[Bound<'_>],
    tell: &[(Kind, Recipient)],
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let changed = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let changed = bind_all!(sqlx::query(sql).bind(id).bind(now), bind)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if changed != 1 {
            break 'write false;
        }
        for &(kind, to) in tell {
            tx.notify_order(outbox, id, kind, to, None, now).await?;
        }
        tx.commit().await?;
        true
    });
    Ok(outbox.wake_if(changed))
}

/// A value bound after `$1` (id) and `$2` (now) in [`update_order`].
enum Bound<'a> {
    Text(&'a str),
    Int(i64),
    Member(MemberId),
    Status(OrderStatus),
    Reason(CloseReason),
    Watch(ApprovalWatch),
}

/// Stores Kakao Pay's `tid` on a pending order that has none yet.
pub async fn set_tid(db: &Db, id: OrderId, tid: &str) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET tid = $3, updated_at = $2 WHERE id = $1 AND status = $4 AND tid IS NULL",
        id,
        &[Bound::Text(tid), Bound::Status(OrderStatus::Pending)],
    )
    .await
}

/// Claims the one approve call of a pending order (pending → approving). Only the winner may call approve.
pub async fn begin_approve(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET status = $3, updated_at = $2 WHERE id = $1 AND status = $4 AND tid IS NOT NULL",
        id,
        &[
            Bound::Status(OrderStatus::Approving),
            Bound::Status(OrderStatus::Pending),
        ],
    )
    .await
}

/// Kakao Pay says the payment is still open after a failed approve: the buyer may try again.
pub async fn back_to_pending(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET status = $3, updated_at = $2 WHERE id = $1 AND status = $4",
        id,
        &[
            Bound::Status(OrderStatus::Pending),
            Bound::Status(OrderStatus::Approving),
        ],
    )
    .await
}

/// The approve of an `approving` order went unanswered: until Kakao Pay reports a final status, the order
/// is watched (see [`ApprovalWatch`]), whatever becomes of it meanwhile.
pub async fn approve_unsettled(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET approval_watch = $3, updated_at = $2 WHERE id = $1 AND status = $4",
        id,
        &[
            Bound::Watch(ApprovalWatch::Watching),
            Bound::Status(OrderStatus::Approving),
        ],
    )
    .await
}

/// Refreshes `updated_at` if nobody else did since `seen`: a lease, so of several reconcilers (one per
/// instance) only one works on an order at a time.
pub async fn claim(
    db: &Db,
    id: OrderId,
    status: OrderStatus,
    seen_updated_at: i64,
) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET updated_at = $2 WHERE id = $1 AND status = $3 AND updated_at = $4",
        id,
        &[Bound::Status(status), Bound::Int(seen_updated_at)],
    )
    .await
}

/// What closing an order does to the watch on an unanswered approve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Watch {
    /// Kakao Pay reported a final status (or no approve was ever sent): nothing is left to watch.
    End,
    /// Kakao Pay's status is not final: an order with an unanswered approve stays watched, and is asked
    /// about again at this time (Unix ms).
    AskAgainAt(i64),
}

/// Gives up a payment that took no money so far (`from` is pending or approving) and puts the product
/// back on sale. An unanswered approve stays watched unless `watch` ends it.
///
/// A hold that ran out ([`CloseReason::Expired`]) is told to the buyer ([`Kind::HoldExpired`]): they
/// left the payment unfinished and may not know the product is no longer kept for them. A buyer who quit
/// or whose payment failed is on the result page at that moment, and is not told again.
pub async fn abandon(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: OrderId,
    from: OrderStatus,
    reason: CloseReason,
    watch: Watch,
) -> Result<bool, sqlx::Error> {
    let abandoned = close_unpaid(db, outbox, id, from, reason, watch).await?;
    Ok(outbox.wake_if(catalog.retire_if(abandoned)))
}

async fn close_unpaid(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    from: OrderStatus,
    reason: CloseReason,
    watch: Watch,
) -> Result<bool, sqlx::Error> {
    debug_assert!(matches!(from, OrderStatus::Pending | OrderStatus::Approving));
    let ask_again_at = match watch {
        Watch::End => None,
        Watch::AskAgainAt(at) => Some(at),
    };
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        // Both CASEs read the row as it was: a watch is kept (with its next look) only if there was one.
        let done = sqlx::query(
            "UPDATE orders SET status = $6, close_reason = $1, closed_at = $2, updated_at = $2, \
                    approval_watch = CASE WHEN $5 IS NULL THEN NULL ELSE approval_watch END, \
                    approval_watch_next_at = CASE WHEN approval_watch = $7 THEN $5 END \
             WHERE id = $3 AND status = $4",
        )
        .bind(reason)
        .bind(now)
        .bind(id)
        .bind(from)
        .bind(ask_again_at)
        .bind(OrderStatus::Abandoned)
        .bind(ApprovalWatch::Watching)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write Ok(false);
        }
        release_product(&mut tx, id, ProductStatus::PendingPayment, now).await?;
        if reason == CloseReason::Expired {
            tx.notify_order(outbox, id, Kind::HoldExpired, Recipient::Buyer, None, now)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Withdraws the accepted offer of order `$2`'s buyer on its product (`$1` now); statuses in the text, as
/// for [`END_OFFERS`].
static SPEND_ACCEPTED_OFFER: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE offers SET status = '{}', decided_at = $1 WHERE status = '{}' \
           AND product_id = (SELECT product_id FROM orders WHERE id = $2) \
           AND buyer_id = (SELECT buyer_id FROM orders WHERE id = $2)",
        OfferStatus::Withdrawn.key(),
        OfferStatus::Accepted.key()
    )
});

/// Puts the order's product back on sale if it is still in `held_as`, and spends the offer its buyer had
/// accepted.
async fn release_product<'c, DB>(
    tx: &mut sqlx::Transaction<'c, DB>,
    order_id: OrderId,
    held_as: ProductStatus,
    now: i64,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments: sqlx::IntoArguments<DB>,
    for<'e> &'e mut <DB as sqlx::Database>::Connection: sqlx::Executor<'e, Database = DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    OrderId: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    ProductStatus: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(
        "UPDATE products SET status = $4, updated_at = $1 \
         WHERE id = (SELECT product_id FROM orders WHERE id = $2) AND status = $3",
    )
    .bind(now)
    .bind(order_id)
    .bind(held_as)
    .bind(ProductStatus::OnSale)
    .execute(&mut **tx)
    .await?;
    // The trade failed: the offer this buyer had accepted is spent, so it cannot price a later purchase and
    // the seller may accept another.
    sqlx::query(sqlx::AssertSqlSafe(SPEND_ACCEPTED_OFFER.as_str()))
        .bind(now)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// What [`mark_paid`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum PaidOutcome {
    /// The order is paid and the product awaits completion.
    Paid,
    /// Paid, but the product is no longer this order's to sell: the order is now `refund_pending`.
    MustRefund,
    /// The order was no longer in the expected status (someone else settled it).
    NotInState,
}

/// Records Kakao Pay's approval of an order in `from` (approving, or pending when the reconciler learns of
/// a payment we never saw approved) and takes the held product for the buyer; a product that is somehow
/// not held any more sends the order to `refund_pending`. Kakao Pay's answer is final: any watch ends.
///
/// An order already closed is never revived: a payment completed after that is refunded
/// ([`begin_late_refund`]).
///
/// A payment recorded as `paid` tells the seller ([`Kind::OrderPaid`]: ship it and enter the tracking
/// number); the buyer is on the payment's result page.
pub async fn mark_paid(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: OrderId,
    from: OrderStatus,
    aid: Option<&str>,
    method: Option<&str>,
) -> Result<PaidOutcome, sqlx::Error> {
    let outcome = record_payment(db, outbox, id, from, aid, method).await?;
    outbox.wake_if(catalog.retire_if(outcome == PaidOutcome::Paid));
    Ok(outcome)
}

async fn record_payment(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    from: OrderStatus,
    aid: Option<&str>,
    method: Option<&str>,
) -> Result<PaidOutcome, sqlx::Error> {
    debug_assert!(matches!(from, OrderStatus::Pending | OrderStatus::Approving));
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let taken = sqlx::query(
            "UPDATE products SET status = $4, updated_at = $1 \
             WHERE id = (SELECT product_id FROM orders WHERE id = $2 AND status = $3) AND status = $5",
        )
        .bind(now)
        .bind(id)
        .bind(from)
        .bind(ProductStatus::AwaitingCompletion)
        .bind(ProductStatus::PendingPayment)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let (to, reason) = if taken == 1 {
            (OrderStatus::Paid, None)
        } else {
            (OrderStatus::RefundPending, Some(CloseReason::Unavailable))
        };
        let done = sqlx::query(
            "UPDATE orders SET status = $1, close_reason = $2, aid = COALESCE($3, aid), \
                    payment_method = COALESCE($4, payment_method), paid_at = $5, updated_at = $5, \
                    approval_watch = NULL, approval_watch_next_at = NULL \
             WHERE id = $6 AND status = $7",
        )
        .bind(to)
        .bind(reason)
        .bind(aid)
        .bind(method)
        .bind(now)
        .bind(id)
        .bind(from)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write Ok(PaidOutcome::NotInState);
        }
        if taken == 1 {
            tx.notify_order(outbox, id, Kind::OrderPaid, Recipient::Seller, None, now)
                .await?;
        }
        tx.commit().await?;
        Ok(if taken == 1 { PaidOutcome::Paid } else { PaidOutcome::MustRefund })
    })
}

/// Who asks for a refund, which decides when it is allowed.
#[derive(Clone, Copy, Debug)]
pub enum Refunder {
    /// The buyer, before a tracking number exists.
    Buyer(MemberId),
    /// The operator (an administrator, or the system on a mismatch), any time before completion.
    Operator(CloseReason),
}

/// Starts a refund of a paid order: the order becomes `refund_pending` (kept until Kakao Pay confirms)
/// and the product goes back on sale, in one transaction, which also tells both parties
/// ([`Kind::OrderCancelled`]): the seller must not ship, and the buyer learns the money is on its way
/// back even when someone else (an operator) cancelled. False when the rules do not allow it now.
pub async fn begin_refund(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: OrderId,
    by: Refunder,
) -> Result<bool, sqlx::Error> {
    let begun = refund_and_release(db, outbox, id, by).await?;
    Ok(outbox.wake_if(catalog.retire_if(begun)))
}

async fn refund_and_release(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    by: Refunder,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let done = match by {
            Refunder::Buyer(buyer_id) => sqlx::query(
                "UPDATE orders SET status = $5, close_reason = $1, updated_at = $2 \
                 WHERE id = $3 AND status = $6 AND tracking_number IS NULL AND buyer_id = $4",
            )
            .bind(CloseReason::BuyerCancelled)
            .bind(now)
            .bind(id)
            .bind(buyer_id)
            .bind(OrderStatus::RefundPending)
            .bind(OrderStatus::Paid),
            Refunder::Operator(reason) => sqlx::query(
                "UPDATE orders SET status = $4, close_reason = $1, updated_at = $2 \
                 WHERE id = $3 AND status IN ($5, $6)",
            )
            .bind(reason)
            .bind(now)
            .bind(id)
            .bind(OrderStatus::RefundPending)
            .bind(OrderStatus::Paid)
            .bind(OrderStatus::BuyerConfirmed),
        }
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write Ok(false);
        }
        release_product(&mut tx, id, ProductStatus::AwaitingCompletion, now).await?;
        for to in [Recipient::Buyer, Recipient::Seller] {
            tx.notify_order(outbox, id, Kind::OrderCancelled, to, None, now).await?;
        }
        tx.commit().await?;
        Ok(true)
    })
}

/// Kakao Pay completed a watched order's payment after the order was closed: the money must go back
/// (`refund_pending`, [`CloseReason::LateApproval`]). The product is not touched — it went back on sale
/// when the order closed. Kakao Pay's answer is final, so the watch ends; only one caller wins.
///
/// Nobody is told now: the buyer never had the product (they were told the hold expired), and there is
/// nothing to cancel for the seller. The buyer hears of the money when the refund is done
/// ([`finish_refund`]).
pub async fn begin_late_refund(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET status = $4, close_reason = $3, paid_at = $2, updated_at = $2, \
                approval_watch = NULL, approval_watch_next_at = NULL \
         WHERE id = $1 AND status = $5 AND approval_watch = $6",
        id,
        &[
            Bound::Reason(CloseReason::LateApproval),
            Bound::Status(OrderStatus::RefundPending),
            Bound::Status(OrderStatus::Abandoned),
            Bound::Watch(ApprovalWatch::Watching),
        ],
    )
    .await
}

/// Claims a watched, closed order for one look at Kakao Pay, and schedules the next look in the same
/// update: of several reconcilers, only the one that saw `seen_updated_at` wins, and the others do not
/// even list the order again before `next_at`.
pub async fn claim_watch(
    db: &Db,
    id: OrderId,
    seen_updated_at: i64,
    next_at: i64,
) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET approval_watch_next_at = $4, updated_at = $2 \
         WHERE id = $1 AND status = $5 AND approval_watch = $6 AND updated_at = $3",
        id,
        &[
            Bound::Int(seen_updated_at),
            Bound::Int(next_at),
            Bound::Status(OrderStatus::Abandoned),
            Bound::Watch(ApprovalWatch::Watching),
        ],
    )
    .await
}

/// Kakao Pay reported a final status without money taken for a closed, watched order: nothing is left to
/// watch.
pub async fn end_watch(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET approval_watch = NULL, approval_watch_next_at = NULL, updated_at = $2 \
         WHERE id = $1 AND status = $3 AND approval_watch = $4",
        id,
        &[
            Bound::Status(OrderStatus::Abandoned),
            Bound::Watch(ApprovalWatch::Watching),
        ],
    )
    .await
}

/// Stops asking Kakao Pay about a closed order that never got a final status, and leaves it marked for an
/// administrator.
pub async fn give_up_watch(db: &Db, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order(
        db,
        "UPDATE orders SET approval_watch = $3, approval_watch_next_at = NULL, updated_at = $2 \
         WHERE id = $1 AND status = $4 AND approval_watch = $5",
        id,
        &[
            Bound::Watch(ApprovalWatch::GivenUp),
            Bound::Status(OrderStatus::Abandoned),
            Bound::Watch(ApprovalWatch::Watching),
        ],
    )
    .await
}

/// Kakao Pay confirmed the refund: the buyer is told the money is back ([`Kind::RefundDone`]).
pub async fn finish_refund(db: &Db, outbox: &Outbox, id: OrderId) -> Result<bool, sqlx::Error> {
    update_order_telling(
        db,
        outbox,
        "UPDATE orders SET status = $3, closed_at = $2, updated_at = $2 WHERE id = $1 AND status = $4",
        id,
        &[
            Bound::Status(OrderStatus::Refunded),
            Bound::Status(OrderStatus::RefundPending),
        ],
        &[(Kind::RefundDone, Recipient::Buyer)],
    )
    .await
}

/// The seller enters or changes the tracking number, until the buyer confirms.
///
/// The buyer is told in the same transaction: [`Kind::TrackingEntered`] for the first number,
/// [`Kind::TrackingChanged`] for a different one. The number the seller saw is part of the update's
/// condition, so of two racing entries only one is told, with the right kind. Entering the same number
/// again tells nobody and keeps `shipped_at`: the shipment, and so the auto-confirmation clock, did not
/// change.
///
/// The order and the seller are ids of different types, so they cannot be passed the wrong way round:
///
/// ```no_run
/// # use junggye::domain::ids::{MemberId, OrderId};
/// # use junggye::notifications::Outbox;
/// # async fn enter(db: &junggye::db::Db, outbox: &Outbox, order: OrderId, seller: MemberId) -> Result<bool, sqlx::Error> {
/// junggye::orders::store::set_tracking(db, outbox, order, seller, "123456789").await
/// # }
/// ```
///
/// ```compile_fail
/// # use junggye::domain::ids::{MemberId, OrderId};
/// # use junggye::notifications::Outbox;
/// # async fn enter(db: &junggye::db::Db, outbox: &Outbox, order: OrderId, seller: MemberId) -> Result<bool, sqlx::Error> {
/// junggye::orders::store::set_tracking(db, outbox, seller, order, "123456789").await
/// # }
/// ```
pub async fn set_tracking(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    seller_id: MemberId,
    number: &str,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let changed = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let seen: Option<(Option<String>,)> = sqlx::query_as(
            "SELECT tracking_number FROM orders WHERE id = $1 AND seller_id = $2 AND status = $3",
        )
        .bind(id)
        .bind(seller_id)
        .bind(OrderStatus::Paid)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((before,)) = seen else {
            break 'write false;
        };
        let done = sqlx::query(
            "UPDATE orders SET tracking_number = $3, updated_at = $2, \
                    shipped_at = CASE WHEN tracking_number = $3 THEN shipped_at ELSE $2 END \
             WHERE id = $1 AND seller_id = $4 AND status = $5 AND COALESCE(tracking_number, '') = $6",
        )
        .bind(id)
        .bind(now)
        .bind(number)
        .bind(seller_id)
        .bind(OrderStatus::Paid)
        .bind(before.as_deref().unwrap_or_default())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write false;
        }
        if let Some(kind) = tracking_notice(before.as_deref(), number) {
            tx.notify_order(outbox, id, kind, Recipient::Buyer, None, now).await?;
        }
        tx.commit().await?;
        true
    });
    Ok(outbox.wake_if(changed))
}

/// What the buyer is told when the tracking number goes from `before` to `after`.
fn tracking_notice(before: Option<&str>, after: &str) -> Option<Kind> {
    match before {
        None => Some(Kind::TrackingEntered),
        Some(number) if number != after => Some(Kind::TrackingChanged),
        Some(_) => None,
    }
}

/// The buyer confirms receipt, once a tracking number exists; the seller is told to confirm the sale
/// ([`Kind::PurchaseConfirmed`]).
pub async fn confirm_purchase(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    buyer_id: MemberId,
) -> Result<bool, sqlx::Error> {
    update_order_telling(
        db,
        outbox,
        "UPDATE orders SET status = $4, buyer_confirmed_at = $2, updated_at = $2 \
         WHERE id = $1 AND buyer_id = $3 AND status = $5 AND tracking_number IS NOT NULL",
        id,
        &[
            Bound::Member(buyer_id),
            Bound::Status(OrderStatus::BuyerConfirmed),
            Bound::Status(OrderStatus::Paid),
        ],
        &[(Kind::PurchaseConfirmed, Recipient::Seller)],
    )
    .await
}

/// The seller confirms after the buyer did: the order completes and the product is sold. The buyer is
/// told the trade is complete ([`Kind::SaleConfirmed`]), and members who saved the product that it is
/// gone ([`Kind::FavouriteSold`]), in the same transaction.
pub async fn confirm_sale(
    db: &Db,
    catalog: &Catalog,
    outbox: &Outbox,
    id: OrderId,
    seller_id: MemberId,
) -> Result<bool, sqlx::Error> {
    let completed = complete_and_sell(db, outbox, id, seller_id).await?;
    Ok(outbox.wake_if(catalog.retire_if(completed)))
}

async fn complete_and_sell(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    seller_id: MemberId,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let completed: Option<(ProductId, MemberId)> = sqlx::query_as(
            "UPDATE orders SET status = $4, completed_at = $1, closed_at = $1, updated_at = $1 \
             WHERE id = $2 AND seller_id = $3 AND status = $5 RETURNING product_id, buyer_id",
        )
        .bind(now)
        .bind(id)
        .bind(seller_id)
        .bind(OrderStatus::Completed)
        .bind(OrderStatus::BuyerConfirmed)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((product_id, buyer_id)) = completed else {
            break 'write Ok(false);
        };
        sqlx::query(
            "UPDATE products SET status = $3, updated_at = $1 WHERE id = $2 AND status = $4",
        )
        .bind(now)
        .bind(product_id)
        .bind(ProductStatus::Sold)
        .bind(ProductStatus::AwaitingCompletion)
        .execute(&mut *tx)
        .await?;
        // Sold: the offers still open on it end (an accepted one is spent).
        sqlx::query(sqlx::AssertSqlSafe(END_OFFERS.as_str()))
            .bind(now)
            .bind(product_id)
            .execute(&mut *tx)
            .await?;
        tx.notify_order(outbox, id, Kind::SaleConfirmed, Recipient::Buyer, None, now)
            .await?;
        tx.notify_savers(outbox, product_id, Kind::FavouriteSold, None, Some(buyer_id), now)
            .await?;
        tx.commit().await?;
        Ok(true)
    })
}

/// The reconciler's work list. Its statuses are written into the text (from the enums) rather than bound,
/// so that the query states the predicate of the `orders_unsettled` partial index, which a planner uses
/// only when it can see that predicate.
static UNSETTLED: LazyLock<String> = LazyLock::new(|| {
    use OrderStatus::{Abandoned, Approving, Pending, RefundPending};
    format!(
        "{select}WHERE (o.status = '{pending}' AND o.hold_expires_at <= $1) \
            OR (o.status IN {stale} AND o.updated_at <= $2) \
            OR (o.status = '{abandoned}' AND o.approval_watch = '{watching}' AND o.approval_watch_next_at <= $1) \
         ORDER BY o.id LIMIT $3",
        select = select_orders!(""),
        pending = Pending.key(),
        stale = text_set([Approving.key(), RefundPending.key()]),
        abandoned = Abandoned.key(),
        watching = ApprovalWatch::Watching.key(),
    )
});

/// Orders the reconciler must look at: pending past their hold, approving or refund-pending orders
/// untouched since `stale_before` (so an in-flight call is not raced), and closed orders whose watch is
/// due to ask Kakao Pay again.
pub async fn unsettled(db: &Db, now: i64, stale_before: i64, limit: i64) -> Result<Vec<Order>, sqlx::Error> {
    let rows: Vec<OrderRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(UNSETTLED.as_str()))
            .bind(now)
            .bind(stale_before)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    orders(rows)
}

/// Paid orders whose purchase confirms itself now: shipped (a tracking number entered) at or before `$1`,
/// oldest shipment first. The status is written into the text, as in [`UNSETTLED`]: a planner can then
/// see that only open orders qualify and walk the `orders_one_holder_per_product` partial index (whose
/// predicate holds every open status) instead of the whole order history; no index of its own is needed.
static AUTO_CONFIRM_DUE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT o.id FROM orders o \
         WHERE o.status = '{paid}' AND o.shipped_at <= $1 AND o.tracking_number IS NOT NULL \
         ORDER BY o.shipped_at, o.id LIMIT $2",
        paid = OrderStatus::Paid.key(),
    )
});

/// The dedupe key of the warning that a purchase confirms itself soon, from an order row `o`: one per
/// order and shipment (`auto_confirm_soon:{order id}:{shipped_at}`), so a new tracking number, which
/// moves `shipped_at`, warns again. Spelled once, here, in SQL: the listing below both skips orders
/// already warned and hands the key to the insert.
const SOON_KEY: &str = "'auto_confirm_soon:' || CAST(o.id AS TEXT) || ':' || CAST(o.shipped_at AS TEXT)";

/// Paid orders shipped at or before `$1` but after `$2` (those are confirmed instead) that have not been
/// warned for this shipment, oldest shipment first (the status written in, as above). Warned orders are
/// left out by the query, not by the insert, so a day of warned orders never fills the batch and hides
/// a new one.
static AUTO_CONFIRM_SOON: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT o.id, o.shipped_at, {key} AS dedupe_key FROM orders o \
         WHERE o.status = '{paid}' AND o.shipped_at <= $1 AND o.shipped_at > $2 \
           AND o.tracking_number IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.dedupe_key = {key}) \
         ORDER BY o.shipped_at, o.id LIMIT $3",
        key = SOON_KEY,
        paid = OrderStatus::Paid.key(),
    )
});

/// The ids of at most `limit` paid orders shipped at or before `shipped_before`.
pub(crate) async fn auto_confirm_due(
    db: &Db,
    shipped_before: i64,
    limit: i64,
) -> Result<Vec<OrderId>, sqlx::Error> {
    let rows: Vec<(OrderId,)> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(AUTO_CONFIRM_DUE.as_str()))
            .bind(shipped_before)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// One shipment of a paid order, to be warned about.
#[derive(Clone, Debug, FromRow)]
pub(crate) struct Shipment {
    pub id: OrderId,
    pub shipped_at: i64,
    /// The warning's dedupe key (see [`SOON_KEY`]).
    pub dedupe_key: String,
}

/// At most `limit` paid orders shipped in (`confirm_before`, `warn_before`] whose buyer was not warned
/// about this shipment yet.
pub(crate) async fn auto_confirm_soon_due(
    db: &Db,
    warn_before: i64,
    confirm_before: i64,
    limit: i64,
) -> Result<Vec<Shipment>, sqlx::Error> {
    Ok(dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(AUTO_CONFIRM_SOON.as_str()))
            .bind(warn_before)
            .bind(confirm_before)
            .bind(limit)
            .fetch_all(pool)
            .await?
    }))
}

/// Warns the buyer that the purchase confirms itself soon ([`Kind::AutoConfirmSoon`]), once per shipment
/// (the dedupe key). True when the warning was written.
///
/// The order is first touched with a conditional update that changes nothing but demands it is still
/// paid and shipped at the time that was listed: on PostgreSQL that locks the row, so a buyer confirming
/// at the same moment either commits first (and nothing is written) or waits for this warning.
pub(crate) async fn warn_auto_confirm(
    db: &Db,
    outbox: &Outbox,
    shipment: &Shipment,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let warned = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let still = sqlx::query(
            "UPDATE orders SET updated_at = updated_at WHERE id = $1 AND status = $2 AND shipped_at = $3",
        )
        .bind(shipment.id)
        .bind(OrderStatus::Paid)
        .bind(shipment.shipped_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if still != 1 {
            break 'write false;
        }
        let key = Some(shipment.dedupe_key.as_str());
        let wrote = tx
            .notify_order(outbox, shipment.id, Kind::AutoConfirmSoon, Recipient::Buyer, key, now)
            .await?;
        tx.commit().await?;
        wrote == 1
    });
    Ok(outbox.wake_if(warned))
}

/// Confirms the purchase for the buyer (the same columns as [`confirm_purchase`]) when the order is still
/// paid and was shipped at or before `shipped_before`, and tells both parties
/// ([`Kind::AutoConfirmed`]: the seller may now confirm the sale). Of several instances doing this at
/// once, the conditional update lets one through.
pub(crate) async fn auto_confirm(
    db: &Db,
    outbox: &Outbox,
    id: OrderId,
    shipped_before: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let confirmed = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let done = sqlx::query(
            "UPDATE orders SET status = $2, buyer_confirmed_at = $3, updated_at = $3 \
             WHERE id = $1 AND status = $4 AND tracking_number IS NOT NULL AND shipped_at <= $5",
        )
        .bind(id)
        .bind(OrderStatus::BuyerConfirmed)
        .bind(now)
        .bind(OrderStatus::Paid)
        .bind(shipped_before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write false;
        }
        for to in [Recipient::Seller, Recipient::Buyer] {
            tx.notify_order(outbox, id, Kind::AutoConfirmed, to, None, now).await?;
        }
        tx.commit().await?;
        true
    });
    Ok(outbox.wake_if(confirmed))
}

/// One Kakao Pay call to record.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    /// `ready`, `approve`, `cancel` or `order`.
    pub call: &'a str,
    /// `ok`, `rejected`, `unavailable`, `ambiguous` or `invalid`.
    pub outcome: &'a str,
    /// Kakao Pay's status or error; may name its ids, so it is not shown to admins.
    pub detail: &'a str,
    /// Won the call named or Kakao Pay reported.
    pub amount: Option<i64>,
    pub elapsed_ms: i64,
}

/// Records one Kakao Pay call and its outcome.
pub async fn record_event(db: &Db, order_id: OrderId, event: &NewEvent<'_>) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "INSERT INTO payment_events (order_id, call, outcome, detail, amount, elapsed_ms, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(order_id)
        .bind(event.call)
        .bind(event.outcome)
        .bind(event.detail)
        .bind(event.amount)
        .bind(event.elapsed_ms)
        .bind(now_ms())
        .execute(pool)
        .await?;
    });
    Ok(())
}

#[derive(FromRow)]
struct EventRow {
    id: i64,
    order_id: OrderId,
    call: String,
    outcome: String,
    detail: String,
    amount: Option<i64>,
    elapsed_ms: i64,
    created_at: i64,
}

/// An order's Kakao Pay calls, oldest first.
pub async fn events(db: &Db, order_id: OrderId) -> Result<Vec<PaymentEvent>, sqlx::Error> {
    let rows: Vec<EventRow> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT id, order_id, call, outcome, detail, amount, elapsed_ms, created_at \
             FROM payment_events WHERE order_id = $1 ORDER BY id",
        )
        .bind(order_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|r| PaymentEvent {
            id: r.id,
            order_id: r.order_id,
            call: r.call,
            outcome: r.outcome,
            detail: r.detail,
            amount: r.amount,
            elapsed_ms: r.elapsed_ms,
            created_at: r.created_at,
        })
        .collect())
}
