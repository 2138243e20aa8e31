//! Skill calls are refused before anything runs unless they carry the secret (and come from our bot).

use axum::http::StatusCode;
use junggye::router;
use serde_json::json;

use crate::helpers::{Backend, TestApp, payload};

async fn guarded_app() -> TestApp {
    TestApp::with(
        Backend::Sqlite,
        |c| {
            c.skill_secret = Some("correct-horse".to_owned().into());
            c.kakao_bot_id = Some("bot-1".into());
        },
        router::skill_routes(),
    )
    .await
}

fn join_body(bot: &str) -> Vec<u8> {
    payload("u1")
        .bot(bot)
        .param("name", "김철수")
        .param("phone", "01012345678")
        .build()
        .to_string()
        .into_bytes()
}

async fn member_count(app: &TestApp) -> i64 {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM members").fetch_one(pool).await.unwrap()
    })
}

#[tokio::test]
async fn a_call_without_the_secret_header_is_unauthorised_and_does_nothing() {
    let app = guarded_app().await;
    let (status, _) = app.post_raw("/skill/members/join", join_body("bot-1"), &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(member_count(&app).await, 0);
}

#[tokio::test]
async fn a_call_with_a_wrong_secret_is_forbidden_and_does_nothing() {
    let app = guarded_app().await;
    for wrong in ["correct-horsf", "correct-hors", "", "correct-horse "] {
        let (status, _) = app
            .post_raw(
                "/skill/members/join",
                join_body("bot-1"),
                &[("x-skill-secret", wrong)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{wrong:?}");
    }
    assert_eq!(member_count(&app).await, 0);
}

#[tokio::test]
async fn a_call_from_another_bot_is_forbidden() {
    let app = guarded_app().await;
    let (status, _) = app
        .post_raw(
            "/skill/members/join",
            join_body("someone-else"),
            &[("x-skill-secret", "correct-horse")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(member_count(&app).await, 0);
}

#[tokio::test]
async fn the_right_secret_and_bot_get_through_including_the_development_channel() {
    let app = guarded_app().await;
    let (status, body) = app
        .post_raw(
            "/skill/members/join",
            join_body("bot-1!"),
            &[("X-Skill-Secret", "correct-horse")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(member_count(&app).await, 1);
}

#[tokio::test]
async fn the_secret_header_name_is_configurable() {
    let app = TestApp::with(
        Backend::Sqlite,
        |c| {
            c.skill_secret = Some("s".to_owned().into());
            c.skill_secret_header = "x-custom-auth".parse().unwrap();
        },
        router::skill_routes(),
    )
    .await;
    let (status, _) = app
        .post_raw(
            "/skill/members/me",
            join_body("bot-1"),
            &[("x-skill-secret", "s")],
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app
        .post_raw("/skill/members/me", join_body("bot-1"), &[("x-custom-auth", "s")])
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn validation_skills_are_guarded_too() {
    let app = guarded_app().await;
    let body = br#"{"value":{"origin":"01012345678"}}"#.to_vec();
    let (status, _) = app.post_raw("/skill/validate/phone", body, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_bodies_get_http_400_not_a_skill_response() {
    let app = TestApp::new(Backend::Sqlite).await;
    for body in [
        &b"{not json"[..],
        b"[]",
        b"{}",
        br#"{"userRequest":{"user":{}}}"#,
        b"",
    ] {
        let (status, _) = app.post_raw("/skill/members/join", body.to_vec(), &[]).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

/// A 400 names what was wrong without repeating a huge offending value: 200 KB in, well under 2 KB out.
#[tokio::test]
async fn a_huge_value_in_a_malformed_body_is_not_repeated_back() {
    let app = TestApp::new(Backend::Sqlite).await;
    let huge = "A".repeat(200_000);
    for (path, body) in [
        ("/skill/members/join", json!({ "userRequest": huge })),
        (
            "/skill/members/join",
            json!({ "bot": huge, "userRequest": {"user": {"id": "u"}} }),
        ),
        ("/skill/validate/name", json!({ "value": huge })),
    ] {
        let (status, answer) = app.post_raw(path, body.to_string().into_bytes(), &[]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        let reason = answer["error"].as_str().unwrap_or_default();
        assert!(reason.contains("invalid type"), "{path}: the reason is kept");
        let size = answer.to_string().len();
        assert!(size < 2_048, "{path}: a {size}-byte answer");
    }
}

#[tokio::test]
async fn operational_routes_are_not_behind_the_skill_secret() {
    let app = guarded_app().await;
    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["database"]["ok"], true);
}
