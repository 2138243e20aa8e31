//! Suspension: an admin stops a member from acting in the market (after reports), and lifts it.
//!
//! A suspended member keeps their account, and trades already under way go on (money is never stranded
//! by a suspension), but every skill that needs a member refuses them (`SkillCall::member`), and their
//! listed products are held off the lists ([`Hold::Suspension`]) until the suspension is lifted.
//!
//! The statements are text for the callers' transactions, so a report's decision and the suspension it
//! makes commit together; [`lift`] runs on its own.

use std::sync::LazyLock;

use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch_write};
use crate::domain::ids::MemberId;
use crate::products::catalog::Catalog;
use crate::products::holds::{Hold, hold_sql, release_sql};

/// Suspends member `$2` at `$1`: an active member not suspended yet.
pub const SUSPEND: &str =
    "UPDATE members SET suspended_at = $1 WHERE id = $2 AND deleted_at IS NULL AND suspended_at IS NULL";

/// Holds the listed products of seller `$3` (`$1` now, `$2` [`Hold::Suspension`]).
pub static HOLD_LISTINGS: LazyLock<String> = LazyLock::new(|| hold_sql("seller_id = $3"));

/// Turns the reports' hold on seller `$3`'s products into the suspension's (`$1` now, `$2`
/// [`Hold::Suspension`], `$4` [`Hold::Reports`]), so lifting the suspension releases them too.
pub const TAKE_OVER_REPORT_HOLDS: &str =
    "UPDATE products SET held_by = $2, updated_at = $1 WHERE seller_id = $3 AND held_by = $4";

static RELEASE_LISTINGS: LazyLock<String> = LazyLock::new(|| release_sql("seller_id = $3"));

/// Lifts `member`'s suspension and lists again the products it held. False when the member was not
/// suspended (a double tap, another admin first).
pub async fn lift(db: &Db, catalog: &Catalog, member: MemberId) -> Result<bool, sqlx::Error> {
    let now = now_ms();
    let lifted = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let lifted = sqlx::query("UPDATE members SET suspended_at = NULL WHERE id = $1 AND suspended_at IS NOT NULL")
            .bind(member)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if lifted {
            sqlx::query(sqlx::AssertSqlSafe(RELEASE_LISTINGS.as_str()))
                .bind(now)
                .bind(Hold::Suspension)
                .bind(member)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        lifted
    });
    Ok(catalog.retire_if(lifted))
}
