//! Reports (신고) for admins: the queue, and the decision on a report — dismiss it, hide the product, or
//! suspend the member. The rules and the holds are in [`crate::reports`]; a decision answers every open
//! report on the same target.

use std::sync::LazyLock;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::{IntoParams, ToSchema};

use super::audit::{self, Entry};
use super::listing::{self, Arg, Filter, Paged, Paging, refuse_if_any};
use super::{AdminOnly, AdminState, ApiError, ApiJson, ApiPath, ApiQuery, FieldError, Problem, Viewer};
use crate::bind_args;
use crate::db::{Db, dispatch};
use crate::reports::store::{self, Decided};
use crate::reports::{Decision, Reason, ReportStatus};

/// A report as admins see it, with its target and how many open reports the target has.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReportDto {
    pub id: i64,
    /// `fraud`, `prohibited`, `misleading`, `abusive` or `spam`.
    #[schema(example = "fraud")]
    pub reason: String,
    #[schema(example = "사기 의심")]
    pub reason_label: String,
    /// `open`, `dismissed` or `actioned`.
    #[schema(example = "open")]
    pub status: String,
    /// `product` or `member`.
    #[schema(example = "product")]
    pub target: String,
    pub product_id: Option<i64>,
    pub product_name: Option<String>,
    /// The product's status now.
    pub product_status: Option<String>,
    /// Why the market holds the product off the lists, if it does: `reports`, `admin` or `suspension`.
    pub product_held_by: Option<String>,
    /// The reported member (a product report's seller).
    pub member_id: i64,
    pub member_name: String,
    /// Whether the reported member is suspended now.
    pub member_suspended: bool,
    pub reporter_id: i64,
    pub reporter_name: String,
    /// Open reports on the same target (this one included while open).
    pub open_on_target: i64,
    /// Unix milliseconds (UTC).
    pub created_at: i64,
    pub resolved_at: Option<i64>,
    /// The admin account that decided.
    pub resolved_by: Option<String>,
}

listing::page_of!(
    /// A page of reports.
    ReportPage,
    ReportDto
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportFilter {
    /// `open` (the default), `dismissed`, `actioned` or `all`.
    pub status: Option<String>,
    /// `product` or `member`.
    pub target: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// `dismiss`, `hide_product` (product reports only) or `suspend_member`.
    #[schema(example = "dismiss")]
    pub decision: String,
}

#[derive(FromRow)]
struct ReportRow {
    id: i64,
    reason: String,
    status: String,
    product_id: Option<i64>,
    product_name: Option<String>,
    product_status: Option<String>,
    product_held_by: Option<String>,
    member_id: i64,
    member_name: String,
    member_suspended_at: Option<i64>,
    reporter_id: i64,
    reporter_name: String,
    open_on_target: i64,
    created_at: i64,
    resolved_at: Option<i64>,
    resolved_by: Option<String>,
}

impl From<ReportRow> for ReportDto {
    fn from(r: ReportRow) -> Self {
        Self {
            id: r.id,
            reason_label: Reason::parse(&r.reason).map_or_else(|| r.reason.clone(), |x| x.label().to_owned()),
            reason: r.reason,
            status: r.status,
            target: if r.product_id.is_some() {
                "product"
            } else {
                "member"
            }
            .into(),
            product_id: r.product_id,
            product_name: r.product_name,
            product_status: r.product_status,
            product_held_by: r.product_held_by,
            member_id: r.member_id,
            member_name: r.member_name,
            member_suspended: r.member_suspended_at.is_some(),
            reporter_id: r.reporter_id,
            reporter_name: r.reporter_name,
            open_on_target: r.open_on_target,
            created_at: r.created_at,
            resolved_at: r.resolved_at,
            resolved_by: r.resolved_by,
        }
    }
}

/// A report with its target. The open status of the sub-query is written into the text from its enum, so
/// the statement's parameters are the list filter's alone.
static SELECT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.id, r.reason, r.status, r.product_id, p.name AS product_name, \
                p.status AS product_status, p.held_by AS product_held_by, r.member_id, m.name AS member_name, \
                m.suspended_at AS member_suspended_at, r.reporter_id, rm.name AS reporter_name, \
                (SELECT COUNT(*) FROM reports o WHERE o.status = '{open}' AND o.member_id = r.member_id \
                   AND COALESCE(o.product_id, 0) = COALESCE(r.product_id, 0)) AS open_on_target, \
                r.created_at, r.resolved_at, r.resolved_by \
         FROM reports r \
         JOIN members m ON m.id = r.member_id \
         JOIN members rm ON rm.id = r.reporter_id \
         LEFT JOIN products p ON p.id = r.product_id",
        open = ReportStatus::Open.key()
    )
});

