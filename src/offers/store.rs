//! Offers in the database, each change one write transaction with the notices it causes.

use sqlx::FromRow;

use crate::blocking::between_sql;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write, violates_unique};
use crate::domain::ids::{MemberId, ProductId};
use crate::notifications::outbox::{Announce, Party};
use crate::notifications::{Kind, Outbox};
use crate::products::model::ProductStatus;

pub use crate::products::model::OfferStatus;

/// An offer with what its screens show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Offer {
    pub id: i64,
    pub product_id: ProductId,
    pub product_name: String,
    /// The product's price now.
    pub list_price: i64,
    pub buyer_id: MemberId,
    pub buyer_name: String,
    pub seller_id: MemberId,
    pub price: i64,
    pub status: OfferStatus,
    pub created_at: i64,
}

#[derive(FromRow)]
struct OfferRow {
    id: i64,
    product_id: i64,
    product_name: String,
    list_price: i64,
    buyer_id: i64,
    buyer_name: String,
    seller_id: i64,
    price: i64,
    status: String,
    created_at: i64,
}

impl OfferRow {
    fn into_offer(self) -> Result<Offer, sqlx::Error> {
        let status = OfferStatus::parse(&self.status)
            .ok_or_else(|| sqlx::Error::Decode(format!("offer {}: bad status", self.id).into()))?;
        Ok(Offer {
            id: self.id,
            product_id: ProductId::new(self.product_id),
            product_name: self.product_name,
            list_price: self.list_price,
            buyer_id: MemberId::new(self.buyer_id),
            buyer_name: self.buyer_name,
            seller_id: MemberId::new(self.seller_id),
            price: self.price,
            status,
            created_at: self.created_at,
        })
    }
}

const SELECT_OFFER: &str = "SELECT o.id, o.product_id, p.name AS product_name, p.price AS list_price, \
     o.buyer_id, b.name AS buyer_name, p.seller_id, o.price, o.status, o.created_at \
     FROM offers o JOIN products p ON p.id = o.product_id JOIN members b ON b.id = o.buyer_id";

/// What [`make`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Made {
    /// The offer is made (its id); `replaced` when it took the place of the buyer's earlier open offer.
    Made {
        id: i64,
        replaced: bool,
    },
    /// No such product on sale (hidden, sold, in a payment, deleted), or the buyer withdrew.
    NotOnSale,
    OwnProduct,
    /// The seller turned offers off for this product.
    OffersOff,
    /// An offer must be below the price (which it quotes).
    NotBelowPrice(i64),
    /// The seller already accepted an offer for this product.
    AlreadyAccepted,
    /// The buyer's other offer on the product, made at the same moment, went first.
    Raced,
}

/// Offers `price` won for `product` on behalf of `buyer`, replacing their open offer if they have one,
/// and tells the seller.
pub async fn make(
    db: &Db,
    outbox: &Outbox,
    product: ProductId,
    buyer: MemberId,
    price: i64,
) -> Result<Made, sqlx::Error> {
    let now = now_ms();
    let made = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let row: Option<(i64, i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT p.seller_id, p.price, p.status, p.offers_off_at FROM products p \
             JOIN members m ON m.id = $2 AND m.deleted_at IS NULL WHERE p.id = $1",
        )
        .bind(product)
        .bind(buyer)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((seller, list_price, status, offers_off)) = row else {
            break 'write Ok(Made::NotOnSale);
        };
        let blocked: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT {}", between_sql(1, 2))))
            .bind(buyer)
            .bind(seller)
            .fetch_one(&mut *tx)
            .await?;
        // A block is private: the product reads as not on sale.
        let refusal = if status != ProductStatus::OnSale.key() || blocked {
            Some(Made::NotOnSale)
        } else if seller == buyer.get() {
            Some(Made::OwnProduct)
        } else if offers_off.is_some() {
            Some(Made::OffersOff)
        } else if price >= list_price {
            Some(Made::NotBelowPrice(list_price))
        } else {
            None
        };
        if let Some(refusal) = refusal {
            break 'write Ok(refusal);
        }
        let (accepted,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM offers WHERE product_id = $1 AND status = $2")
                .bind(product)
                .bind(OfferStatus::Accepted)
                .fetch_one(&mut *tx)
                .await?;
        if accepted > 0 {
            break 'write Ok(Made::AlreadyAccepted);
        }
        // The product's row is written too, so on PostgreSQL a concurrent acceptance or status change
        // waits for this offer (or this waits for it) instead of both reading the old state.
        let held = sqlx::query("UPDATE products SET updated_at = updated_at WHERE id = $1 AND status = $2")
            .bind(product)
            .bind(ProductStatus::OnSale)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if held != 1 {
            break 'write Ok(Made::NotOnSale);
        }
        let replaced: Option<(i64,)> = sqlx::query_as(
            "UPDATE offers SET price = $3, created_at = $4 \
             WHERE product_id = $1 AND buyer_id = $2 AND status = $5 RETURNING id",
        )
        .bind(product)
        .bind(buyer)
        .bind(price)
        .bind(now)
        .bind(OfferStatus::Pending)
        .fetch_optional(&mut *tx)
        .await?;
        let (id, replaced) = match replaced {
            Some((id,)) => (id, true),
            None => {
                let inserted: Result<(i64,), sqlx::Error> = sqlx::query_as(
                    "INSERT INTO offers (product_id, buyer_id, price, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING id",
                )
                .bind(product)
                .bind(buyer)
                .bind(price)
                .bind(OfferStatus::Pending)
                .bind(now)
                .fetch_one(&mut *tx)
                .await;
                match inserted {
                    Ok((id,)) => (id, false),
                    // The same buyer's other offer, made at the same moment, went first: it stands.
                    Err(e) if violates_unique(&e, "offers_one_pending_per_buyer", "offers.product_id") => {
                        break 'write Ok(Made::Raced);
                    }
                    Err(e) => break 'write Err(e),
                }
            }
        };
        tx.notify_offer(outbox, id, Kind::OfferReceived, Party::Seller, now).await?;
        tx.commit().await?;
        Ok(Made::Made { id, replaced })
    })?;
    outbox.wake_if(matches!(made, Made::Made { .. }));
    Ok(made)
}

