//! Whatever goes wrong inside a skill, Kakao still gets a valid SkillResponse with HTTP 200 in time.

use std::time::{Duration, Instant};

use axum::Router;
use junggye::kakao::{SkillCall, SkillError, SkillResult, skill};
use junggye::router;
use junggye::state::AppState;

use crate::helpers::{Backend, TestApp, payload};

async fn failing(_: SkillCall) -> SkillResult {
    Err(SkillError::Internal("the disk is on fire".into()))
}

async fn panicking(_: SkillCall) -> SkillResult {
    panic!("a bug in a handler")
}

async fn sleeping(_: SkillCall) -> SkillResult {
    tokio::time::sleep(Duration::from_secs(30)).await;
    Ok(kakao_skill::SkillResponse::text("too late"))
}

fn faulty_skills() -> Router<AppState> {
    router::skill_routes()
        .route("/skill/test/fail", skill(failing))
        .route("/skill/test/panic", skill(panicking))
        .route("/skill/test/sleep", skill(sleeping))
}

async fn faulty_app() -> TestApp {
    TestApp::with(
        Backend::Sqlite,
        |c| c.skill_deadline = Duration::from_millis(300),
        faulty_skills(),
    )
    .await
}

#[tokio::test]
async fn a_failing_handler_answers_a_polite_skill_response_without_internals() {
    let app = faulty_app().await;
    let reply = app.skill("/skill/test/fail", &payload("u1").build()).await;
    assert!(reply.contains("잠시 후 다시 시도"), "{}", reply.text());
    assert!(
        !reply.text().contains("fire"),
        "internal details must not reach the user"
    );
    assert!(reply.quick_reply_labels().contains(&"처음으로".to_owned()));
}

#[tokio::test]
async fn a_panicking_handler_answers_a_valid_skill_response() {
    let app = faulty_app().await;
    let reply = app.skill("/skill/test/panic", &payload("u1").build()).await;
    assert!(reply.contains("잠시 후 다시 시도"), "{}", reply.text());
    // The server keeps serving after the panic.
    let again = app.skill("/skill/members/me", &payload("u1").build()).await;
    assert!(again.contains("회원가입이 필요해요"));
}

#[tokio::test]
async fn a_handler_past_the_deadline_is_answered_at_the_deadline() {
    let app = faulty_app().await;
    let started = Instant::now();
    let reply = app.skill("/skill/test/sleep", &payload("u1").build()).await;
    let took = started.elapsed();
    assert!(reply.contains("처리가 늦어지고"), "{}", reply.text());
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(2),
        "{took:?}"
    );
}

#[tokio::test]
async fn a_database_outage_becomes_a_polite_answer() {
    let app = faulty_app().await;
    app.state.db.close().await;
    let reply = app
        .skill(
            "/skill/members/join",
            &payload("u1")
                .param("name", "김철수")
                .param("phone", "01012345678")
                .build(),
        )
        .await;
    assert!(reply.contains("잠시 후 다시 시도"), "{}", reply.text());
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, axum::http::StatusCode::SERVICE_UNAVAILABLE, "{body}");
}