fn report_filter(query: &ReportFilter) -> Result<(Filter, Paging), ApiError> {
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    match query.status.as_deref().map(str::trim) {
        Some("all") => {}
        None => filter.push(Arg::Text(ReportStatus::Open.key().into()), |p| {
            format!("r.status = {p}")
        }),
        Some(key) => match ReportStatus::parse(key) {
            Some(status) => filter.push(Arg::Text(status.key().into()), |p| format!("r.status = {p}")),
            None => errors.push(FieldError::new("status", "open, dismissed, actioned or all")),
        },
    }
    match query.target.as_deref().map(str::trim) {
        None => {}
        Some("product") => filter.push_fixed("r.product_id IS NOT NULL"),
        Some("member") => filter.push_fixed("r.product_id IS NULL"),
        Some(_) => errors.push(FieldError::new("target", "product or member")),
    }
    let paging = Paging::parse(query.page, query.per_page, &mut errors);
    refuse_if_any(errors)?;
    Ok((filter, paging))
}

/// Reports, the oldest first (a queue), open ones unless `status` says otherwise.
#[utoipa::path(
    get,
    path = "/admin/reports",
    operation_id = "list_reports",
    tag = "reports",
    params(ReportFilter),
    responses(
        (status = 200, description = "A page of reports", body = ReportPage),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter or page value out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiQuery(query): ApiQuery<ReportFilter>,
) -> Result<Json<ReportPage>, ApiError> {
    let db = &state.app.db;
    let (mut filter, paging) = report_filter(&query)?;
    let total = listing::count(db, "reports r", &filter).await?;
    let sql = format!(
        "{}{} ORDER BY r.id{}",
        SELECT.as_str(),
        filter.where_clause(),
        filter.limit(paging)
    );
    let rows: Vec<ReportRow> = dispatch!(db, pool => {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &filter.args).fetch_all(pool).await?
    });
    let items = rows.into_iter().map(ReportDto::from).collect();
    Ok(Json(Paged::new(items, paging, total).into()))
}

async fn find(db: &Db, id: i64) -> Result<ReportDto, ApiError> {
    let sql = format!("{} WHERE r.id = $1", SELECT.as_str());
    let row: Option<ReportRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(id)
            .fetch_optional(pool)
            .await?
    });
    row.map(ReportDto::from)
        .ok_or_else(|| ApiError::NotFound(format!("no report {id}")))
}

/// Decides a report, and with it every open report on the same target: `dismiss` (a product the reports
/// held is listed again), `hide_product` (held for good; product reports only) or `suspend_member`
/// (their listed products held, the skills refuse them; trades under way go on).
#[utoipa::path(
    post,
    path = "/admin/reports/{id}/decision",
    operation_id = "decide_report",
    tag = "reports",
    params(("id" = i64, Path, description = "Report id")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "The report, decided", body = ReportDto),
        (status = 400, description = "Not a JSON decision", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or hide_product on a member report", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a decision", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<DecisionRequest>,
) -> Result<Json<ReportDto>, ApiError> {
    let Some(decision) = Decision::parse(&body.decision) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "decision",
            "dismiss, hide_product or suspend_member",
        )]));
    };
    let db = &state.app.db;
    let before = find(db, id).await?;
    match store::decide(db, &state.app.catalog, id, decision, &claims.username).await? {
        Decided::Done { .. } => {}
        Decided::NotFound => return Err(ApiError::NotFound(format!("no report {id}"))),
        Decided::NotOpen => {
            return Err(ApiError::Conflict(format!("report {id} was already decided")));
        }
        Decided::NotAProductReport => {
            return Err(ApiError::Conflict(format!(
                "report {id} is about a member: hide_product needs a product report"
            )));
        }
    }
    let after = find(db, id).await?;
    let entry = Entry::new(decision_action(decision), "report", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, &claims, &entry).await?;
    Ok(Json(after))
}

fn decision_action(decision: Decision) -> &'static str {
    match decision {
        Decision::Dismiss => "report.dismiss",
        Decision::HideProduct => "report.hide_product",
        Decision::SuspendMember => "report.suspend_member",
    }
}
