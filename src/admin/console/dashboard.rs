//! `/admin/ui`: the market today at a glance — skill calls and their p99, orders by status, the deal
//! boards' health, the notices sent.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::deals::{BoardRow, boards};
use super::session::Operator;
use super::view::{self, Chrome, Section};
use crate::admin::skill_calls::{self, StatsRange};
use crate::admin::{AdminState, ApiError, ApiQuery};
use crate::clock::now_ms;
use crate::notifications::hours;
use crate::orders::OrderStatus;

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    calls: Option<CallsToday>,
    orders: Vec<(String, String, i64)>,
    boards: Vec<BoardRow>,
    notices: NoticesToday,
}

/// Skill calls since midnight (KST).
struct CallsToday {
    total: i64,
    failed: i64,
    /// The slowest route's p99, with its route.
    worst_p99_ms: String,
    worst_route: String,
    busiest: Vec<(String, i64, String)>,
}

/// Notices written since midnight (KST), and messages handed to Kakao.
struct NoticesToday {
    written: i64,
    delivered: i64,
    failed: i64,
    waiting: i64,
    /// Messages Kakao took today: what the Event API bills.
    messages: i64,
    /// Their cost at `NOTIFY_MESSAGE_PRICE_WON`, when it is set.
    cost: Option<String>,
    /// Whether notices are sent at all (the Event API is configured).
    configured: bool,
}

/// `GET /admin/ui`.
pub async fn show(State(state): State<AdminState>, operator: Operator) -> Response {
    match load(&state, &operator).await {
        Ok(page) => view::page(&page, None),
        Err(error) => view::problem(&operator, Section::Dashboard, error),
    }
}

async fn load(state: &AdminState, operator: &Operator) -> Result<Dashboard, ApiError> {
    let now = now_ms();
    let today = hours::today_since(now);
    let db = &state.app.db;
    let range = StatsRange {
        from: Some(today.to_string()),
        to: None,
    };
    let calls = match skill_calls::stats(State(state.clone()), operator.viewer(), ApiQuery(range)).await {
        Ok(Json(stats)) => Some(calls_today(stats)),
        Err(ApiError::Unavailable(_)) => None,
        Err(error) => return Err(error),
    };
    let orders = crate::orders::store::count_by_status(db)
        .await?
        .into_iter()
        .map(|(key, n)| {
            let label = OrderStatus::parse(&key).map_or_else(|| key.clone(), |s| s.label().to_owned());
            (key, label, n)
        })
        .collect();
    let boards = boards(state, operator).await;
    let notices = notices_today(state, today, now).await?;
    Ok(Dashboard {
        chrome: Chrome::new(operator, Section::Dashboard, None),
        calls,
        orders,
        boards,
        notices,
    })
}

fn calls_today(stats: skill_calls::SkillCallStats) -> CallsToday {
    let total = stats.routes.iter().map(|r| r.calls).sum();
    let failed = stats
        .routes
        .iter()
        .map(|r| r.calls - r.outcomes.get("ok").copied().unwrap_or(0))
        .sum();
    let worst = stats.routes.iter().max_by(|a, b| a.p99_ms.total_cmp(&b.p99_ms));
    let mut busiest: Vec<_> = stats
        .routes
        .iter()
        .map(|r| (r.route.clone(), r.calls, format!("{:.1}", r.p99_ms)))
        .collect();
    busiest.sort_by_key(|b| std::cmp::Reverse(b.1));
    busiest.truncate(5);
    CallsToday {
        total,
        failed,
        worst_p99_ms: worst.map_or_else(|| "-".to_owned(), |r| format!("{:.1}", r.p99_ms)),
        worst_route: worst.map_or_else(String::new, |r| r.route.clone()),
        busiest,
    }
}

async fn notices_today(state: &AdminState, today: i64, now: i64) -> Result<NoticesToday, ApiError> {
    let db = &state.app.db;
    let rows = crate::notifications::store::states_since(db, today).await?;
    let count = |states: &[&str]| -> i64 {
        rows.iter()
            .filter(|(_, state, _)| states.contains(&state.as_str()))
            .map(|(_, _, n)| n)
            .sum()
    };
    let messages = crate::notifications::store::sent_on(db, &hours::day(now)).await?;
    let price = state
        .app
        .config
        .notify
        .as_ref()
        .map(|n| i64::from(n.message_price_won));
    Ok(NoticesToday {
        configured: price.is_some(),
        cost: price
            .filter(|p| *p > 0)
            .map(|p| crate::present::won(p.saturating_mul(messages))),
        messages,
        written: rows.iter().map(|(_, _, n)| n).sum(),
        delivered: count(&["delivered"]),
        failed: count(&["failed"]),
        waiting: count(&["queued", "sending", "accepted", "unsure"]),
    })
}
