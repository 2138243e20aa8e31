//! The skill runtime: how a Kakao skill call becomes a handler call and always comes back as a valid
//! SkillResponse.
//!
//! A handler is an `async fn(SkillCall) -> SkillResult`. [`skill`] turns it into an axum route that
//! 1. parses the body as a [`SkillPayload`] (a body that is not one gets HTTP 400 — it is not from Kakao),
//! 2. checks the bot id when one is configured (HTTP 403),
//! 3. runs the handler in its own task under the skill deadline,
//! 4. turns every failure — a [`SkillError`], a panic, the deadline — into a short Korean answer with a
//!    way back to the main menu, with HTTP 200, because Kakao shows its own generic error for anything else,
//!    and
//! 5. records the call (route template, block, hashed user, outcome, latency) in the skill request log,
//!    [`crate::skill_log`], without waiting, and in the Prometheus metrics ([`crate::metrics`]).
//!
//! The shared-secret header is checked before any of this by [`super::guard`], a middleware on all `/skill` routes.

use std::future::Future;
use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{MatchedPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, post};
use tracing::Instrument;

use super::replies;
use crate::blocks::Nav;
use crate::domain::Invalid;
use crate::members::{Member, store as member_store};
use crate::state::AppState;
use kakao_skill::{SkillPayload, SkillResponse};

/// What a skill handler returns.
pub type SkillResult = Result<SkillResponse, SkillError>;

/// Why a skill could not do what was asked. Each becomes a friendly answer in [`SkillError::into_reply`].
#[derive(Debug, thiserror::Error)]
pub enum SkillError {
    /// The caller must join first.
    #[error("caller is not a member")]
    NotMember,
    /// The user's input broke a rule; the message says which, in Korean.
    #[error("invalid input: {0}")]
    Invalid(#[from] Invalid),
    /// The request is understood but not allowed now (the message says why, in Korean).
    #[error("refused: {0}")]
    Refused(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("internal: {0}")]
    Internal(String),
}

impl SkillError {
    /// The answer the user sees. Internal details never reach the user; they are logged once in [`run`].
    pub fn into_reply(self, nav: &Nav) -> SkillResponse {
        match self {
            Self::NotMember => replies::join_first(nav),
            Self::Invalid(invalid) => replies::problem(nav, invalid.message()),
            Self::Refused(message) => replies::problem(nav, &message),
            Self::Db(_) | Self::Internal(_) => replies::trouble(nav),
        }
    }

    fn outcome(&self) -> &'static str {
        match self {
            Self::NotMember => "not_member",
            Self::Invalid(_) => "invalid",
            Self::Refused(_) => "refused",
            Self::Db(_) => "db_error",
            Self::Internal(_) => "internal_error",
        }
    }
}

/// Said to a suspended member ([`crate::members::suspension`]) whatever they ask.
pub const SUSPENDED: &str = "신고가 확인되어 계정 이용이 제한됐어요. 진행 중인 거래는 마무리할 수 있어요. 문의는 고객센터로 해 주세요.";

/// One skill call: the parsed payload and the application state.
pub struct SkillCall {
    pub state: AppState,
    pub payload: SkillPayload,
}

impl SkillCall {
    pub fn nav(&self) -> &Nav {
        &self.state.nav
    }

    /// The calling member, or [`SkillError::NotMember`]; a suspended member is refused here, so no skill
    /// acts for them.
    pub async fn member(&self) -> Result<Member, SkillError> {
        let member = self.find_member().await?.ok_or(SkillError::NotMember)?;
        if member.suspended {
            return Err(SkillError::Refused(SUSPENDED.into()));
        }
        Ok(member)
    }

    /// The calling member, suspended or not, for the order skills: a suspension stops new business, never
    /// a trade under way (the other party is waiting for its shipping and confirmations).
    pub async fn trader(&self) -> Result<Member, SkillError> {
        self.find_member().await?.ok_or(SkillError::NotMember)
    }

    /// The calling member, if they joined.
    pub async fn find_member(&self) -> Result<Option<Member>, SkillError> {
        Ok(member_store::find_active(&self.state.db, self.payload.user_id()).await?)
    }

    /// The value of `key` in `clientExtra`, if our button put one there.
    pub fn extra(&self, key: super::extra::Key) -> Option<&str> {
        self.payload.extra(key.name())
    }

    /// A required block parameter; missing means the user skipped a slot.
    pub fn param(&self, name: &str, missing: &'static str) -> Result<&str, SkillError> {
        self.payload
            .param(name)
            .ok_or_else(|| SkillError::Invalid(Invalid::new(missing)))
    }
}

/// Makes an axum POST route out of a skill handler (see the module documentation).
pub fn skill<F, Fut>(handler: F) -> MethodRouter<AppState>
where
    F: Fn(SkillCall) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = SkillResult> + Send + 'static,
{
    post(
        move |State(state): State<AppState>, route: Option<MatchedPath>, body: Bytes| {
            run(state, route, body, handler.clone())
        },
    )
}

async fn run<F, Fut>(state: AppState, route: Option<MatchedPath>, body: Bytes, handler: F) -> Response
where
    F: Fn(SkillCall) -> Fut,
    Fut: Future<Output = SkillResult> + Send + 'static,
{
    let payload = match SkillPayload::from_slice(&body) {
        Ok(payload) => payload,
        Err(err) => return not_a_skill_call(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    if let Some(expected) = &state.config.kakao_bot_id
        && payload.bot_id() != expected
    {
        return not_a_skill_call(StatusCode::FORBIDDEN, "unexpected bot id");
    }

    let span = tracing::Span::current();
    span.record("block", payload.user_request.block.name.as_str());
    let started = Instant::now();
    let nav = state.nav.clone();
    let deadline = state.config.skill_deadline;
    let log_entry = state.skill_log.entry(route.as_ref(), &payload);
    // The handler runs in its own task: a panic stays inside it, and at the deadline we answer without
    // cancelling it, so a write that is under way still finishes (or rolls back) as one unit.
    let task = tokio::spawn(handler(SkillCall { state, payload }).instrument(span.clone()));
    let (reply, outcome) = match tokio::time::timeout(deadline, task).await {
        Ok(Ok(Ok(reply))) => (reply, "ok"),
        Ok(Ok(Err(err))) => {
            let outcome = err.outcome();
            match &err {
                SkillError::Db(_) | SkillError::Internal(_) => tracing::error!(error = %err, "skill failed"),
                _ => tracing::debug!(error = %err, "skill refused"),
            }
            (err.into_reply(&nav), outcome)
        }
        Ok(Err(join_error)) => {
            tracing::error!(error = %join_error, "skill panicked");
            (replies::trouble(&nav), "panic")
        }
        Err(_) => {
            tracing::warn!(
                deadline_ms = deadline.as_millis() as u64,
                "skill missed its deadline"
            );
            (replies::slow(&nav), "deadline")
        }
    };
    let latency = started.elapsed();
    log_entry.record(outcome, latency);
    span.record("outcome", outcome);
    span.record("skill_ms", latency.as_millis() as u64);
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    crate::metrics::global().skill_call(route, outcome, latency);
    Json(reply).into_response()
}

/// The answer to a body that is not a skill call (not Kakao's, so not a SkillResponse either). The
/// reason is often a parser message quoting the offending value, so it is capped.
pub fn not_a_skill_call(status: StatusCode, reason: &str) -> Response {
    let body = serde_json::json!({ "error": crate::present::echo(reason) });
    (status, Json(body)).into_response()
}
