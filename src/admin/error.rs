//! The admin API's one error format: RFC 9457 problem details (`application/problem+json`) with the real
//! HTTP status.
//!
//! The system this replaces answered HTTP 200 with `{code, message}` for every failure, so
//! proxies, monitors and clients could not tell a refusal from a success. Here every failure is an
//! [`ApiError`], and its status is the HTTP status. Internal failures are logged once, here, and reach
//! the client only as a generic message.

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::present::echo;

/// The media type of every admin error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// The `WWW-Authenticate` realm of the admin API.
const REALM: &str = "admin";

/// A problem details body (RFC 9457).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem (`urn:junggye:problem:…`); stable, meant for programs.
    #[serde(rename = "type")]
    #[schema(example = "urn:junggye:problem:invalid-token")]
    pub kind: String,
    /// A short summary of the kind, the same for every occurrence.
    #[schema(example = "Invalid token")]
    pub title: String,
    /// The HTTP status code, repeated for clients that lose the status line.
    #[schema(example = 401)]
    pub status: u16,
    /// What went wrong this time, for a person.
    #[schema(example = "the access token has expired")]
    pub detail: String,
    /// Present on validation failures: one entry per rejected field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

/// Why one field of a request was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field's name in the request body (or query).
    #[schema(example = "username")]
    pub field: String,
    #[schema(example = "must be 3 to 32 characters")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// This error as an answer shows it: a message quoting a huge value is cut down.
    fn capped(&self) -> Self {
        Self {
            field: echo(&self.field).into_owned(),
            message: echo(&self.message).into_owned(),
        }
    }
}

/// Every way an admin request can fail. Handlers return `Result<Json<T>, ApiError>`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No credentials at all: 401 with a bare `Bearer realm="admin"` challenge.
    #[error("authentication required")]
    MissingToken,
    /// An access token that is malformed, forged, expired, not yet valid, meant for something else, or
    /// whose account is disabled: 401 with `error="invalid_token"`.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// Wrong username or password (deliberately indistinguishable), or an unusable refresh token: 401.
    #[error("{0}")]
    InvalidCredentials(&'static str),
    /// Authenticated, but the account's role does not allow this: 403.
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    NotFound(String),
    /// No admin URL is this path: 404, told apart from [`Self::NotFound`] (a missing record) by its type.
    #[error("no admin API operation has this URL; the operations are listed at /admin/openapi.json")]
    NoRoute,
    /// The URL exists, but not with this method: 405 (axum adds `Allow`).
    #[error("this URL does not take {0}; the Allow header lists the methods it takes")]
    MethodNotAllowed(String),
    /// The request conflicts with the current state (a duplicate, a state that moved on): 409.
    #[error("{0}")]
    Conflict(String),
    /// A body that is not the expected JSON: 400.
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed, but some fields are refused: 422 with `errors`.
    #[error("invalid fields")]
    Validation(Vec<FieldError>),
    /// Too many attempts: 429 with `Retry-After` (whole seconds, at least 1).
    #[error("too many attempts")]
    TooManyRequests { retry_after: Duration },
    /// `JWT_SECRET` is not set: the admin API is off (503).
    #[error("admin API disabled")]
    Disabled,
    /// A part of the market the request needs is not configured here (e.g. Kakao Pay): 503.
    #[error("{0}")]
    Unavailable(String),
    /// Anything the client cannot fix (database down, a bug). Logged; the client sees a generic message.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        Self::Internal(format!("database: {err}"))
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::MissingToken | Self::InvalidToken(_) | Self::InvalidCredentials(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::NoRoute => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Disabled | Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable slug of the problem type and its title.
    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            Self::MissingToken => ("unauthenticated", "Authentication required"),
            Self::InvalidToken(_) => ("invalid-token", "Invalid token"),
            Self::InvalidCredentials(_) => ("invalid-credentials", "Invalid credentials"),
            Self::Forbidden(_) => ("forbidden", "Forbidden"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::NoRoute => ("no-route", "No such URL"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::BadRequest(_) => ("bad-request", "Bad request"),
            Self::Validation(_) => ("validation", "Invalid fields"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many attempts"),
            Self::Disabled => ("admin-disabled", "Admin API disabled"),
            Self::Unavailable(_) => ("unavailable", "Not available"),
            Self::Internal(_) => ("internal", "Internal error"),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Disabled => "the server has no JWT_SECRET, so the admin API is off".into(),
            Self::TooManyRequests { retry_after } => {
                format!("too many attempts; try again in {} s", retry_secs(*retry_after))
            }
            Self::Validation(errors) => format!("{} field(s) refused", errors.len()),
            // The cause is in the log, not in the answer.
            Self::Internal(_) => "something went wrong on our side".into(),
            other => other.to_string(),
        }
    }

    /// The body this error answers with. Texts that may quote the client's input (parser messages, a
    /// refused value) are capped by [`echo`], so a huge value is not sent back whole.
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.kind();
        Problem {
            kind: format!("urn:junggye:problem:{slug}"),
            title: title.to_owned(),
            status: self.status().as_u16(),
            detail: echo(&self.detail()).into_owned(),
            errors: match self {
                Self::Validation(errors) => Some(errors.iter().map(FieldError::capped).collect()),
                _ => None,
            },
        }
    }

    /// `WWW-Authenticate` (RFC 6750 §3) or `Retry-After`, when this error carries one.
    fn extra_header(&self) -> Option<(header::HeaderName, String)> {
        match self {
            // RFC 9110 §15.5.2: every 401 names the scheme that would work.
            Self::MissingToken | Self::InvalidCredentials(_) => {
                Some((header::WWW_AUTHENTICATE, format!("Bearer realm=\"{REALM}\"")))
            }
            Self::InvalidToken(_) => Some((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"{REALM}\", error=\"invalid_token\""),
            )),
            Self::Forbidden(_) => Some((
                header::WWW_AUTHENTICATE,
                format!("Bearer realm=\"{REALM}\", error=\"insufficient_scope\""),
            )),
            Self::TooManyRequests { retry_after } => {
                Some((header::RETRY_AFTER, retry_secs(*retry_after).to_string()))
            }
            _ => None,
        }
    }
}

