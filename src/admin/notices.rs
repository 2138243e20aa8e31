//! Notices for admins: create, list, read, edit, change status (pin, publish, hide), delete.
//!
//! Content is checked by the notices model ([`NewNotice::parse`]), the same check the store applies on
//! the way out, so whatever an admin saves renders as a card Kakao accepts. New notices start hidden:
//! they are shown in the chat only once published.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::{self, Entry};
use super::listing::{self, Arg, Filter, Paged, Paging, refuse_if_any};
use super::{AdminOnly, AdminState, ApiError, ApiJson, ApiPath, ApiQuery, FieldError, Problem, Viewer};
use crate::db::Db;
use crate::notices::store::{self, StatusChange};
use crate::notices::{NewNotice, Notice, NoticeInput, NoticeKind, NoticeStatus};

/// A notice as admins see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeDto {
    pub id: i64,
    /// `text` or `image`.
    #[schema(example = "text")]
    pub kind: String,
    pub title: String,
    pub body: String,
    pub image_url: Option<String>,
    pub link_label: Option<String>,
    pub link_url: Option<String>,
    /// `main`, `published`, `hidden` or `deleted`.
    #[schema(example = "published")]
    pub status: String,
    pub status_label: String,
    /// Unix milliseconds (UTC).
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<&Notice> for NoticeDto {
    fn from(n: &Notice) -> Self {
        let link = n.content.link();
        Self {
            id: n.id,
            kind: n.kind().as_str().into(),
            title: n.title().into(),
            body: n.body().into(),
            image_url: n.content.image_url().map(|u| u.as_str().to_owned()),
            link_label: link.map(|l| l.label().to_owned()),
            link_url: link.map(|l| l.url().as_str().to_owned()),
            status: n.status.as_str().into(),
            status_label: n.status.label().into(),
            created_at: n.created_at,
            updated_at: n.updated_at,
        }
    }
}

listing::page_of!(
    /// A page of notices.
    NoticePage,
    NoticeDto
);

/// A notice's content. The title is 1 to 50 characters on one line, the body 1 to 1,000; an image
/// notice needs an http(s) `image_url` and a text notice takes none; the link button needs both a
/// label (1 to 14 characters) and an http(s) URL, or neither.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeRequest {
    /// `text` or `image`.
    #[schema(example = "text")]
    pub kind: String,
    #[schema(example = "설 연휴 배송 안내")]
    pub title: String,
    #[schema(example = "연휴 동안에는 배송이 늦어질 수 있어요.")]
    pub body: String,
    pub image_url: Option<String>,
    pub link_label: Option<String>,
    pub link_url: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeStatusRequest {
    /// `main` (pinned), `published` or `hidden`. Deletion is `DELETE`.
    #[schema(example = "published")]
    pub status: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticeFilter {
    /// `main`, `published`, `hidden` or `deleted`; all but deleted when absent.
    pub status: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

/// The content of `request`, or one error per field the model refuses. Each field is checked by the
/// model on its own (with placeholders for the others), so every refused field is named.
pub(super) fn content(request: &NoticeRequest) -> Result<NewNotice, ApiError> {
    let Some(kind) = NoticeKind::parse(request.kind.trim()) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "kind",
            "text or image",
        )]));
    };
    let input = NoticeInput {
        kind,
        title: &request.title,
        body: &request.body,
        image_url: request.image_url.as_deref(),
        link_label: request.link_label.as_deref(),
        link_url: request.link_url.as_deref(),
    };
    let invalid = match NewNotice::parse(input) {
        Ok(notice) => return Ok(notice),
        Err(invalid) => invalid,
    };
    let fine = NoticeInput::new(NoticeKind::Text, "t", "b");
    let image = (kind == NoticeKind::Image).then_some("https://example.com/i.png");
    let checks = [
        (
            "title",
            NoticeInput {
                title: input.title,
                ..fine
            },
        ),
        (
            "body",
            NoticeInput {
                body: input.body,
                ..fine
            },
        ),
        (
            "image_url",
            NoticeInput {
                kind,
                image_url: input.image_url,
                ..fine
            },
        ),
        (
            "link",
            NoticeInput {
                link_label: input.link_label,
                link_url: input.link_url,
                ..fine
            },
        ),
    ];
    let mut errors: Vec<FieldError> = checks
        .into_iter()
        .filter_map(|(field, check)| {
            let check = if field == "image_url" {
                check
            } else {
                NoticeInput {
                    image_url: image,
                    kind,
                    ..check
                }
            };
            NewNotice::parse(check)
                .err()
                .map(|e| FieldError::new(field, e.message()))
        })
        .collect();
    if errors.is_empty() {
        errors.push(FieldError::new("notice", invalid.message()));
    }
    Err(ApiError::Validation(errors))
}

fn status_of(text: &str, field: &str, allowed: &[NoticeStatus]) -> Result<NoticeStatus, ApiError> {
    NoticeStatus::parse(text.trim())
        .filter(|s| allowed.contains(s))
        .ok_or_else(|| {
            let names: Vec<_> = allowed.iter().map(|s| s.as_str()).collect();
            ApiError::Validation(vec![FieldError::new(field, names.join(", "))])
        })
}

