//! Naming the buyer of a reserved product (flow A: the two meet outside Kakao Pay).
//!
//! While a product is reserved its seller may name who it is reserved for — one of the members who saved
//! it or offered on it, never one blocked either way. Marking it sold then records a direct trade
//! ([`RECORD_DIRECT_TRADE`], in `store::change_status`'s transaction) that both may review, as they would
//! a paid order. Leaving `reserved` any other way forgets the name.

use crate::blocking::between_sql;
use crate::db::{Db, dispatch, dispatch_write};
use crate::domain::ids::{MemberId, ProductId};
use crate::products::model::ProductStatus;

/// A member the seller may name: who saved the product or offered on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub id: MemberId,
    pub name: String,
}

/// Records the direct trade of product `$2` with the member it was reserved for, at `$1`; nothing when no
/// one was named (or the named member has withdrawn since).
pub const RECORD_DIRECT_TRADE: &str = "INSERT INTO direct_trades (product_id, seller_id, buyer_id, item_name, completed_at) \
     SELECT p.id, p.seller_id, p.reserved_for, p.name, $1 FROM products p \
     JOIN members m ON m.id = p.reserved_for AND m.deleted_at IS NULL \
     WHERE p.id = $2 RETURNING id, buyer_id";

/// Forgets who product `$1` was reserved for.
pub const FORGET_BUYER: &str =
    "UPDATE products SET reserved_for = NULL WHERE id = $1 AND reserved_for IS NOT NULL";

/// "Member `$m` saved product `$p` or offered on it" (the numbers are the statement's parameters).
fn interested_sql(product: u8, member: u8) -> String {
    format!(
        "(EXISTS (SELECT 1 FROM favourites WHERE product_id = ${product} AND member_id = ${member}) \
          OR EXISTS (SELECT 1 FROM offers WHERE product_id = ${product} AND buyer_id = ${member}))"
    )
}

/// The members who saved product `$1` or offered on it, active, not seller `$2`, and not blocked either way
/// with them; at most `$3`, by name.
const CANDIDATES: &str = "SELECT m.id, m.name FROM members m \
         WHERE m.deleted_at IS NULL AND m.id <> $2 \
           AND (m.id IN (SELECT member_id FROM favourites WHERE product_id = $1) \
                OR m.id IN (SELECT buyer_id FROM offers WHERE product_id = $1)) \
           AND NOT EXISTS (SELECT 1 FROM member_blocks b WHERE (b.blocker_id = $2 AND b.blocked_id = m.id) \
                                                          OR (b.blocker_id = m.id AND b.blocked_id = $2)) \
         ORDER BY m.name LIMIT $3";

/// The members the seller of `product` may name, at most `limit`, by name.
pub async fn candidates(
    db: &Db,
    product: ProductId,
    seller: MemberId,
    limit: i64,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let rows: Vec<(MemberId, String)> = dispatch!(db, pool => {
        sqlx::query_as(CANDIDATES)
            .bind(product)
            .bind(seller)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, name)| Candidate { id, name })
        .collect())
}

/// Names `buyer` for the seller's reserved `product`: one conditional update whose conditions are the
/// rule (the seller's product, reserved, the buyer interested, active and not blocked either way). False
/// when any fails.
pub async fn name_buyer(
    db: &Db,
    product: ProductId,
    seller: MemberId,
    buyer: MemberId,
) -> Result<bool, sqlx::Error> {
    let sql = format!(
        "UPDATE products SET reserved_for = $3 \
         WHERE id = $1 AND seller_id = $2 AND status = $4 AND $3 <> $2 AND {interested} \
           AND EXISTS (SELECT 1 FROM members WHERE id = $3 AND deleted_at IS NULL) AND NOT {blocked}",
        interested = interested_sql(1, 3),
        blocked = between_sql(2, 3),
    );
    dispatch_write!(db, pool => {
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(product)
            .bind(seller)
            .bind(buyer)
            .bind(ProductStatus::Reserved)
            .execute(pool)
            .await?
            .rows_affected();
        Ok(done == 1)
    })
}

/// Who the seller's `product` is reserved for, by name, if anyone.
pub async fn named(db: &Db, product: ProductId) -> Result<Option<String>, sqlx::Error> {
    let name: Option<String> = dispatch!(db, pool => {
        sqlx::query_scalar(
            "SELECT m.name FROM products p JOIN members m ON m.id = p.reserved_for WHERE p.id = $1",
        )
        .bind(product)
        .fetch_optional(pool)
        .await?
    });
    Ok(name)
}
