//! The outbox: notices are rows written by the change they announce, in its own write transaction.
//!
//! A store function that announces something takes the [`Outbox`] and, inside its transaction, calls one
//! of the [`Announce`] methods on that transaction. When notifications are off (no Event API key), the
//! methods write nothing, so nothing piles up; after the commit, [`Outbox::wake_if`] tells the sender
//! there is work without waiting for its next poll.
//!
//! Who is told is decided here, in SQL, from the rows as the transaction sees them: the order's buyer or
//! seller, the members who saved a product, the members whose keyword a new product contains. Never the
//! member who caused the change for an alert (a seller is not alerted about their own product), and never
//! a member who left; alerts also skip members who turned them off.

use std::sync::Arc;

use tokio::sync::Notify;

use super::model::{Kind, State};
use crate::domain::ids::{MemberId, OrderId, ProductId};

/// Whether notices are written, and the bell that wakes the sender. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    on: bool,
    bell: Arc<Notify>,
}

impl Outbox {
    /// Notices are written and sent.
    pub fn on() -> Self {
        Self {
            on: true,
            bell: Arc::default(),
        }
    }

    /// Nothing is written (the Event API is not configured).
    pub fn off() -> Self {
        Self::default()
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Wakes the sender when `wrote` (a transaction that may have written notices committed); returns
    /// `wrote`, so a store function can end with `Ok(outbox.wake_if(done))`.
    pub fn wake_if(&self, wrote: bool) -> bool {
        if wrote && self.on {
            self.bell.notify_one();
        }
        wrote
    }

    /// Resolves when [`Outbox::wake_if`] rang since the last call (the sender's wake-up).
    pub async fn rung(&self) {
        self.bell.notified().await;
    }
}

/// Which party of an order a trade notice is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Buyer,
    Seller,
}

/// Notices about an order, from the order's row as the transaction sees it: the item's name, the amount,
/// and the tracking number.
const ORDER_NOTICE_TO_BUYER: &str = "INSERT INTO notifications (recipient_id, kind, order_id, product_id, subject, \
        amount, detail, dedupe_key, state, not_before, created_at, updated_at) \
     SELECT o.buyer_id, $2, o.id, o.product_id, o.item_name, o.amount, o.tracking_number, $3, $4, $5, $5, $5 \
     FROM orders o JOIN members m ON m.id = o.buyer_id \
     WHERE o.id = $1 AND m.deleted_at IS NULL \
     ON CONFLICT (dedupe_key) DO NOTHING";
const ORDER_NOTICE_TO_SELLER: &str = "INSERT INTO notifications (recipient_id, kind, order_id, product_id, subject, \
        amount, detail, dedupe_key, state, not_before, created_at, updated_at) \
     SELECT o.seller_id, $2, o.id, o.product_id, o.item_name, o.amount, o.tracking_number, $3, $4, $5, $5, $5 \
     FROM orders o JOIN members m ON m.id = o.seller_id \
     WHERE o.id = $1 AND m.deleted_at IS NULL \
     ON CONFLICT (dedupe_key) DO NOTHING";

/// An alert to every member who saved the product (not its seller), with its name and price as the
/// transaction sees them, and `$3` as the detail (the price before a drop).
const FAVOURITE_ALERT: &str = "INSERT INTO notifications (recipient_id, kind, product_id, subject, amount, detail, \
        state, not_before, created_at, updated_at) \
     SELECT f.member_id, $2, p.id, p.name, p.price, $3, $4, $5, $5, $5 \
     FROM favourites f JOIN products p ON p.id = f.product_id JOIN members m ON m.id = f.member_id \
     WHERE f.product_id = $1 AND f.member_id <> p.seller_id AND f.member_id <> $6 \
       AND m.deleted_at IS NULL AND m.alerts_off_at IS NULL";

