//! `/admin/ui/skill-calls`: calls per hour as a chart, and calls, latency and outcomes per skill.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::chart::{self, Bar};
use super::session::Operator;
use super::view::{self, Chrome, Section};
use crate::admin::skill_calls::{self, SkillRouteStats, StatsRange};
use crate::admin::{AdminState, ApiError, ApiQuery};
use crate::clock::now_ms;

const HOUR_MS: i64 = 3_600_000;

/// The ranges offered: their key, label, length and bucket width.
const RANGES: [(&str, &str, i64, i64); 3] = [
    ("24h", "최근 24시간", 24 * HOUR_MS, HOUR_MS),
    ("7d", "최근 7일", 7 * 24 * HOUR_MS, 6 * HOUR_MS),
    ("30d", "최근 30일", 30 * 24 * HOUR_MS, 24 * HOUR_MS),
];

#[derive(Deserialize)]
pub struct RangeQuery {
    range: Option<String>,
}

#[derive(Template)]
#[template(path = "skill_calls.html")]
struct SkillCallsPage {
    chrome: Chrome,
    ranges: Vec<(&'static str, &'static str, bool)>,
    range_label: &'static str,
    enabled: bool,
    chart: String,
    latency_chart: String,
    routes: Vec<RouteRow>,
    total: i64,
    dropped: u64,
    lost: u64,
}

struct RouteRow {
    route: String,
    calls: i64,
    p50_ms: String,
    p99_ms: String,
    outcomes: String,
}

/// `GET /admin/ui/skill-calls?range=24h|7d|30d`.
pub async fn show(
    State(state): State<AdminState>,
    operator: Operator,
    Query(query): Query<RangeQuery>,
) -> Response {
    match load(&state, &operator, query.range.as_deref()).await {
        Ok(page) => view::page(&page, None),
        Err(error) => view::problem(&operator, Section::SkillCalls, error),
    }
}

async fn load(
    state: &AdminState,
    operator: &Operator,
    range: Option<&str>,
) -> Result<SkillCallsPage, ApiError> {
    let chosen = RANGES.iter().find(|r| Some(r.0) == range).unwrap_or(&RANGES[0]);
    let (key, label, length, width) = *chosen;
    // Whole buckets: the range ends at the end of the current one.
    let to = (now_ms() / width + 1) * width;
    let from = to - length;
    let query = StatsRange {
        from: Some(from.to_string()),
        to: Some(to.to_string()),
    };
    let mut page = SkillCallsPage {
        chrome: Chrome::new(operator, Section::SkillCalls, None),
        ranges: RANGES.iter().map(|r| (r.0, r.1, r.0 == key)).collect(),
        range_label: label,
        enabled: true,
        chart: String::new(),
        latency_chart: String::new(),
        routes: Vec::new(),
        total: 0,
        dropped: 0,
        lost: 0,
    };
    let stats = match skill_calls::stats(State(state.clone()), operator.viewer(), ApiQuery(query)).await {
        Ok(Json(stats)) => stats,
        Err(ApiError::Unavailable(_)) => {
            page.enabled = false;
            return Ok(page);
        }
        Err(error) => return Err(error),
    };
    let buckets = crate::skill_log::buckets(&state.app.db, from, to, width).await?;
    page.chart = chart::columns(&bucket_bars(&buckets, from, length / width, width), "", "호출 수");
    page.latency_chart = chart::columns(&latency_bars(&stats.routes), "ms", "스킬별 p99 (ms)");
    page.total = stats.routes.iter().map(|r| r.calls).sum();
    page.routes = stats.routes.iter().map(route_row).collect();
    page.dropped = stats.dropped;
    page.lost = stats.lost;
    Ok(page)
}

/// One bar per bucket of the range, empty ones included, labelled with its KST start.
fn bucket_bars(buckets: &[crate::skill_log::Bucket], from: i64, count: i64, width: i64) -> Vec<Bar> {
    (0..count)
        .map(|n| {
            let start = from + n * width;
            let bucket = buckets.iter().find(|b| b.start_ms == start);
            let (calls, failed) = bucket.map_or((0, 0), |b| (b.calls, b.failed));
            let when = crate::present::datetime_kst(start);
            let label = if width < 24 * HOUR_MS {
                when.get(11..13).map(|h| format!("{h}시"))
            } else {
                when.get(5..10).map(str::to_owned)
            }
            .unwrap_or_default();
            Bar {
                label,
                value: calls as f64,
                part: failed as f64,
                title: format!("{when}부터: {calls}건, 실패 {failed}건"),
            }
        })
        .collect()
}

/// One bar per skill: its p99.
fn latency_bars(routes: &[SkillRouteStats]) -> Vec<Bar> {
    routes
        .iter()
        .map(|r| Bar {
            label: r.route.trim_start_matches("/skill/").to_owned(),
            value: r.p99_ms,
            part: 0.0,
            title: format!(
                "{}: p50 {:.1} ms, p99 {:.1} ms, {}건",
                r.route, r.p50_ms, r.p99_ms, r.calls
            ),
        })
        .collect()
}

fn route_row(r: &SkillRouteStats) -> RouteRow {
    RouteRow {
        route: r.route.clone(),
        calls: r.calls,
        p50_ms: format!("{:.1}", r.p50_ms),
        p99_ms: format!("{:.1}", r.p99_ms),
        outcomes: r
            .outcomes
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}
