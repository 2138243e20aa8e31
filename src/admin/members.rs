//! Members for admins: the list with filters, one member, the grade, and deactivation.
//!
//! Deactivation is the member's own withdrawal (`members::store::withdraw`), so it follows the same
//! rules: refused while the member has an open trade, phone number erased, listings taken down.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::{IntoParams, ToSchema};

use super::accounts::Role;
use super::audit::{self, Entry};
use super::listing::{self, Arg, Filter, Paged, Paging, refuse_if_any};
use super::{AdminOnly, AdminState, ApiError, ApiJson, ApiPath, ApiQuery, FieldError, Problem, Viewer};
use crate::bind_args;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::MemberId;
use crate::domain::member::PhoneNumber;
use crate::members::Grade;
use crate::members::store::{self, WithdrawOutcome};
use crate::members::suspension;

/// A member as admins see it. The Kakao user key is left out: the old system used it as an admin
/// password, and no admin task needs it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MemberDto {
    pub id: i64,
    pub name: String,
    /// In full for admins, with the middle block masked for viewers; absent once withdrawn.
    #[schema(example = "010-****-5678")]
    pub phone: Option<String>,
    /// `bronze`, `silver`, `platinum` or `diamond`.
    #[schema(example = "bronze")]
    pub grade: String,
    #[schema(example = "브론즈")]
    pub grade_label: String,
    /// `active` or `withdrawn`.
    #[schema(example = "active")]
    pub status: String,
    /// Unix milliseconds (UTC).
    pub joined_at: i64,
    /// Unix milliseconds (UTC) of the withdrawal.
    pub withdrawn_at: Option<i64>,
    /// Unix milliseconds (UTC) since when the member is suspended (after reports), if they are.
    pub suspended_at: Option<i64>,
}

listing::page_of!(
    /// A page of members.
    MemberPage,
    MemberDto
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberFilter {
    /// Part of the member's name.
    pub name: Option<String>,
    /// `bronze`, `silver`, `platinum` or `diamond`.
    pub grade: Option<String>,
    /// `active` or `withdrawn`; both when absent.
    pub status: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct GradeRequest {
    /// `bronze`, `silver`, `platinum` or `diamond`.
    #[schema(example = "silver")]
    pub grade: String,
}

#[derive(Clone, FromRow)]
struct MemberRow {
    id: i64,
    name: String,
    phone: Option<String>,
    grade: String,
    created_at: i64,
    deleted_at: Option<i64>,
    suspended_at: Option<i64>,
}

impl MemberRow {
    /// The DTO for `role`: viewers get the phone number masked.
    fn dto(&self, role: Role) -> MemberDto {
        let phone = self.phone.as_deref().and_then(|p| PhoneNumber::parse(p).ok());
        let grade = Grade::parse(&self.grade);
        MemberDto {
            id: self.id,
            name: self.name.clone(),
            phone: phone.map(|p| match role {
                Role::Admin => p.formatted(),
                Role::Viewer => p.masked(),
            }),
            grade: self.grade.clone(),
            grade_label: grade.map_or_else(|| self.grade.clone(), |g| g.label().to_owned()),
            status: if self.deleted_at.is_some() {
                "withdrawn"
            } else {
                "active"
            }
            .into(),
            joined_at: self.created_at,
            withdrawn_at: self.deleted_at,
            suspended_at: self.suspended_at,
        }
    }
}

const COLUMNS: &str = "id, name, phone, grade, created_at, deleted_at, suspended_at";

/// The conditions of `query`, or the fields it got wrong.
fn member_filter(db: &Db, query: &MemberFilter) -> Result<(Filter, Paging), ApiError> {
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    if let Some(name) = query.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        filter.push_contains(db, "name", name.to_owned());
    }
    if let Some(grade) = query.grade.as_deref() {
        match Grade::parse(grade.trim()) {
            Some(grade) => filter.push(Arg::Text(grade.as_str().into()), |p| format!("grade = {p}")),
            None => errors.push(FieldError::new("grade", "bronze, silver, platinum or diamond")),
        }
    }
    match query.status.as_deref().map(str::trim) {
        None => {}
        Some("active") => filter.push_fixed("deleted_at IS NULL"),
        Some("withdrawn") => filter.push_fixed("deleted_at IS NOT NULL"),
        Some(_) => errors.push(FieldError::new("status", "active or withdrawn")),
    }
    let paging = Paging::parse(query.page, query.per_page, &mut errors);
    refuse_if_any(errors)?;
    Ok((filter, paging))
}

/// Members, newest first, filtered by name, grade and status.
#[utoipa::path(
    get,
    path = "/admin/members",
    operation_id = "list_members",
    tag = "members",
    params(MemberFilter),
    responses(
        (status = 200, description = "A page of members", body = MemberPage),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter or page value out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    Viewer(claims): Viewer,
    ApiQuery(query): ApiQuery<MemberFilter>,
) -> Result<Json<MemberPage>, ApiError> {
    let db = &state.app.db;
    let (mut filter, paging) = member_filter(db, &query)?;
    let total = listing::count(db, "members", &filter).await?;
    let sql = format!(
        "SELECT {COLUMNS} FROM members{} ORDER BY id DESC{}",
        filter.where_clause(),
        filter.limit(paging)
    );
    let rows: Vec<MemberRow> = dispatch!(db, pool => {
        bind_args!(sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())), &filter.args).fetch_all(pool).await?
    });
    let items = rows.iter().map(|r| r.dto(claims.role)).collect();
    Ok(Json(Paged::new(items, paging, total).into()))
}

