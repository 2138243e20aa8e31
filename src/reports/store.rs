//! Reports in the database: filing one (and the hold it may cause), and an admin's decision.

use std::sync::LazyLock;

use super::{Decision, Reason, ReportStatus};
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write, text_set, violates_unique};
use crate::domain::ids::{MemberId, ProductId};
use crate::members::suspension::{HOLD_LISTINGS, SUSPEND, TAKE_OVER_REPORT_HOLDS};
use crate::products::catalog::Catalog;
use crate::products::holds::{HOLD_BY_ADMIN, Hold, hold_sql, release_sql};
use crate::products::model::ProductStatus;

/// What is reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A product (and so its seller).
    Product(ProductId),
    Member(MemberId),
}

/// What [`file`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filed {
    /// The report is in the queue; `held` when it was the one that took the product off the lists.
    Filed { held: bool },
    /// The reporter already has an open report on this target.
    AlreadyReported,
    /// No such product or member to report, or one's own.
    Unavailable,
}

/// A product report, when the product is one others can see and not the reporter's: `$1` reporter,
/// `$2` product, `$3` reason, `$4` now.
static FILE_PRODUCT: LazyLock<String> = LazyLock::new(|| {
    let unseen = text_set([ProductStatus::Deleted].map(ProductStatus::key));
    format!(
        "INSERT INTO reports (reporter_id, product_id, member_id, reason, created_at) \
         SELECT $1, p.id, p.seller_id, $3, $4 FROM products p \
         WHERE p.id = $2 AND p.seller_id <> $1 AND p.status NOT IN {unseen}"
    )
});

/// A member report, of an active member other than the reporter: `$1` reporter, `$2` member, `$3`
/// reason, `$4` now.
const FILE_MEMBER: &str = "INSERT INTO reports (reporter_id, product_id, member_id, reason, created_at) \
     SELECT $1, NULL, m.id, $3, $4 FROM members m WHERE m.id = $2 AND m.id <> $1 AND m.deleted_at IS NULL";

/// Holds product `$3` (`$1` now, `$2` [`Hold::Reports`]) once `$4` different members have open reports on it.
static HOLD_WHEN_REPORTED: LazyLock<String> = LazyLock::new(|| {
    hold_sql(&format!(
        "id = $3 AND (SELECT COUNT(DISTINCT r.reporter_id) FROM reports r \
                      WHERE r.product_id = $3 AND r.status = '{open}') >= $4",
        open = ReportStatus::Open.key()
    ))
});

/// Files `reporter`'s report of `target`. A product report takes the product off the lists (a hold) when
/// it makes `reports_to_hold` different members with open reports on it, in the same transaction.
///
/// The product's row is taken first (a no-op update), so two reports at once on PostgreSQL count each
/// other: the second waits for the first to commit and then sees its report.
pub async fn file(
    db: &Db,
    catalog: &Catalog,
    reporter: MemberId,
    target: Target,
    reason: Reason,
    reports_to_hold: u32,
) -> Result<Filed, sqlx::Error> {
    let now = now_ms();
    let result: Result<Filed, sqlx::Error> = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let (sql, id) = match target {
            Target::Product(product) => {
                sqlx::query("UPDATE products SET updated_at = updated_at WHERE id = $1")
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
                (FILE_PRODUCT.as_str(), product.get())
            }
            Target::Member(member) => (FILE_MEMBER, member.get()),
        };
        let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(reporter)
            .bind(id)
            .bind(reason)
            .bind(now)
            .execute(&mut *tx)
            .await;
        let inserted = match inserted {
            Ok(done) => done.rows_affected(),
            Err(e) if violates_unique(&e, "reports_one_open_per_reporter", "reports_one_open_per_reporter") => {
                break 'write Ok(Filed::AlreadyReported);
            }
            Err(e) => break 'write Err(e),
        };
        if inserted == 0 {
            tx.rollback().await?;
            break 'write Ok(Filed::Unavailable);
        }
        let held = match target {
            Target::Product(product) => {
                sqlx::query(sqlx::AssertSqlSafe(HOLD_WHEN_REPORTED.as_str()))
                    .bind(now)
                    .bind(Hold::Reports)
                    .bind(product)
                    .bind(i64::from(reports_to_hold))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1
            }
            Target::Member(_) => false,
        };
        tx.commit().await?;
        Ok(Filed::Filed { held })
    });
    let filed = result?;
    catalog.retire_if(matches!(filed, Filed::Filed { held: true }));
    Ok(filed)
}

/// What [`decide`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decided {
    /// Decided: `resolved` open reports on the target closed (the report itself among them).
    Done { resolved: u64 },
    /// The report was already decided (by another admin, or a decision on another report of its target).
    NotOpen,
    /// No such report.
    NotFound,
    /// Hiding a product was asked of a member report.
    NotAProductReport,
}