/// What [`accept`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Accepted {
    /// Accepted; the others on the product were declined (how many).
    Accepted { declined: u64 },
    /// Not an open offer on one of the seller's products on sale (decided already, sold, hidden, not theirs).
    Gone,
    /// Another offer on the product was accepted first.
    AnotherAccepted,
}

/// The seller accepts offer `id`: it becomes the product's one accepted offer, every other open offer on
/// the product is declined, and each buyer is told.
pub async fn accept(db: &Db, outbox: &Outbox, id: i64, seller: MemberId) -> Result<Accepted, sqlx::Error> {
    let now = now_ms();
    let accepted = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        // The product's row first: on PostgreSQL two acceptances on one product then run one after the
        // other (the second finds its offer declined) instead of deadlocking on each other's offers.
        let held = sqlx::query(
            "UPDATE products SET updated_at = updated_at \
             WHERE id = (SELECT product_id FROM offers WHERE id = $1) AND seller_id = $2 AND status = $3",
        )
        .bind(id)
        .bind(seller)
        .bind(ProductStatus::OnSale)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held != 1 {
            break 'write Ok(Accepted::Gone);
        }
        let updated: Result<Option<(i64,)>, sqlx::Error> = sqlx::query_as(
            "UPDATE offers SET status = $3, decided_at = $4 \
             WHERE id = $1 AND status = $5 AND product_id IN \
               (SELECT id FROM products WHERE seller_id = $2 AND status = $6) \
             RETURNING product_id",
        )
        .bind(id)
        .bind(seller)
        .bind(OfferStatus::Accepted)
        .bind(now)
        .bind(OfferStatus::Pending)
        .bind(ProductStatus::OnSale)
        .fetch_optional(&mut *tx)
        .await;
        let product = match updated {
            Ok(Some((product,))) => product,
            Ok(None) => break 'write Ok(Accepted::Gone),
            Err(e) if violates_unique(&e, "offers_one_accepted_per_product", "offers.product_id") => {
                break 'write Ok(Accepted::AnotherAccepted);
            }
            Err(e) => break 'write Err(e),
        };
        let others: Vec<(i64,)> = sqlx::query_as(
            "UPDATE offers SET status = $2, decided_at = $3 WHERE product_id = $1 AND status = $4 RETURNING id",
        )
        .bind(product)
        .bind(OfferStatus::Declined)
        .bind(now)
        .bind(OfferStatus::Pending)
        .fetch_all(&mut *tx)
        .await?;
        tx.notify_offer(outbox, id, Kind::OfferAccepted, Party::Buyer, now).await?;
        for (other,) in &others {
            tx.notify_offer(outbox, *other, Kind::OfferDeclined, Party::Buyer, now).await?;
        }
        tx.commit().await?;
        Ok(Accepted::Accepted { declined: others.len() as u64 })
    })?;
    outbox.wake_if(matches!(accepted, Accepted::Accepted { .. }));
    Ok(accepted)
}

