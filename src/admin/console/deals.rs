//! `/admin/ui/deals`: the hot-deal boards' health, and reading one (or all) now.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum::{Form, Json};
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::deals::{self as api, DealRefreshRequest, SourceDto};
use crate::admin::{AdminState, ApiJson};

/// A board as the console shows it.
pub struct BoardRow {
    pub key: String,
    pub name: String,
    /// `ok`, `failing` or `never` (not read yet).
    pub health: &'static str,
    pub health_label: &'static str,
    pub last_success: String,
    pub items: i64,
    pub failures: i64,
    pub last_error: String,
    pub breaker: String,
}

impl From<SourceDto> for BoardRow {
    fn from(s: SourceDto) -> Self {
        let (health, health_label) = match (s.last_success_ms, s.consecutive_failures) {
            (_, n) if n > 0 => ("failing", "실패 중"),
            (Some(_), _) => ("ok", "정상"),
            (None, _) => ("never", "아직 읽지 않음"),
        };
        Self {
            key: s.key,
            name: s.name,
            health,
            health_label,
            last_success: at(s.last_success_ms),
            items: s.item_count,
            failures: s.consecutive_failures,
            last_error: match (s.last_error_kind, s.last_error) {
                (Some(kind), Some(text)) => format!("[{kind}] {text}"),
                (None, Some(text)) => text,
                _ => String::new(),
            },
            breaker: s
                .breaker_open_secs
                .map_or_else(String::new, |secs| format!("{secs}초 뒤 다시 읽음")),
        }
    }
}

/// Every board's health, as the API reports it.
pub async fn boards(state: &AdminState, operator: &Operator) -> Vec<BoardRow> {
    let Json(sources) = api::sources(State(state.clone()), operator.viewer()).await;
    sources.into_iter().map(BoardRow::from).collect()
}

#[derive(Template)]
#[template(path = "deals.html")]
struct DealsPage {
    chrome: Chrome,
    boards: Vec<BoardRow>,
}

/// `GET /admin/ui/deals`.
pub async fn show(State(state): State<AdminState>, operator: Operator) -> Response {
    render(&state, &operator, None).await
}

async fn render(state: &AdminState, operator: &Operator, flash: Option<Flash>) -> Response {
    let page = DealsPage {
        boards: boards(state, operator).await,
        chrome: Chrome::new(operator, Section::Deals, flash.clone()),
    };
    view::page(&page, flash.as_ref())
}

#[derive(Deserialize)]
pub struct RefreshForm {
    /// A board's key; every board when empty.
    #[serde(default)]
    source: String,
}

/// `POST /admin/ui/deals/refresh`: reads the board now and shows what came of it.
pub async fn refresh(
    State(state): State<AdminState>,
    operator: Operator,
    Form(form): Form<RefreshForm>,
) -> Response {
    let request = DealRefreshRequest {
        source: Some(form.source).filter(|s| !s.is_empty()),
    };
    let refreshed = operator
        .as_admin(|admin| api::refresh(State(state.clone()), admin, ApiJson(request)))
        .await;
    let flash = match refreshed {
        Ok(results) => Flash::ok(
            results
                .iter()
                .map(|r| format!("{}: {}", r.source, r.outcome))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Err(error) => Flash::from(error),
    };
    render(&state, &operator, Some(flash)).await
}
