//! The skill request log for admins: calls, outcomes and p50/p99 latency per skill over a time range.
//!
//! The numbers are computed by the database from `skill_calls` ([`crate::skill_log::stats`]); this
//! module only checks the range and shapes the answer. Nothing in the answer names a user.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::listing::{parse_instant, refuse_if_any};
use super::{AdminState, ApiError, ApiQuery, FieldError, Problem, Viewer};
use crate::clock::now_ms;
use crate::skill_log::{self, RouteStats};

/// The range asked for when the request names none: the last 24 hours.
const DEFAULT_RANGE_MS: i64 = 24 * 3_600 * 1_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatsRange {
    /// Calls at or after: Unix milliseconds or RFC 3339 (`2026-01-31T00:00:00+09:00`). Default: 24 hours
    /// before `to`.
    pub from: Option<String>,
    /// Calls before (exclusive): Unix milliseconds or RFC 3339. Default: now.
    pub to: Option<String>,
}

/// One skill's calls in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkillRouteStats {
    /// The route template.
    #[schema(example = "/skill/products/detail")]
    pub route: String,
    pub calls: i64,
    /// Median latency (nearest rank), milliseconds.
    #[schema(example = 12.5)]
    pub p50_ms: f64,
    /// 99th-percentile latency (nearest rank), milliseconds.
    #[schema(example = 240.0)]
    pub p99_ms: f64,
    /// Calls per outcome: `ok`, `invalid`, `not_member`, `refused`, `db_error`, `internal_error`,
    /// `panic`, `deadline`.
    pub outcomes: BTreeMap<String, i64>,
}

impl From<RouteStats> for SkillRouteStats {
    fn from(s: RouteStats) -> Self {
        Self {
            route: s.route,
            calls: s.calls,
            p50_ms: s.p50_us as f64 / 1_000.0,
            p99_ms: s.p99_us as f64 / 1_000.0,
            outcomes: s.outcomes,
        }
    }
}

/// Skill calls per route in `[from, to)`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkillCallStats {
    /// Unix milliseconds (UTC), inclusive.
    pub from: i64,
    /// Unix milliseconds (UTC), exclusive.
    pub to: i64,
    /// By route template.
    pub routes: Vec<SkillRouteStats>,
    /// Records this instance dropped since it started because its queue was full (not in `routes`).
    pub dropped: u64,
    /// Records this instance lost since it started because the database refused a batch.
    pub lost: u64,
}

/// `(from, to)` in Unix milliseconds, or the fields refused.
fn range(query: &StatsRange, now: i64) -> Result<(i64, i64), ApiError> {
    let mut errors = Vec::new();
    let mut instant = |field: &str, value: &Option<String>| {
        let text = value.as_deref()?;
        let parsed = parse_instant(text);
        if parsed.is_none() {
            errors.push(FieldError::new(
                field,
                "Unix milliseconds or an RFC 3339 date-time",
            ));
        }
        parsed
    };
    let from = instant("from", &query.from);
    let to = instant("to", &query.to);
    refuse_if_any(errors)?;
    let to = to.unwrap_or(now);
    let from = from.unwrap_or_else(|| to.saturating_sub(DEFAULT_RANGE_MS));
    if from > to {
        return Err(ApiError::Validation(vec![FieldError::new(
            "from",
            "must not be after `to`",
        )]));
    }
    Ok((from, to))
}

/// Calls, outcomes and p50/p99 latency per skill route; by default over the last 24 hours.
#[utoipa::path(
    get,
    path = "/admin/skill-calls/stats",
    operation_id = "get_skill_call_stats",
    tag = "skill-calls",
    params(StatsRange),
    responses(
        (status = 200, description = "Calls per skill route", body = SkillCallStats),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An instant that is not one, or `from` after `to`", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The skill request log is off (`SKILL_LOG_RETENTION_DAYS=off`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn stats(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiQuery(query): ApiQuery<StatsRange>,
) -> Result<Json<SkillCallStats>, ApiError> {
    let log = &state.app.skill_log;
    if !log.enabled() {
        return Err(ApiError::Unavailable(
            "the skill request log is off (SKILL_LOG_RETENTION_DAYS=off)".into(),
        ));
    }
    let (from, to) = range(&query, now_ms())?;
    let routes = skill_log::stats(&state.app.db, from, to).await?;
    Ok(Json(SkillCallStats {
        from,
        to,
        routes: routes.into_iter().map(SkillRouteStats::from).collect(),
        dropped: log.dropped(),
        lost: log.lost(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(from: Option<&str>, to: Option<&str>) -> StatsRange {
        StatsRange {
            from: from.map(str::to_owned),
            to: to.map(str::to_owned),
        }
    }

    #[test]
    fn the_range_defaults_to_the_last_day_and_refuses_bad_or_reversed_bounds() {
        let now = 1_700_000_000_000;
        assert_eq!(
            range(&query(None, None), now).unwrap(),
            (now - DEFAULT_RANGE_MS, now)
        );
        assert_eq!(
            range(&query(None, Some("1970-01-02T00:00:00Z")), now).unwrap(),
            (0, DEFAULT_RANGE_MS)
        );
        assert_eq!(range(&query(Some("5"), Some("5")), now).unwrap(), (5, 5));
        for (from, to) in [
            (Some("6"), Some("5")),
            (Some("later"), None),
            (None, Some("soon")),
        ] {
            assert!(
                matches!(range(&query(from, to), now), Err(ApiError::Validation(_))),
                "{from:?} {to:?}"
            );
        }
    }
}