/// What [`decline`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decided {
    Done,
    /// Not an open offer on one of the seller's products.
    Gone,
}

/// The seller declines offer `id`; its buyer is told.
pub async fn decline(db: &Db, outbox: &Outbox, id: i64, seller: MemberId) -> Result<Decided, sqlx::Error> {
    let now = now_ms();
    let decided = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let done = sqlx::query(
            "UPDATE offers SET status = $3, decided_at = $4 \
             WHERE id = $1 AND status = $5 AND product_id IN (SELECT id FROM products WHERE seller_id = $2)",
        )
        .bind(id)
        .bind(seller)
        .bind(OfferStatus::Declined)
        .bind(now)
        .bind(OfferStatus::Pending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write Ok(Decided::Gone);
        }
        tx.notify_offer(outbox, id, Kind::OfferDeclined, Party::Buyer, now).await?;
        tx.commit().await?;
        Ok(Decided::Done)
    })?;
    outbox.wake_if(decided == Decided::Done);
    Ok(decided)
}

/// Turns offers on or off for the seller's `product`; false when it is not theirs (or deleted).
pub async fn set_open(
    db: &Db,
    product: ProductId,
    seller: MemberId,
    open: bool,
) -> Result<bool, sqlx::Error> {
    let off_at = (!open).then(now_ms);
    dispatch_write!(db, pool => {
        let done = sqlx::query(
            "UPDATE products SET offers_off_at = $3 WHERE id = $1 AND seller_id = $2 AND status <> $4",
        )
        .bind(product)
        .bind(seller)
        .bind(off_at)
        .bind(ProductStatus::Deleted)
        .execute(pool)
        .await?
        .rows_affected();
        Ok(done == 1)
    })
}

/// One offer.
pub async fn get(db: &Db, id: i64) -> Result<Option<Offer>, sqlx::Error> {
    let row: Option<OfferRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT_OFFER} WHERE o.id = $1")))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.map(OfferRow::into_offer).transpose()
}

/// The offers `buyer` made, newest first, at most `limit`, whatever became of them (a withdrawn one too:
/// the buyer sees that it ended). Offers on deleted products are left out.
pub async fn made_by(db: &Db, buyer: MemberId, limit: i64) -> Result<Vec<Offer>, sqlx::Error> {
    let rows: Vec<OfferRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_OFFER} WHERE o.buyer_id = $1 AND p.status <> $2 ORDER BY o.id DESC LIMIT $3"
        )))
        .bind(buyer)
        .bind(ProductStatus::Deleted)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(OfferRow::into_offer).collect()
}

/// The open offers on the seller's products on sale (or on one of them), highest price first, at most
/// `limit`.
pub async fn open_for_seller(
    db: &Db,
    seller: MemberId,
    product: Option<ProductId>,
    limit: i64,
) -> Result<Vec<Offer>, sqlx::Error> {
    let rows: Vec<OfferRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT_OFFER} WHERE p.seller_id = $1 AND p.status = $2 AND o.status = $3 \
             AND ($4 = 0 OR o.product_id = $4) ORDER BY o.price DESC, o.id LIMIT $5"
        )))
        .bind(seller)
        .bind(ProductStatus::OnSale)
        .bind(OfferStatus::Pending)
        .bind(product.map_or(0, ProductId::get))
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    rows.into_iter().map(OfferRow::into_offer).collect()
}

/// What a product's viewer may do about offers (read by `crate::viewing`): whether the product takes
/// them, and the price of the viewer's accepted offer, if any (what they may pay instead of the list
/// price).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ForViewer {
    pub open: bool,
    pub accepted_price: Option<i64>,
    /// The viewer's own open offer (its price).
    pub pending_price: Option<i64>,
    /// Open offers on the product (what its seller is shown).
    pub pending_count: i64,
}

/// The price of `buyer`'s accepted offer on `product`, if they have one (what their payment link may
/// name instead of the list price). The detail view reads it with the rest of the viewer's side
/// (`crate::viewing`).
pub async fn accepted_price(
    db: &Db,
    product: ProductId,
    buyer: MemberId,
) -> Result<Option<i64>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar("SELECT price FROM offers WHERE product_id = $1 AND buyer_id = $2 AND status = $3")
            .bind(product)
            .bind(buyer)
            .bind(OfferStatus::Accepted)
            .fetch_optional(pool)
            .await
    })
}
