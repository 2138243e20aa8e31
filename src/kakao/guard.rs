//! The shared-secret check in front of every skill.
//!
//! Kakao signs nothing, so anyone who finds a skill URL could post a forged payload as any user.
//! Open Builder can send a custom header with each call; we require it and compare it in constant time.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::not_a_skill_call;
use crate::state::AppState;

/// Lets the call through only with the configured secret header (401 when absent, 403 when wrong).
/// Without a configured secret (never in production) every call passes; start-up warned about it.
pub async fn require_skill_secret(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(secret) = &state.config.skill_secret else {
        return next.run(request).await;
    };
    let Some(sent) = request.headers().get(&state.config.skill_secret_header) else {
        return not_a_skill_call(StatusCode::UNAUTHORIZED, "missing skill secret");
    };
    if !constant_time_eq(sent.as_bytes(), secret.expose_secret().as_bytes()) {
        return not_a_skill_call(StatusCode::FORBIDDEN, "wrong skill secret");
    }
    next.run(request).await
}

/// Equality whose time does not depend on where the inputs differ (length may still show).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_compare_by_value() {
        assert!(super::constant_time_eq(b"abc", b"abc"));
        assert!(!super::constant_time_eq(b"abc", b"abd"));
        assert!(!super::constant_time_eq(b"abc", b"abcd"));
    }
}
