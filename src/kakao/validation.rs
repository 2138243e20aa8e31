//! Parameter-validation skills: Open Builder calls these while filling a slot, so the user is asked
//! again right away when a value breaks a rule. Each uses the same parser the final skill re-applies,
//! so a value accepted here is accepted there, normalised the same way.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::Invalid;
use crate::domain::member::{MemberName, PhoneNumber};
use crate::domain::order::TrackingNumber;
use crate::domain::product::{Description, Keyword, OpenChatUrl, Price, ProductName};
use crate::domain::review::ReviewComment;
use crate::kakao::not_a_skill_call;
use kakao_skill::{ValidationPayload, ValidationResponse};

/// Parses user input into the normalised value the slot keeps.
pub type Normalise = fn(&str) -> Result<String, Invalid>;

/// Every validated field: its URL segment and the parser that yields the normalised value.
pub const FIELDS: &[(&str, Normalise)] = &[
    ("name", |s| MemberName::parse(s).map(|v| v.as_str().to_owned())),
    ("phone", |s| PhoneNumber::parse(s).map(|v| v.as_str().to_owned())),
    ("product-name", |s| {
        ProductName::parse(s).map(|v| v.as_str().to_owned())
    }),
    ("price", |s| Price::parse(s).map(|v| v.won().to_string())),
    ("description", |s| {
        Description::parse(s).map(|v| v.as_str().to_owned())
    }),
    ("open-chat-url", |s| {
        OpenChatUrl::parse(s).map(|v| v.as_str().to_owned())
    }),
    ("tracking-number", |s| {
        TrackingNumber::parse(s).map(|v| v.as_str().to_owned())
    }),
    ("keyword", |s| Keyword::parse(s).map(|v| v.as_str().to_owned())),
    ("review-comment", |s| {
        ReviewComment::parse(s).map(|v| v.as_str().to_owned())
    }),
];

pub async fn validate(Path(field): Path<String>, body: Bytes) -> Response {
    let Some((_, parse)) = FIELDS.iter().find(|(name, _)| *name == field) else {
        return not_a_skill_call(StatusCode::NOT_FOUND, "unknown validation field");
    };
    let payload = match ValidationPayload::from_slice(&body) {
        Ok(payload) => payload,
        Err(err) => return not_a_skill_call(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    let answer = match parse(payload.input()) {
        Ok(normalised) => ValidationResponse::success(normalised),
        Err(invalid) => ValidationResponse::fail(invalid.message()),
    };
    Json(answer).into_response()
}
