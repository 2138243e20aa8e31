//! The browser-facing payment URLs: the buy link and Kakao Pay's three redirects.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pay_page::PayOutcome;
use crate::orders::payment::{Payments, Start};
use crate::state::AppState;

/// Runs `page` with the payment flow, or shows the page saying payments are off.
async fn with_payments<'a, F, Fut>(state: &'a AppState, page: F) -> Response
where
    F: FnOnce(&'a Payments) -> Fut,
    Fut: Future<Output = Response>,
{
    match &state.payments {
        Some(payments) => page(payments).await,
        None => PayOutcome::PaymentsOff.into_response(),
    }
}

/// A database failure becomes a page that promises nothing happened that the flow cannot stand behind.
fn or_trouble(result: Result<PayOutcome, sqlx::Error>) -> Response {
    match result {
        Ok(page) => page.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "payment page failed");
            PayOutcome::Checking.into_response()
        }
    }
}

pub async fn start(State(state): State<AppState>, Path(token): Path<String>, headers: HeaderMap) -> Response {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    with_payments(&state, |payments| async move {
        match payments.start(&token, agent).await {
            Ok(Start::Redirect(url)) => Redirect::to(&url).into_response(),
            Ok(Start::Page(page)) => page.into_response(),
            Err(e) => {
                tracing::error!(error = %e, "payment start failed");
                PayOutcome::PayUnavailable.into_response()
            }
        }
    })
    .await
}

#[derive(Deserialize)]
pub struct Approval {
    #[serde(default)]
    pg_token: String,
}

pub async fn approve(
    State(state): State<AppState>,
    Path(reference): Path<String>,
    Query(query): Query<Approval>,
) -> Response {
    with_payments(&state, |p| async move {
        or_trouble(p.approve(&reference, &query.pg_token).await)
    })
    .await
}

pub async fn aborted(State(state): State<AppState>, Path(reference): Path<String>) -> Response {
    with_payments(&state, |p| async move { or_trouble(p.aborted(&reference).await) }).await
}