async fn find(db: &Db, id: i64) -> Result<Notice, ApiError> {
    store::get(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no notice {id}")))
}

/// Notices, newest first.
#[utoipa::path(
    get,
    path = "/admin/notices",
    operation_id = "list_notices",
    tag = "notices",
    params(NoticeFilter),
    responses(
        (status = 200, description = "A page of notices", body = NoticePage),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter or page value out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiQuery(query): ApiQuery<NoticeFilter>,
) -> Result<Json<NoticePage>, ApiError> {
    let db = &state.app.db;
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    match query.status.as_deref() {
        None => filter.push(Arg::Text(NoticeStatus::Deleted.as_str().into()), |p| {
            format!("status <> {p}")
        }),
        Some(text) => match NoticeStatus::parse(text.trim()) {
            Some(s) => filter.push(Arg::Text(s.as_str().into()), |p| format!("status = {p}")),
            None => errors.push(FieldError::new("status", "main, published, hidden or deleted")),
        },
    }
    let paging = Paging::parse(query.page, query.per_page, &mut errors);
    refuse_if_any(errors)?;
    let (ids, total) = listing::page_ids(db, "notices", "id", filter, paging).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(notice) = store::get(db, id).await? {
            items.push(NoticeDto::from(&notice));
        }
    }
    Ok(Json(Paged::new(items, paging, total).into()))
}

/// Creates a notice, hidden until published.
#[utoipa::path(
    post,
    path = "/admin/notices",
    operation_id = "create_notice",
    tag = "notices",
    request_body = NoticeRequest,
    responses(
        (status = 200, description = "The new notice", body = NoticeDto),
        (status = 400, description = "Not a JSON notice", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Content Kakao could not show; `errors` names the fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiJson(body): ApiJson<NoticeRequest>,
) -> Result<Json<NoticeDto>, ApiError> {
    let new = content(&body)?;
    let db = &state.app.db;
    let notice = NoticeDto::from(&store::create(db, &new, NoticeStatus::Hidden).await?);
    let entry = Entry::new("notice.create", "notice", Some(notice.id)).after(&notice);
    audit::record(db, &claims, &entry).await?;
    Ok(Json(notice))
}

/// One notice, whatever its status.
#[utoipa::path(
    get,
    path = "/admin/notices/{id}",
    operation_id = "get_notice",
    tag = "notices",
    params(("id" = i64, Path, description = "Notice id")),
    responses(
        (status = 200, description = "The notice", body = NoticeDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notice", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoticeDto>, ApiError> {
    Ok(Json(NoticeDto::from(&find(&state.app.db, id).await?)))
}

/// Replaces a notice's content; its status stays. Deleted notices cannot be edited (404).
#[utoipa::path(
    put,
    path = "/admin/notices/{id}",
    operation_id = "update_notice",
    tag = "notices",
    params(("id" = i64, Path, description = "Notice id")),
    request_body = NoticeRequest,
    responses(
        (status = 200, description = "The edited notice", body = NoticeDto),
        (status = 400, description = "Not a JSON notice", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notice, or it is deleted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Content Kakao could not show; `errors` names the fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NoticeRequest>,
) -> Result<Json<NoticeDto>, ApiError> {
    let new = content(&body)?;
    let db = &state.app.db;
    let before = NoticeDto::from(&find(db, id).await?);
    let Some(after) = store::update(db, id, &new).await? else {
        return Err(ApiError::NotFound(format!("notice {id} is deleted")));
    };
    let after = NoticeDto::from(&after);
    let entry = Entry::new("notice.update", "notice", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, &claims, &entry).await?;
    Ok(Json(after))
}

/// Moves `id` to `to`, auditing it as `action`.
async fn change(
    state: &AdminState,
    claims: &super::AdminClaims,
    id: i64,
    to: NoticeStatus,
    action: &'static str,
) -> Result<NoticeDto, ApiError> {
    let db = &state.app.db;
    let notice = find(db, id).await?;
    match store::set_status(db, id, notice.status, to).await? {
        StatusChange::Changed => {}
        StatusChange::NotAllowed => {
            return Err(ApiError::Conflict(format!(
                "notice {id} is {} and cannot become {}",
                notice.status.as_str(),
                to.as_str()
            )));
        }
        StatusChange::Stale => {
            return Err(ApiError::Conflict(format!(
                "notice {id} changed meanwhile; reload it"
            )));
        }
    }
    let before = NoticeDto::from(&notice);
    let after = NoticeDto::from(&find(db, id).await?);
    let entry = Entry::new(action, "notice", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, claims, &entry).await?;
    Ok(after)
}

/// Pins, publishes or hides a notice.
#[utoipa::path(
    post,
    path = "/admin/notices/{id}/status",
    operation_id = "set_notice_status",
    tag = "notices",
    params(("id" = i64, Path, description = "Notice id")),
    request_body = NoticeStatusRequest,
    responses(
        (status = 200, description = "The notice in its new status", body = NoticeDto),
        (status = 400, description = "Not a JSON status request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notice", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already in that status, deleted, or changed meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a status", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_status(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<NoticeStatusRequest>,
) -> Result<Json<NoticeDto>, ApiError> {
    use NoticeStatus::{Hidden, Main, Published};
    let to = status_of(&body.status, "status", &[Main, Published, Hidden])?;
    Ok(Json(change(&state, &claims, id, to, "notice.status").await?))
}

/// Deletes a notice (kept for the record, never shown again).
#[utoipa::path(
    delete,
    path = "/admin/notices/{id}",
    operation_id = "delete_notice",
    tag = "notices",
    params(("id" = i64, Path, description = "Notice id")),
    responses(
        (status = 200, description = "The notice, now deleted", body = NoticeDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such notice", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already deleted", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn delete(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<NoticeDto>, ApiError> {
    Ok(Json(
        change(&state, &claims, id, NoticeStatus::Deleted, "notice.delete").await?,
    ))
}
