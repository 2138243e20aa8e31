//! Hot-deal sources for admins: their health, and a refresh on demand.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::{self, Entry};
use super::{AdminOnly, AdminState, ApiError, ApiJson, FieldError, Problem, Viewer};
use crate::deals::{RefreshOutcome, SourceHealth};

/// One source's health.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SourceDto {
    #[schema(example = "ppomppu")]
    pub key: String,
    pub name: String,
    /// Unix milliseconds of the last refresh that read the board.
    pub last_success_ms: Option<i64>,
    /// Unix milliseconds of the last refresh that tried to.
    pub last_attempt_ms: Option<i64>,
    /// Why the last failed refresh failed.
    pub last_error: Option<String>,
    /// Its kind: `blocked` (403 or a bot challenge), `layout_changed`, `rate_limited` or `unreachable`.
    #[schema(example = "blocked")]
    pub last_error_kind: Option<String>,
    pub last_error_ms: Option<i64>,
    /// Deals being served from this source.
    pub item_count: i64,
    /// Failed refreshes since the last success.
    pub consecutive_failures: i64,
    /// Seconds until this instance reads the source again after repeated failures.
    pub breaker_open_secs: Option<u64>,
}

impl From<SourceHealth> for SourceDto {
    fn from(s: SourceHealth) -> Self {
        Self {
            key: s.key,
            name: s.name,
            last_success_ms: s.health.last_success_ms,
            last_attempt_ms: s.health.last_attempt_ms,
            last_error: s.health.last_error,
            last_error_kind: s.health.last_error_kind.map(|k| k.as_str().to_owned()),
            last_error_ms: s.health.last_error_ms,
            item_count: i64::try_from(s.health.item_count).unwrap_or(i64::MAX),
            consecutive_failures: i64::from(s.health.consecutive_failures),
            breaker_open_secs: s.breaker_open_for.map(|d| d.as_secs().max(1)),
        }
    }
}

// Not `RefreshRequest`: the OpenAPI document keys schemas by name, and the token refresh's schema of
// that name would stand in for this one.
/// Which source to read now.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DealRefreshRequest {
    /// A source key; every enabled source when absent.
    pub source: Option<String>,
}

/// What a refresh of one source did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RefreshResult {
    pub source: String,
    /// `refreshed`, `failed`, `already_running`, `locked_elsewhere`, `fresh`, `breaker_open` or
    /// `disabled` (`DEALS_ENABLED=false`).
    #[schema(example = "refreshed")]
    pub outcome: String,
    /// Deals now served, after `refreshed`.
    pub deals: Option<i64>,
    /// Why it failed, after `failed`.
    pub error: Option<String>,
}

impl RefreshResult {
    fn new(source: String, outcome: RefreshOutcome) -> Self {
        let name = outcome.label().to_owned();
        let (deals, error) = match outcome {
            RefreshOutcome::Refreshed { deals } => (i64::try_from(deals).ok(), None),
            RefreshOutcome::Failed(why) => (None, Some(why)),
            _ => (None, None),
        };
        Self {
            source,
            outcome: name,
            deals,
            error,
        }
    }
}

/// Every enabled source's health.
#[utoipa::path(
    get,
    path = "/admin/deals/sources",
    operation_id = "list_deal_sources",
    tag = "deals",
    responses(
        (status = 200, description = "The sources", body = [SourceDto]),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sources(State(state): State<AdminState>, Viewer(_): Viewer) -> Json<Vec<SourceDto>> {
    let health = state.app.deals.health().await;
    Json(health.into_iter().map(SourceDto::from).collect())
}

/// Reads a source (or all) now, even when fresh or its breaker is open, and waits for the outcome.
#[utoipa::path(
    post,
    path = "/admin/deals/refresh",
    operation_id = "refresh_deal_sources",
    tag = "deals",
    request_body = DealRefreshRequest,
    responses(
        (status = 200, description = "One result per source", body = [RefreshResult]),
        (status = 400, description = "Not a JSON refresh request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No enabled source has that key", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiJson(body): ApiJson<DealRefreshRequest>,
) -> Result<Json<Vec<RefreshResult>>, ApiError> {
    let source = body.source.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let outcomes = state
        .app
        .deals
        .refresh_now(source)
        .await
        .map_err(|unknown| ApiError::Validation(vec![FieldError::new("source", unknown.to_string())]))?;
    let results: Vec<_> = outcomes
        .into_iter()
        .map(|(key, outcome)| RefreshResult::new(key, outcome))
        .collect();
    let entry = Entry::new("deals.refresh", "deal_source", None).after(&results);
    audit::record(&state.app.db, &claims, &entry).await?;
    Ok(Json(results))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::{FailureKind, Health};

    #[test]
    fn a_blocked_source_says_so_apart_from_its_error_text() {
        let dto = SourceDto::from(SourceHealth {
            key: "quasarzone".into(),
            name: "퀘이사존 핫딜".into(),
            health: Health {
                last_error: Some("list page: blocked by the site (HTTP 403)".into()),
                last_error_kind: Some(FailureKind::Blocked),
                consecutive_failures: 1,
                ..Health::default()
            },
            breaker_open_for: None,
        });
        assert_eq!(dto.last_error_kind.as_deref(), Some("blocked"));
        let json = serde_json::to_value(&dto).unwrap();
        assert_eq!(json["last_error_kind"], "blocked");
    }
}
