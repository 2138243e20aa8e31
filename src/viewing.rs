//! What one member sees of one product beyond the product itself — saved or not (and by how many, for its
//! seller), the offers, a block between them, the seller's reviews — read in one query, because the detail
//! view is the market's busiest read and each query costs a hand-off to the database's connection.
//! The rules behind each fact stay in their modules (`watch::favourites`, `offers`, `blocking`,
//! `reviews`); this only reads them together.

use crate::blocking::between_sql;
use crate::db::{Db, dispatch};
use crate::domain::ids::{MemberId, ProductId};
use crate::offers::OfferStatus;
use crate::offers::store::ForViewer;
use crate::reviews::Summary;

/// What `viewer` sees of a product.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Viewing {
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

/// [`Viewing`] of `product` for `viewer`; `None` when there is no such product.
pub async fn for_member(
    db: &Db,
    product: ProductId,
    viewer: MemberId,
) -> Result<Option<Viewing>, sqlx::Error> {
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM favourites WHERE member_id = $2 AND product_id = p.id), \
           (SELECT COUNT(*) FROM favourites WHERE product_id = p.id), \
           p.offers_off_at, \
           (SELECT price FROM offers WHERE product_id = p.id AND buyer_id = $2 AND status = $3), \
           (SELECT price FROM offers WHERE product_id = p.id AND buyer_id = $2 AND status = $4), \
           (SELECT COUNT(*) FROM offers WHERE product_id = p.id AND status = $4), \
           {}, \
           (SELECT COUNT(*) FROM reviews WHERE reviewee_id = p.seller_id), \
           (SELECT SUM(CASE WHEN good THEN 1 ELSE 0 END) FROM reviews WHERE reviewee_id = p.seller_id) \
         FROM products p WHERE p.id = $1",
        between_sql(2, 5).replace("$5", "p.seller_id")
    );
    let row: Option<Row> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(product)
            .bind(viewer)
            .bind(OfferStatus::Accepted)
            .bind(OfferStatus::Pending)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(
        |(saved, saved_by, off, accepted, pending, pending_count, blocked, reviews, good)| Viewing {
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