/// One alert per member whose keyword the new product's name or description contains (compared like a
/// search: lower-cased, literally — `%` and `_` in a keyword are escaped), never to the seller, and at
/// most one per member and product (the dedupe key) however many of their keywords match. The keyword
/// that matched first (alphabetically) is kept as the detail.
const KEYWORD_ALERTS: &str = "INSERT INTO notifications (recipient_id, kind, product_id, subject, amount, detail, \
        dedupe_key, state, not_before, created_at, updated_at) \
     SELECT k.member_id, $2, p.id, p.name, p.price, MIN(k.keyword), \
            'keyword:' || CAST(k.member_id AS TEXT) || ':' || CAST(p.id AS TEXT), $3, $4, $4, $4 \
     FROM products p \
     JOIN keywords k ON p.search_text LIKE '%' || replace(replace(replace(k.needle, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%' ESCAPE '\\' \
     JOIN members m ON m.id = k.member_id \
     WHERE p.id = $1 AND k.member_id <> p.seller_id AND m.deleted_at IS NULL AND m.alerts_off_at IS NULL \
     GROUP BY k.member_id, p.id, p.name, p.price \
     ON CONFLICT (dedupe_key) DO NOTHING";

/// A notice about an offer to one party, from the offer's row as the transaction sees it: the product's
/// name, the offered price, and the other party's name. `$5` picks the recipient: the buyer (true), or
/// the seller.
const OFFER_NOTICE: &str = "INSERT INTO notifications (recipient_id, kind, product_id, subject, amount, detail, \
        state, not_before, created_at, updated_at) \
     SELECT CASE WHEN $5 THEN o.buyer_id ELSE p.seller_id END, $2, p.id, p.name, o.price, \
            CASE WHEN $5 THEN s.name ELSE b.name END, $3, $4, $4, $4 \
     FROM offers o JOIN products p ON p.id = o.product_id \
     JOIN members b ON b.id = o.buyer_id JOIN members s ON s.id = p.seller_id \
     WHERE o.id = $1 AND (CASE WHEN $5 THEN b.deleted_at ELSE s.deleted_at END) IS NULL";

/// The notice of review `$1` to the member it is about: the item of the order or direct trade reviewed,
/// and whether it was good (`detail` = `good` or `bad`).
const REVIEW_NOTICE: &str = "INSERT INTO notifications (recipient_id, kind, order_id, product_id, subject, detail, \
        state, not_before, created_at, updated_at) \
     SELECT r.reviewee_id, $2, r.order_id, COALESCE(o.product_id, t.product_id), COALESCE(o.item_name, t.item_name), \
            CASE WHEN r.good THEN 'good' ELSE 'bad' END, $3, $4, $4, $4 \
     FROM reviews r LEFT JOIN orders o ON o.id = r.order_id LEFT JOIN direct_trades t ON t.id = r.trade_id \
     JOIN members m ON m.id = r.reviewee_id \
     WHERE r.id = $1 AND m.deleted_at IS NULL";

/// The notice to the buyer of direct trade `$1` that the seller marked it sold: the trade is complete and
/// may be reviewed (the kind of a completed sale, without an order).
const DIRECT_TRADE_NOTICE: &str = "INSERT INTO notifications (recipient_id, kind, product_id, subject, \
        state, not_before, created_at, updated_at) \
     SELECT t.buyer_id, $2, t.product_id, t.item_name, $3, $4, $4, $4 \
     FROM direct_trades t JOIN members m ON m.id = t.buyer_id \
     WHERE t.id = $1 AND m.deleted_at IS NULL";

pub(crate) trait Announce {
    /// A trade notice of `kind` about order `order` to one of its parties. `dedupe` makes it at most once
    /// per key (a warning per shipment); `None` for notices whose change happens once anyway.
    async fn notify_order(
        &mut self,
        outbox: &Outbox,
        order: OrderId,
        kind: Kind,
        to: Party,
        dedupe: Option<&str>,
        now: i64,
    ) -> Result<u64, sqlx::Error>;