/// Resolves the open reports of member `$4` (and, with `$5` not NULL, of product `$5`; with `$6` true,
/// of member reports only): `$1` status, `$2` now, `$3` admin.
const RESOLVE_TARGET: &str = "UPDATE reports SET status = $1, resolved_at = $2, resolved_by = $3 \
     WHERE status = $7 AND member_id = $4 AND ($5 IS NULL OR product_id = $5) AND (NOT $6 OR product_id IS NULL)";

static RELEASE_REPORTED: LazyLock<String> = LazyLock::new(|| release_sql("id = $3"));

/// Applies `decision` to `report` and to every other open report on the same target, as `admin`:
///
/// - dismiss: the reports close; a product the reports held is listed again;
/// - hide the product: it is held for good ([`Hold::Admin`]; an admin may release it);
/// - suspend the member: every open report on the member closes, they are suspended and their listed
///   products held until the suspension is lifted (a product the reports held included).
///
/// One transaction whose first statement closes the report only if it is still open, so of two admins
/// deciding at once one decides and the other is told it was decided.
pub async fn decide(
    db: &Db,
    catalog: &Catalog,
    report: i64,
    decision: Decision,
    admin: &str,
) -> Result<Decided, sqlx::Error> {
    let Some(target) = target_of(db, report).await? else {
        return Ok(Decided::NotFound);
    };
    if decision == Decision::HideProduct && target.product.is_none() {
        return Ok(Decided::NotAProductReport);
    }
    let status = match decision {
        Decision::Dismiss => ReportStatus::Dismissed,
        Decision::HideProduct | Decision::SuspendMember => ReportStatus::Actioned,
    };
    let now = now_ms();
    let decided = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let closed = sqlx::query("UPDATE reports SET status = $1, resolved_at = $2, resolved_by = $3 WHERE id = $4 AND status = $5")
            .bind(status)
            .bind(now)
            .bind(admin)
            .bind(report)
            .bind(ReportStatus::Open)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if closed == 0 {
            tx.rollback().await?;
            break 'write Ok::<_, sqlx::Error>(Decided::NotOpen);
        }
        // A suspension answers every report on the member; the other decisions, those on the same product
        // (or, for a member report, the member's other member reports).
        let (product, member_reports_only) = match decision {
            Decision::SuspendMember => (None, false),
            _ => (target.product, target.product.is_none()),
        };
        let siblings = sqlx::query(RESOLVE_TARGET)
            .bind(status)
            .bind(now)
            .bind(admin)
            .bind(target.member)
            .bind(product)
            .bind(member_reports_only)
            .bind(ReportStatus::Open)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        match (decision, target.product) {
            (Decision::Dismiss, Some(product)) => {
                sqlx::query(sqlx::AssertSqlSafe(RELEASE_REPORTED.as_str()))
                    .bind(now)
                    .bind(Hold::Reports)
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
            }
            (Decision::Dismiss, None) => {}
            (Decision::HideProduct, product) => {
                sqlx::query(sqlx::AssertSqlSafe(HOLD_BY_ADMIN.as_str()))
                    .bind(now)
                    .bind(Hold::Admin)
                    .bind(product)
                    .execute(&mut *tx)
                    .await?;
            }
            (Decision::SuspendMember, _) => {
                sqlx::query(SUSPEND).bind(now).bind(target.member).execute(&mut *tx).await?;
                sqlx::query(TAKE_OVER_REPORT_HOLDS)
                    .bind(now)
                    .bind(Hold::Suspension)
                    .bind(target.member)
                    .bind(Hold::Reports)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(HOLD_LISTINGS.as_str()))
                    .bind(now)
                    .bind(Hold::Suspension)
                    .bind(target.member)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(Decided::Done { resolved: closed + siblings })
    })?;
    // Any decision may have listed, hidden or held products.
    catalog.retire_if(matches!(decided, Decided::Done { .. }));
    Ok(decided)
}

/// Who a report is about.
#[derive(Clone, Copy, Debug)]
struct ReportTarget {
    product: Option<ProductId>,
    member: MemberId,
}

async fn target_of(db: &Db, report: i64) -> Result<Option<ReportTarget>, sqlx::Error> {
    let row: Option<(Option<ProductId>, MemberId)> = dispatch!(db, pool => {
        sqlx::query_as("SELECT product_id, member_id FROM reports WHERE id = $1")
            .bind(report)
            .fetch_optional(pool)
            .await?
    });
    Ok(row.map(|(product, member)| ReportTarget { product, member }))
}