/// `Retry-After` in whole seconds, rounded up and never 0 (0 would invite an immediate retry).
fn retry_secs(wait: Duration) -> u64 {
    u64::try_from(wait.as_millis().div_ceil(1000))
        .unwrap_or(u64::MAX)
        .max(1)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            tracing::error!(%cause, "admin request failed");
        }
        let mut response = (self.status(), Json(self.problem())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some((name, value)) = self.extra_header()
            && let Ok(value) = HeaderValue::from_str(&value)
        {
            headers.insert(name, value);
        }
        response
    }
}

/// `axum::Json` whose rejections (wrong content type, malformed or mistyped JSON) answer as
/// [`ApiError::BadRequest`] problems instead of axum's plain-text bodies.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

/// `axum::extract::Query` answering its rejections (a mistyped parameter) as problems, like [`ApiJson`].
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// `axum::extract::Path` answering its rejections (an id that is not a number) as problems.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_rounded_up_and_never_zero() {
        assert_eq!(retry_secs(Duration::from_millis(0)), 1);
        assert_eq!(retry_secs(Duration::from_millis(10)), 1);
        assert_eq!(retry_secs(Duration::from_secs(3)), 3);
        assert_eq!(retry_secs(Duration::from_millis(3_001)), 4);
    }

    #[test]
    fn internal_causes_stay_out_of_the_body() {
        let problem = ApiError::Internal("database: password=hunter2".into()).problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn quoted_input_is_capped_in_details_and_field_messages() {
        let huge = "A".repeat(200_000);
        let bad = ApiError::BadRequest(format!("invalid type: string \"{huge}\", expected i64")).problem();
        assert!(bad.detail.len() < 1_024 && bad.detail.ends_with("expected i64"));
        let refused =
            ApiError::Validation(vec![FieldError::new("source", format!("no source {huge}"))]).problem();
        assert!(refused.errors.unwrap()[0].message.len() < 1_024);
    }

    #[test]
    fn validation_problems_list_their_fields() {
        let problem = ApiError::Validation(vec![FieldError::new("username", "too short")]).problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.kind, "urn:junggye:problem:validation");
        assert_eq!(problem.errors.unwrap()[0].field, "username");
    }
}
