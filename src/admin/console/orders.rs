//! `/admin/ui/orders`: orders by status, one order with its Kakao Pay calls, and a refund that asks to be
//! confirmed first.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::Response;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::orders::{self as api, OrderDto, OrderFilter, PaymentEventDto};
use crate::admin::{AdminState, ApiPath, ApiQuery};
use crate::orders::OrderStatus;
use crate::present::won;

/// Statuses an admin may refund from (`orders::store::begin_refund` has the last word).
const REFUNDABLE: [&str; 2] = ["paid", "buyer_confirmed"];

struct OrderRow {
    id: i64,
    item: String,
    buyer: String,
    seller: String,
    amount: String,
    status: String,
    status_label: String,
    created: String,
}

impl From<&OrderDto> for OrderRow {
    fn from(o: &OrderDto) -> Self {
        Self {
            id: o.id,
            item: o.item_name.clone(),
            buyer: o.buyer_name.clone(),
            seller: o.seller_name.clone(),
            amount: won(o.amount),
            status: o.status.clone(),
            status_label: o.status_label.clone(),
            created: at(Some(o.created_at)),
        }
    }
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    chrome: Chrome,
    statuses: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<OrderRow>,
    total: i64,
    page: i64,
    pages: i64,
    /// The filter, for the pager's links.
    query: String,
}

/// `GET /admin/ui/orders?status=&page=`.
pub async fn list(
    State(state): State<AdminState>,
    operator: Operator,
    ApiQuery(mut filter): ApiQuery<OrderFilter>,
) -> Response {
    filter.status = filter.status.filter(|s| !s.is_empty());
    let status = filter.status.clone().unwrap_or_default();
    match api::list(State(state), operator.viewer(), ApiQuery(filter)).await {
        Ok(Json(found)) => {
            let page = OrdersPage {
                chrome: Chrome::new(&operator, Section::Orders, None),
                statuses: OrderStatus::ALL
                    .iter()
                    .map(|s| (s.key(), s.label(), s.key() == status))
                    .collect(),
                rows: found.items.iter().map(OrderRow::from).collect(),
                total: found.total,
                page: found.page,
                pages: view::pages(found.total, found.per_page),
                query: view::query(&[("status", &status)]),
            };
            view::page(&page, None)
        }
        Err(error) => view::problem(&operator, Section::Orders, error),
    }
}

struct EventRow {
    call: String,
    outcome: String,
    amount: String,
    elapsed_ms: i64,
    at: String,
}

impl From<&PaymentEventDto> for EventRow {
    fn from(e: &PaymentEventDto) -> Self {
        Self {
            call: e.call.clone(),
            outcome: e.outcome.clone(),
            amount: e.amount.map_or_else(|| "-".to_owned(), won),
            elapsed_ms: e.elapsed_ms,
            at: at(Some(e.created_at)),
        }
    }
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    chrome: Chrome,
    order: OrderRow,
    product_id: i64,
    facts: Vec<(&'static str, String)>,
    events: Vec<EventRow>,
    refundable: bool,
    confirming: bool,
}

/// `GET /admin/ui/orders/{id}`.
pub async fn detail(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    show(&state, &operator, id, None, false).await
}

/// `GET /admin/ui/orders/{id}/refund`: the order with the refund to confirm.
pub async fn confirm_refund(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    show(&state, &operator, id, None, true).await
}

/// `POST /admin/ui/orders/{id}/refund`: cancels the order and refunds the buyer (the API's cancel).
pub async fn refund(
    State(state): State<AdminState>,
    operator: Operator,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let cancelled = operator
        .as_admin(|admin| api::cancel(State(state.clone()), admin, ApiPath(id)))
        .await;
    let flash = match cancelled {
        Ok(order) if order.status == "refunded" => {
            Flash::ok(format!("{}을 환불했습니다.", won(order.amount)))
        }
        Ok(order) => Flash::ok(format!(
            "주문을 취소했습니다. 환불 {}은 카카오페이 확인을 기다리는 중입니다(자동으로 다시 시도).",
            won(order.amount)
        )),
        Err(error) => Flash::from(error),
    };
    show(&state, &operator, id, Some(flash), false).await
}

async fn show(
    state: &AdminState,
    operator: &Operator,
    id: i64,
    flash: Option<Flash>,
    confirming: bool,
) -> Response {
    let detail = match api::detail(State(state.clone()), operator.viewer(), ApiPath(id)).await {
        Ok(Json(detail)) => detail,
        Err(error) => return view::problem(operator, Section::Orders, error),
    };
    let o = &detail.order;
    let refundable = operator.is_admin() && REFUNDABLE.contains(&o.status.as_str());
    let page = OrderPage {
        chrome: Chrome::new(operator, Section::Orders, flash.clone()),
        order: OrderRow::from(o),
        product_id: o.product_id,
        facts: facts(o),
        events: detail.events.iter().map(EventRow::from).collect(),
        refundable,
        confirming: confirming && refundable,
    };
    view::page(&page, flash.as_ref())
}

/// The order's times and details, in the order they happen.
fn facts(o: &OrderDto) -> Vec<(&'static str, String)> {
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".to_owned());
    vec![
        ("주문 시각", at(Some(o.created_at))),
        ("결제 시각", at(o.paid_at)),
        ("결제 수단", text(&o.payment_method)),
        ("송장 번호", text(&o.tracking_number)),
        ("발송 시각", at(o.shipped_at)),
        ("자동 구매확정 예정", at(o.auto_confirm_at)),
        ("완료 시각", at(o.completed_at)),
        ("종료 시각", at(o.closed_at)),
        ("종료 사유", text(&o.close_reason)),
        ("환불", text(&o.refund)),
        ("승인 확인", text(&o.approval_watch)),
    ]
}