async fn find(db: &Db, id: i64) -> Result<MemberRow, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM members WHERE id = $1");
    let row: Option<MemberRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(pool).await?
    });
    row.ok_or_else(|| ApiError::NotFound(format!("no member {id}")))
}

/// One member, active or withdrawn.
#[utoipa::path(
    get,
    path = "/admin/members/{id}",
    operation_id = "get_member",
    tag = "members",
    params(("id" = i64, Path, description = "Member id")),
    responses(
        (status = 200, description = "The member", body = MemberDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AdminState>,
    Viewer(claims): Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MemberDto>, ApiError> {
    Ok(Json(find(&state.app.db, id).await?.dto(claims.role)))
}

/// Awards a grade. Withdrawn members keep theirs (409).
#[utoipa::path(
    patch,
    path = "/admin/members/{id}/grade",
    operation_id = "set_member_grade",
    tag = "members",
    params(("id" = i64, Path, description = "Member id")),
    request_body = GradeRequest,
    responses(
        (status = 200, description = "The member with the new grade", body = MemberDto),
        (status = 400, description = "Not a JSON grade request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The member has withdrawn", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a grade", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_grade(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<GradeRequest>,
) -> Result<Json<MemberDto>, ApiError> {
    let Some(grade) = Grade::parse(body.grade.trim()) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "grade",
            "bronze, silver, platinum or diamond",
        )]));
    };
    let db = &state.app.db;
    let before = find(db, id).await?;
    let mut after = before.clone();
    after.grade = grade.as_str().into();
    // The audit log keeps the masked form whoever asked: it is read by viewers too.
    let entry = Entry::new("member.grade", "member", Some(id))
        .before(&before.dto(Role::Viewer))
        .after(&after.dto(Role::Viewer));
    let changed = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let done = sqlx::query(
            "UPDATE members SET grade = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(grade.as_str())
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            audit::record_in(&mut *tx, &claims, &entry).await?;
            tx.commit().await?;
        }
        done == 1
    });
    if !changed {
        return Err(ApiError::Conflict(format!("member {id} has withdrawn")));
    }
    Ok(Json(find(db, id).await?.dto(claims.role)))
}

/// Withdraws a member on their behalf: refused (409) while they have an open trade or already left.
#[utoipa::path(
    post,
    path = "/admin/members/{id}/deactivate",
    operation_id = "deactivate_member",
    tag = "members",
    params(("id" = i64, Path, description = "Member id")),
    responses(
        (status = 200, description = "The member, now withdrawn", body = MemberDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Open trades, or already withdrawn", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deactivate(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MemberDto>, ApiError> {
    let db = &state.app.db;
    let before = find(db, id).await?;
    match store::withdraw(db, &state.app.catalog, MemberId::new(id)).await? {
        WithdrawOutcome::Withdrawn => {}
        WithdrawOutcome::OpenTrades(open) => {
            return Err(ApiError::Conflict(format!(
                "member {id} has {open} open trade(s); settle them first"
            )));
        }
        WithdrawOutcome::NotActive => {
            return Err(ApiError::Conflict(format!("member {id} has already withdrawn")));
        }
    }
    let after = find(db, id).await?;
    let entry = Entry::new("member.deactivate", "member", Some(id))
        .before(&before.dto(Role::Viewer))
        .after(&after.dto(Role::Viewer));
    audit::record(db, &claims, &entry).await?;
    Ok(Json(after.dto(claims.role)))
}

/// Lifts a member's suspension; the products it held are listed again. 409 when not suspended.
#[utoipa::path(
    post,
    path = "/admin/members/{id}/unsuspend",
    operation_id = "unsuspend_member",
    tag = "members",
    params(("id" = i64, Path, description = "Member id")),
    responses(
        (status = 200, description = "The member, no longer suspended", body = MemberDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The member is not suspended", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unsuspend(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<MemberDto>, ApiError> {
    let db = &state.app.db;
    let before = find(db, id).await?;
    if !suspension::lift(db, &state.app.catalog, MemberId::new(id)).await? {
        return Err(ApiError::Conflict(format!("member {id} is not suspended")));
    }
    let after = find(db, id).await?;
    let entry = Entry::new("member.unsuspend", "member", Some(id))
        .before(&before.dto(Role::Viewer))
        .after(&after.dto(Role::Viewer));
    audit::record(db, &claims, &entry).await?;
    Ok(Json(after.dto(claims.role)))
}
