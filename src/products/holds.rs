//! Holds: the market, not the seller, takes a product off the lists.
//!
//! A held product has the status `hidden` and remembers the status it had (`held_from`); while held, the
//! state machine leaves it alone ([`super::store::change_status`] requires `held_at IS NULL`), so its seller
//! cannot show it again. Releasing it restores `held_from`. Reports, admins and suspensions hold products
//! ([`Hold`]); each releases only its own kind of hold.
//!
//! The statements are text for the callers' transactions (a report and the hold it causes commit together).

use std::sync::LazyLock;

use super::catalog::Catalog;
use super::model::ProductStatus;
use crate::clock::now_ms;
use crate::db::{Db, dispatch_write, text_set};
use crate::domain::ids::ProductId;

/// Why the market holds a product off the lists (`products.held_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Hold {
    /// `REPORTS_TO_HOLD` open reports from different members: until an admin looks.
    Reports,
    /// An admin hid it after a report: until an admin releases it.
    Admin,
    /// Its seller is suspended: until the suspension is lifted.
    Suspension,
}

impl Hold {
    pub const ALL: [Hold; 3] = [Self::Reports, Self::Admin, Self::Suspension];

    pub fn key(self) -> &'static str {
        match self {
            Self::Reports => "reports",
            Self::Admin => "admin",
            Self::Suspension => "suspension",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|h| h.key() == key)
    }

    /// Said to the seller on the product's detail.
    pub fn label(self) -> &'static str {
        match self {
            Self::Reports => "신고가 여러 번 접수되어 운영자가 확인하는 동안 목록에서 내렸어요.",
            Self::Admin => "운영 정책에 따라 운영자가 숨긴 상품이에요.",
            Self::Suspension => "계정 이용이 제한되어 목록에서 내렸어요.",
        }
    }
}

crate::db::text_column!(Hold, key);

/// Holds the listed, unheld products matching `condition`: `$1` now, `$2` the [`Hold`]; the condition's
/// own parameters start at `$3`.
pub fn hold_sql(condition: &str) -> String {
    format!(
        "UPDATE products SET held_from = status, status = '{hidden}', held_at = $1, held_by = $2, updated_at = $1 \
         WHERE status IN {listed} AND held_at IS NULL AND {condition}",
        hidden = ProductStatus::Hidden.key(),
        listed = text_set(ProductStatus::LISTED.map(ProductStatus::key)),
    )
}

/// An admin's hold of product `$3` (`$1` now, `$2` [`Hold::Admin`]): a product held for another reason
/// keeps its `held_from`, one its seller had hidden is held as hidden; sold or deleted ones are left.
pub static HOLD_BY_ADMIN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE products SET held_from = CASE WHEN held_at IS NULL THEN status ELSE held_from END, \
                status = '{hidden}', held_at = COALESCE(held_at, $1), held_by = $2, updated_at = $1 \
         WHERE id = $3 AND (held_at IS NOT NULL OR status IN {holdable})",
        hidden = ProductStatus::Hidden.key(),
        holdable = text_set(
            [
                ProductStatus::OnSale,
                ProductStatus::Reserved,
                ProductStatus::Hidden
            ]
            .map(ProductStatus::key)
        ),
    )
});

/// Releases the products matching `condition` that are held by `$2` (`$1` now), restoring their status;
/// the condition's own parameters start at `$3`.
pub fn release_sql(condition: &str) -> String {
    format!(
        "UPDATE products SET status = held_from, held_from = NULL, held_at = NULL, held_by = NULL, updated_at = $1 \
         WHERE held_by = $2 AND held_at IS NOT NULL AND {condition}"
    )
}

static RELEASE_ONE: LazyLock<String> = LazyLock::new(|| release_sql("id = $3"));

/// An admin releases `product` from a hold of kind `hold` (reports or admin: a suspension is lifted on
/// the member). False when it was not held so.
pub async fn release(
    db: &Db,
    catalog: &Catalog,
    product: ProductId,
    hold: Hold,
) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let released = dispatch_write!(db, pool => {
        let done = sqlx::query(sqlx::AssertSqlSafe(RELEASE_ONE.as_str()))
            .bind(now)
            .bind(hold)
            .bind(product)
            .execute(pool)
            .await?
            .rows_affected();
        done == 1
    });
    Ok(catalog.retire_if(released))
}
