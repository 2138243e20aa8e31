//! 끌어올리기 (bump): the seller moves a product on sale back to the top of the lists.
//!
//! Lists are ordered by `listed_at` (see [`super::model::ListCursor`]); a bump sets it to now. The whole
//! rule — the seller's own product, on sale, listed at least one interval ago — is the condition of one
//! update, so a bump racing a status change or a second bump either applies to a product on sale or not
//! at all, and two bumps at once move it once.

use std::sync::LazyLock;
use std::time::Duration;

use super::catalog::Catalog;
use super::model::ProductStatus;
use crate::clock::now_ms;
use crate::db::{Db, dispatch, dispatch_write};
use crate::domain::ids::{MemberId, ProductId};

/// What [`bump`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bumped {
    /// The product is at the top of the lists now.
    Done,
    /// Listed (registered or bumped) too recently: the next bump is possible after `wait`.
    TooSoon { wait: Duration },
    /// Not on sale (reserved, hidden, sold, …): only a product on sale is bumped.
    NotOnSale(ProductStatus),
    /// No such product of this seller.
    NotFound,
}

/// The bump, its conditions written out. The status is formatted from its key rather than bound (see
/// `crate::db::text_set` on partial indexes).
static BUMP: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE products SET listed_at = $1, updated_at = $1 \
         WHERE id = $2 AND seller_id = $3 AND status = '{}' AND listed_at <= $4",
        ProductStatus::OnSale.key()
    )
});

/// Bumps the seller's product when it is on sale and was listed at least `interval` ago.
pub async fn bump(
    db: &Db,
    catalog: &Catalog,
    product: ProductId,
    seller: MemberId,
    interval: Duration,
) -> Result<Bumped, sqlx::Error> {
    let now = now_ms();
    let interval_ms = i64::try_from(interval.as_millis()).unwrap_or(i64::MAX);
    let moved = dispatch_write!(db, pool => {
        let done = sqlx::query(sqlx::AssertSqlSafe(BUMP.as_str()))
            .bind(now)
            .bind(product)
            .bind(seller)
            .bind(now.saturating_sub(interval_ms))
            .execute(pool)
            .await?
            .rows_affected();
        done == 1
    });
    if catalog.retire_if(moved) {
        return Ok(Bumped::Done);
    }
    why_not(db, product, seller, now, interval_ms).await
}

/// Why a bump did not apply, read after the fact (only the answer's wording depends on it).
async fn why_not(
    db: &Db,
    product: ProductId,
    seller: MemberId,
    now: i64,
    interval_ms: i64,
) -> Result<Bumped, sqlx::Error> {
    let row: Option<(String, i64)> = dispatch!(db, pool => {
        sqlx::query_as("SELECT status, listed_at FROM products WHERE id = $1 AND seller_id = $2")
            .bind(product)
            .bind(seller)
            .fetch_optional(pool)
            .await?
    });
    let Some((status, listed_at)) = row else {
        return Ok(Bumped::NotFound);
    };
    Ok(match ProductStatus::parse(&status) {
        Some(ProductStatus::OnSale) => {
            let wait_ms = listed_at.saturating_add(interval_ms).saturating_sub(now).max(0);
            Bumped::TooSoon {
                wait: Duration::from_millis(u64::try_from(wait_ms).unwrap_or(0)),
            }
        }
        Some(ProductStatus::Deleted) | None => Bumped::NotFound,
        Some(other) => Bumped::NotOnSale(other),
    })
}

/// "3시간 20분" / "15분" / "1분": how long until the next bump, rounded up to the minute.
pub fn wait_text(wait: Duration) -> String {
    let minutes = wait.as_secs().div_ceil(60).max(1);
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m}분"),
        (h, 0) => format!("{h}시간"),
        (h, m) => format!("{h}시간 {m}분"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_reads_in_hours_and_minutes_rounded_up() {
        assert_eq!(wait_text(Duration::from_secs(0)), "1분");
        assert_eq!(wait_text(Duration::from_secs(59)), "1분");
        assert_eq!(wait_text(Duration::from_secs(61)), "2분");
        assert_eq!(wait_text(Duration::from_secs(3_600)), "1시간");
        assert_eq!(wait_text(Duration::from_secs(12_000)), "3시간 20분");
        assert_eq!(wait_text(Duration::from_secs(86_399)), "24시간");
    }
}
