//! What one caller sees of one product beyond the product itself — whether they joined, saved or not (and
//! by how many, for its seller), the offers, a block between them, the seller's reviews — read in one
//! query from the caller's Kakao user key, because the detail view is the market's busiest read and each
//! query costs a hand-off to the database's connection.
//! The rules behind each fact stay in their modules (`watch::favourites`, `offers`, `blocking`,
//! `reviews`); this only reads them together.

use std::sync::LazyLock;

use crate::blocking::between_sql;
use crate::db::{Db, dispatch};
use crate::domain::ids::{MemberId, ProductId};
use crate::offers::OfferStatus;
use crate::offers::store::ForViewer;
use crate::reviews::Summary;

/// What the caller sees of a product.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewing {
    /// The caller's member id; `None` when they have not joined (the other facts are then false or zero,
    /// but the seller's reviews).
    pub viewer: Option<MemberId>,
    /// The viewer saved the product.
    pub saved: bool,
    /// Members who saved it (what its seller is shown).
    pub saved_by: i64,
    pub offers: ForViewer,
    /// The viewer and the seller blocked one another (either way).
    pub blocked: bool,
    /// The reviews the seller received.
    pub seller_reviews: Summary,
}

type Row = (
    Option<MemberId>,
    bool,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    i64,
    bool,
    i64,
    Option<i64>,
);

/// [`Viewing`] of `product` for the caller with Kakao user key `user_key` (an active member or nobody);
/// `None` when there is no such product.
pub async fn for_user(db: &Db, product: ProductId, user_key: &str) -> Result<Option<Viewing>, sqlx::Error> {
    static SQL: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT v.id, \
               EXISTS (SELECT 1 FROM favourites WHERE member_id = v.id AND product_id = p.id), \
               (SELECT COUNT(*) FROM favourites WHERE product_id = p.id), \
               p.offers_off_at, \
               (SELECT price FROM offers WHERE product_id = p.id AND buyer_id = v.id AND status = $3), \
               (SELECT price FROM offers WHERE product_id = p.id AND buyer_id = v.id AND status = $4), \
               (SELECT COUNT(*) FROM offers WHERE product_id = p.id AND status = $4), \
               {}, \
               (SELECT COUNT(*) FROM reviews WHERE reviewee_id = p.seller_id), \
               (SELECT SUM(CASE WHEN good THEN 1 ELSE 0 END) FROM reviews WHERE reviewee_id = p.seller_id) \
             FROM products p LEFT JOIN members v ON v.user_key = $2 AND v.deleted_at IS NULL \
             WHERE p.id = $1",
            between_sql(5, 6)
                .replace("$5", "v.id")
                .replace("$6", "p.seller_id")
        )
    });
    let sql: &'static str = &SQL;
    let row: Option<Row> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(product)
            .bind(user_key)
            .bind(OfferStatus::Accepted)
            .bind(OfferStatus::Pending)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(
        |(viewer, saved, saved_by, off, accepted, pending, pending_count, blocked, reviews, good)| Viewing {
            viewer,
            saved,
            saved_by,
            offers: ForViewer {
                open: off.is_none(),
                accepted_price: accepted,
                pending_price: pending,
                pending_count,
            },
            blocked,
            seller_reviews: Summary {
                count: reviews,
                good: good.unwrap_or(0),
            },
        },
    ))
}
