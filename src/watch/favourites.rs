//! 찜: the products a member saved, to find them again and to hear when their price drops, they sell, or
//! they come back on sale.
//!
//! A member saves someone else's product that others may see (not hidden, not deleted); the condition is
//! part of the insert, so a product hidden a moment ago is not saved. Their list shows what is still
//! public, newest saved first, with each product's current status, so a sold one reads as sold.

use std::fmt;

use sqlx::FromRow;

use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::{MemberId, ProductId};
use crate::products::model::ProductStatus;

/// What [`save`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Saved {
    Saved,
    /// It was saved already: nothing changed.
    AlreadySaved,
    /// Not a product the member may save: unknown, hidden, deleted, their own, or the member withdrew.
    Refused,
}

/// Saves the product for the member, when it is someone else's and public.
pub async fn save(db: &Db, member_id: MemberId, product_id: ProductId) -> Result<Saved, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let inserted = sqlx::query(
            "INSERT INTO favourites (member_id, product_id, created_at) \
             SELECT m.id, p.id, $3 FROM products p JOIN members m ON m.id = $1 \
             WHERE p.id = $2 AND p.seller_id <> m.id AND m.deleted_at IS NULL AND p.status NOT IN ($4, $5) \
             ON CONFLICT (member_id, product_id) DO NOTHING",
        )
        .bind(member_id)
        .bind(product_id)
        .bind(now_ms())
        .bind(ProductStatus::Hidden)
        .bind(ProductStatus::Deleted)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let outcome = if inserted == 1 {
            Saved::Saved
        } else {
            let (already,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM favourites WHERE member_id = $1 AND product_id = $2")
                    .bind(member_id)
                    .bind(product_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if already > 0 { Saved::AlreadySaved } else { Saved::Refused }
        };
        tx.commit().await?;
        Ok(outcome)
    })
}

/// Forgets the member's saved product; false when it was not saved (removed already).
pub async fn remove(db: &Db, member_id: MemberId, product_id: ProductId) -> Result<bool, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query("DELETE FROM favourites WHERE member_id = $1 AND product_id = $2")
            .bind(member_id)
            .bind(product_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed == 1)
    })
}

/// A saved product as the member's list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedProduct {
    pub id: ProductId,
    pub name: String,
    pub price: i64,
    pub status: ProductStatus,
    /// When the member saved it.
    pub saved_at: i64,
}

/// Where a page of a member's saved products ends: when the last one was saved, and its id (two saved
/// in one millisecond still page apart).
///
/// It travels through the chat as text (`clientExtra.cursor`), which the user controls; [`SavedCursor::parse`]
/// accepts only what [`fmt::Display`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SavedCursor {
    saved_at: i64,
    product_id: i64,
}

impl SavedCursor {
    fn after(saved: &SavedProduct) -> Self {
        Self {
            saved_at: saved.saved_at,
            product_id: saved.id.get(),
        }
    }

    /// Reads `saved_at.product_id` (e.g. `1767225600000.42`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (saved_at, product_id) = text.trim().split_once('.')?;
        let number = |part: &str| -> Option<i64> {
            let digits = !part.is_empty() && part.len() <= 19 && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        };
        let cursor = Self {
            saved_at: number(saved_at)?,
            product_id: number(product_id)?,
        };
        (cursor.product_id > 0).then_some(cursor)
    }
}

impl fmt::Display for SavedCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.saved_at, self.product_id)
    }
}

/// One page of a member's saved products.
#[derive(Clone, Debug, PartialEq)]
pub struct SavedPage {
    pub items: Vec<SavedProduct>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<SavedCursor>,
}

#[derive(FromRow)]
struct SavedRow {
    id: ProductId,
    name: String,
    price: i64,
    status: String,
    saved_at: i64,
}

/// The rows of the list, hidden and deleted products left out (a seller who hid one took it away from
/// everyone); `$2`, `$3` are those statuses and `$4` the number of rows.
macro_rules! saved_products {
    ($after:literal) => {
        concat!(
            "SELECT p.id, p.name, p.price, p.status, f.created_at AS saved_at \
             FROM favourites f JOIN products p ON p.id = f.product_id \
             WHERE f.member_id = $1 AND p.status NOT IN ($2, $3) ",
            $after,
            " ORDER BY f.created_at DESC, f.product_id DESC LIMIT $4"
        )
    };
}

/// Up to `per_page` of the member's saved products after `cursor` (from the newest without one). One
/// more row than asked is read to know whether a next page exists.
pub async fn list(
    db: &Db,
    member_id: MemberId,
    cursor: Option<SavedCursor>,
    per_page: usize,
) -> Result<SavedPage, sqlx::Error> {
    let fetch = i64::try_from(per_page + 1).unwrap_or(i64::MAX);
    let rows: Vec<SavedRow> = dispatch!(db, pool => {
        let query = |sql| {
            sqlx::query_as(sql)
                .bind(member_id)
                .bind(ProductStatus::Hidden)
                .bind(ProductStatus::Deleted)
                .bind(fetch)
        };
        match cursor {
            None => query(saved_products!("")).fetch_all(pool).await?,
            Some(c) => query(saved_products!(
                "AND (f.created_at < $5 OR (f.created_at = $5 AND f.product_id < $6))"
            ))
            .bind(c.saved_at)
            .bind(c.product_id)
            .fetch_all(pool)
            .await?,
        }
    });
    let mut items = rows
        .into_iter()
        .map(|row| {
            let status = ProductStatus::parse(&row.status)
                .ok_or_else(|| sqlx::Error::Decode(format!("product {}: bad status", row.id).into()))?;
            Ok(SavedProduct {
                id: row.id,
                name: row.name,
                price: row.price,
                status,
                saved_at: row.saved_at,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let more = items.len() > per_page;
    items.truncate(per_page);
    let next = if more {
        items.last().map(SavedCursor::after)
    } else {
        None
    };
    Ok(SavedPage { items, next })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_what_it_writes() {
        let cursor = SavedCursor {
            saved_at: 1_767_225_600_000,
            product_id: 42,
        };
        assert_eq!(cursor.to_string(), "1767225600000.42");
        assert_eq!(SavedCursor::parse(&cursor.to_string()), Some(cursor));
        for bad in [
            "",
            "42",
            "1.0",
            "-1.2",
            "1.2.3",
            "a.b",
            "1.",
            ".2",
            "99999999999999999999.1",
        ] {
            assert_eq!(SavedCursor::parse(bad), None, "{bad}");
        }
    }
}
