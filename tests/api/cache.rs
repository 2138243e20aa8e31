//! The cache against the real Redis (CI provides it; the test fails, never skips, without it).

use std::time::Duration;

use axum::http::StatusCode;
use junggye::cache::Cache;
use junggye::config::Config;
use junggye::kakao::Nav;
use junggye::router;
use junggye::state::AppState;

use crate::helpers::{Backend, TestDb};

fn redis_url() -> String {
    std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[tokio::test]
async fn redis_stores_values_with_an_expiry() {
    let cache = Cache::redis(&redis_url()).unwrap();
    cache
        .ping()
        .await
        .unwrap_or_else(|e| panic!("Redis at {} is required: {e}", redis_url()));
    let key = format!("junggye:test:{}", uuid::Uuid::new_v4());
    cache
        .set(&key, b"value", Duration::from_millis(200))
        .await
        .unwrap();
    assert_eq!(cache.get(&key).await.unwrap().as_deref(), Some(&b"value"[..]));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(cache.get(&key).await.unwrap(), None);
}

async fn readyz_with(cache: Cache) -> (StatusCode, serde_json::Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let t = TestDb::new(Backend::Sqlite).await;
    let state = AppState::from_parts(
        Config::for_tests("sqlite://unused.db"),
        t.db.clone(),
        cache,
        Nav::default(),
    )
    .unwrap();
    let response = router::router(state)
        .oneshot(
            axum::http::Request::get("/readyz")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap())
}

#[tokio::test]
async fn readiness_includes_redis_when_configured() {
    let (status, body) = readyz_with(Cache::redis(&redis_url()).unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["cache"]["backend"], "redis");
    assert_eq!(body["cache"]["ok"], true);
}

#[tokio::test]
async fn an_unreachable_redis_makes_the_server_not_ready_but_it_still_starts() {
    // Port 1 on loopback: nothing listens there.
    let (status, body) = readyz_with(Cache::redis("redis://127.0.0.1:1").unwrap()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["cache"]["ok"], false);
    assert_eq!(body["database"]["ok"], true);
}
