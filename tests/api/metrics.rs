//! Prometheus metrics: skill calls by route and outcome, deadline hits, requests, the browse cache, the
//! pool gauges, and that `/metrics` is never on the public router.
//!
//! The metrics are process-wide and tests run in parallel, so each assertion compares a series before
//! and after its own calls and asks for at least its own increments.

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use junggye::kakao::{SkillCall, SkillResult, skill};
use junggye::router;
use junggye::state::AppState;

use crate::helpers::{Backend, TestApp, join, payload};

/// The value of series `name` whose labels include every pair in `labels` (0 when it is not there yet).
pub(crate) fn sample(name: &str, labels: &[(&str, &str)]) -> f64 {
    let text = junggye::metrics::global().render(&unused_db());
    series(&text, name, labels)
}

fn series(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            let (metric, rest) = key.split_once('{').unwrap_or((key, "}"));
            (metric == name && labels.iter().all(|(k, v)| rest.contains(&format!("{k}=\"{v}\""))))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

/// A pool nobody uses: `render` only reads its gauges.
fn unused_db() -> junggye::db::Db {
    use std::sync::OnceLock;
    static DB: OnceLock<junggye::db::Db> = OnceLock::new();
    DB.get_or_init(|| {
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_lazy("sqlite::memory:")
            .unwrap();
        junggye::db::Db::Sqlite(pool, Default::default())
    })
    .clone()
}

const SKILL_COUNT: &str = "junggye_skill_request_duration_seconds_count";

#[tokio::test]
async fn skill_calls_are_counted_by_route_and_outcome() {
    let app = TestApp::new(Backend::Sqlite).await;
    let me = [("route", "/skill/members/me"), ("outcome", "not_member")];
    let ok = [("route", "/skill/members/me"), ("outcome", "ok")];
    let (strangers, members) = (sample(SKILL_COUNT, &me), sample(SKILL_COUNT, &ok));

    app.skill("/skill/members/me", &payload("metrics-stranger").build())
        .await;
    app.skill("/skill/members/me", &payload("metrics-stranger").build())
        .await;
    join(&app, "metrics-member", "지표회원").await;
    app.skill("/skill/members/me", &payload("metrics-member").build())
        .await;

    assert!(sample(SKILL_COUNT, &me) >= strangers + 2.0);
    assert!(sample(SKILL_COUNT, &ok) >= members + 1.0);
    // The latency lands in a bucket: the +Inf bucket counts every call.
    assert!(
        sample(
            "junggye_skill_request_duration_seconds_bucket",
            &[("route", "/skill/members/me"), ("le", "+Inf")]
        ) >= 3.0
    );
}

async fn too_slow(_call: SkillCall) -> SkillResult {
    tokio::time::sleep(Duration::from_secs(2)).await;
    unreachable!("answered at the deadline first")
}

#[tokio::test]
async fn a_missed_deadline_is_counted_as_a_deadline_hit() {
    let skills = Router::<AppState>::new().route("/skill/test/metrics-slow", skill(too_slow));
    let app = TestApp::with(
        Backend::Sqlite,
        |config| config.skill_deadline = Duration::from_millis(100),
        skills,
    )
    .await;
    let labels = [("route", "/skill/test/metrics-slow"), ("outcome", "deadline")];
    let hits = sample("junggye_skill_deadline_hits_total", &[]);

    app.skill("/skill/test/metrics-slow", &payload("u").build()).await;

    assert_eq!(sample(SKILL_COUNT, &labels), 1.0);
    assert!(sample("junggye_skill_deadline_hits_total", &[]) >= hits + 1.0);
}

#[tokio::test]
async fn requests_are_counted_by_route_method_and_status() {
    let app = TestApp::new(Backend::Sqlite).await;
    let labels = [("route", "/healthz"), ("method", "GET"), ("status", "200")];
    let before = sample("junggye_http_requests_total", &labels);
    assert_eq!(app.get("/healthz").await.0, StatusCode::OK);
    assert!(sample("junggye_http_requests_total", &labels) >= before + 1.0);
}

#[tokio::test]
async fn browse_cache_hits_and_misses_are_counted() {
    let app = TestApp::new(Backend::Sqlite).await;
    let miss = [("cache", "catalog_pages"), ("result", "miss")];
    let hit = [("cache", "catalog_pages"), ("result", "hit")];
    let (misses, hits) = (
        sample("junggye_cache_lookups_total", &miss),
        sample("junggye_cache_lookups_total", &hit),
    );
    app.skill("/skill/products", &payload("u").build()).await;
    app.skill("/skill/products", &payload("u").build()).await;
    assert!(sample("junggye_cache_lookups_total", &miss) >= misses + 1.0);
    assert!(sample("junggye_cache_lookups_total", &hit) >= hits + 1.0);
}

#[tokio::test]
async fn the_pool_gauges_are_read_at_scrape_time() {
    let test_db = crate::helpers::TestDb::with_pool_size(Backend::Sqlite, 3).await;
    test_db.db.ping().await.unwrap();
    let text = junggye::metrics::global().render(&test_db.db);
    assert_eq!(series(&text, "junggye_db_pool_max_connections", &[]), 3.0);
    let open = series(&text, "junggye_db_pool_connections", &[]);
    assert!((1.0..=3.0).contains(&open), "{text}");
    assert!(
        text.contains("junggye_db_pool_connections{state=\"idle\"}"),
        "{text}"
    );
    assert!(
        text.contains("junggye_db_pool_connections{state=\"in_use\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn metrics_are_not_on_the_public_router() {
    let app = TestApp::new(Backend::Sqlite).await;
    assert_eq!(app.get("/metrics").await.0, StatusCode::NOT_FOUND);
    let public = router::router(app.state.clone());
    let response = tower::ServiceExt::oneshot(
        public,
        axum::http::Request::get("/metrics")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
