//! The parameter-validation skills answer Open Builder's validation format with the shared rules.

use axum::http::StatusCode;
use kakao_skill::check::check_validation_response;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

async fn validate(app: &TestApp, field: &str, input: &str) -> Value {
    let body = json!({
        "isInSlotFilling": true,
        "utterance": input,
        "value": {"origin": input, "resolved": input},
        "user": {"id": "u1", "type": "botUserKey", "properties": {}}
    });
    let (status, answer) = app
        .post_raw(
            &format!("/skill/validate/{field}"),
            body.to_string().into_bytes(),
            &[],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    check_validation_response(&answer).unwrap_or_else(|v| panic!("{v:?}: {answer}"));
    answer
}

#[tokio::test]
async fn every_field_accepts_a_good_value_and_answers_it_normalised() {
    let app = TestApp::new(Backend::Sqlite).await;
    let cases = [
        ("name", " 홍길동 ", "홍길동"),
        ("phone", "010-1234-5678", "01012345678"),
        ("product-name", "아이폰  15 프로", "아이폰 15 프로"),
        ("price", "12,000원", "12000"),
        (
            "description",
            "깨끗해요\r\n직거래 원해요",
            "깨끗해요\n직거래 원해요",
        ),
        (
            "open-chat-url",
            "open.kakao.com/o/gAbC123",
            "https://open.kakao.com/o/gAbC123",
        ),
        ("tracking-number", "1234-5678-9012", "123456789012"),
        ("keyword", " 캠핑  의자 ", "캠핑 의자"),
    ];
    for (field, input, normalised) in cases {
        let answer = validate(&app, field, input).await;
        assert_eq!(answer["status"], "SUCCESS", "{field}: {answer}");
        assert_eq!(answer["value"], normalised, "{field}");
    }
}

#[tokio::test]
async fn every_field_refuses_a_bad_value_with_a_korean_message() {
    let app = TestApp::new(Backend::Sqlite).await;
    let cases = [
        ("name", "김"),
        ("phone", "02-123-4567"),
        ("product-name", ""),
        ("price", "3000000000"),
        ("description", "   "),
        ("open-chat-url", "https://evil.example/o/abc"),
        ("tracking-number", "12ab"),
        ("keyword", "   "),
    ];
    for (field, input) in cases {
        let answer = validate(&app, field, input).await;
        assert_eq!(answer["status"], "FAIL", "{field}: {answer}");
        let message = answer["message"].as_str().unwrap();
        assert!(
            message.chars().any(|c| ('가'..='힣').contains(&c)),
            "{field}: {message}"
        );
    }
}

#[tokio::test]
async fn a_price_over_two_to_the_thirty_one_is_refused_not_crashed() {
    let app = TestApp::new(Backend::Sqlite).await;
    let answer = validate(&app, "price", "99999999999999999999999").await;
    assert_eq!(answer["status"], "FAIL");
}

#[tokio::test]
async fn an_unknown_field_is_not_found() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (status, _) = app
        .post_raw("/skill/validate/shoe-size", b"{}".to_vec(), &[])
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