    /// An alert of `kind` to every member who saved `product` except `except` (the buyer of a sale
    /// learns of it from their own trade notice); `detail` is the fact the text needs beyond the
    /// product's current name and price (the old price of a drop).
    async fn notify_savers(
        &mut self,
        outbox: &Outbox,
        product: ProductId,
        kind: Kind,
        detail: Option<&str>,
        except: Option<MemberId>,
        now: i64,
    ) -> Result<u64, sqlx::Error>;

    /// A trade notice of `kind` about offer `offer` (its id) to its buyer (`to: Party::Buyer`) or to the
    /// product's seller.
    async fn notify_offer(
        &mut self,
        outbox: &Outbox,
        offer: i64,
        kind: Kind,
        to: Party,
        now: i64,
    ) -> Result<u64, sqlx::Error>;

    /// The notice of review `review` (its id) to the member it is about.
    async fn notify_review(&mut self, outbox: &Outbox, review: i64, now: i64) -> Result<u64, sqlx::Error>;

    /// The notice to the buyer of direct trade `trade` (its id) that it is complete.
    async fn notify_direct_trade(
        &mut self,
        outbox: &Outbox,
        trade: i64,
        now: i64,
    ) -> Result<u64, sqlx::Error>;

    /// Keyword alerts for the newly registered `product`.
    async fn notify_keywords(
        &mut self,
        outbox: &Outbox,
        product: ProductId,
        now: i64,
    ) -> Result<u64, sqlx::Error>;
}

macro_rules! announce_for {
    ($db:ty) => {
        impl Announce for sqlx::Transaction<'_, $db> {
            async fn notify_order(
                &mut self,
                outbox: &Outbox,
                order: OrderId,
                kind: Kind,
                to: Party,
                dedupe: Option<&str>,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                let sql = match to {
                    Party::Buyer => ORDER_NOTICE_TO_BUYER,
                    Party::Seller => ORDER_NOTICE_TO_SELLER,
                };
                Ok(sqlx::query(sql)
                    .bind(order)
                    .bind(kind)
                    .bind(dedupe)
                    .bind(State::Queued)
                    .bind(now)
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }

            async fn notify_savers(
                &mut self,
                outbox: &Outbox,
                product: ProductId,
                kind: Kind,
                detail: Option<&str>,
                except: Option<MemberId>,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                Ok(sqlx::query(FAVOURITE_ALERT)
                    .bind(product)
                    .bind(kind)
                    .bind(detail)
                    .bind(State::Queued)
                    .bind(now)
                    // No member has id 0: `<> 0` excludes nobody.
                    .bind(except.unwrap_or(MemberId::new(0)))
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }

            async fn notify_offer(
                &mut self,
                outbox: &Outbox,
                offer: i64,
                kind: Kind,
                to: Party,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                Ok(sqlx::query(OFFER_NOTICE)
                    .bind(offer)
                    .bind(kind)
                    .bind(State::Queued)
                    .bind(now)
                    .bind(to == Party::Buyer)
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }

            async fn notify_review(
                &mut self,
                outbox: &Outbox,
                review: i64,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                Ok(sqlx::query(REVIEW_NOTICE)
                    .bind(review)
                    .bind(Kind::ReviewReceived)
                    .bind(State::Queued)
                    .bind(now)
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }

            async fn notify_direct_trade(
                &mut self,
                outbox: &Outbox,
                trade: i64,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                Ok(sqlx::query(DIRECT_TRADE_NOTICE)
                    .bind(trade)
                    .bind(Kind::SaleConfirmed)
                    .bind(State::Queued)
                    .bind(now)
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }

            async fn notify_keywords(
                &mut self,
                outbox: &Outbox,
                product: ProductId,
                now: i64,
            ) -> Result<u64, sqlx::Error> {
                if !outbox.is_on() {
                    return Ok(0);
                }
                Ok(sqlx::query(KEYWORD_ALERTS)
                    .bind(product)
                    .bind(Kind::KeywordMatch)
                    .bind(State::Queued)
                    .bind(now)
                    .execute(&mut **self)
                    .await?
                    .rows_affected())
            }
        }
    };
}

announce_for!(sqlx::Sqlite);
announce_for!(sqlx::Postgres);
