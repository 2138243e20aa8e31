//! Orders for admins: the list with filters, one order with its Kakao Pay calls, and cancellation.
//!
//! A cancellation is the operator's refund of the payment flow: `orders::store::begin_refund` (order
//! to `refund_pending`, product back on sale, in one transaction) then `Payments::refund`, which
//! confirms with Kakao Pay or leaves the order pending for the reconciler. No refund logic lives here.
//! Payment ids (tid, aid) and the order's reference (a capability in the payment URLs) are not shown.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::{self, Entry};
use super::listing::{self, Arg, Filter, Paged, Paging, parse_instant, refuse_if_any};
use super::{AdminOnly, AdminState, ApiError, ApiPath, ApiQuery, FieldError, Problem, Viewer};
use crate::db::Db;
use crate::domain::ids::OrderId;
use crate::orders::model::PaymentEvent;
use crate::orders::store::{self, Refunder};
use crate::orders::{CloseReason, Order, OrderStatus, Payments};

/// An order as admins see it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub id: i64,
    pub product_id: i64,
    pub buyer_id: i64,
    pub buyer_name: String,
    pub seller_id: i64,
    pub seller_name: String,
    pub item_name: String,
    /// Won.
    pub amount: i64,
    /// `pending`, `approving`, `paid`, `buyer_confirmed`, `completed`, `refund_pending`, `refunded` or
    /// `abandoned`.
    #[schema(example = "paid")]
    pub status: String,
    pub status_label: String,
    /// Why the order was closed or refunded, e.g. `admin_cancelled`.
    pub close_reason: Option<String>,
    /// `pending` while Kakao Pay has not confirmed the refund (the reconciler retries), `confirmed`
    /// once it has; absent when there is no refund.
    #[schema(example = "confirmed")]
    pub refund: Option<String>,
    /// `watching` while the reconciler still asks Kakao Pay whether an approve whose answer was lost went
    /// through after all (a payment completed after the order closed is refunded); `given_up` when it
    /// stopped asking without a final status: check the payment with Kakao Pay. Absent otherwise.
    #[schema(example = "watching")]
    pub approval_watch: Option<String>,
    pub payment_method: Option<String>,
    pub tracking_number: Option<String>,
    /// Unix milliseconds (UTC), like every time below.
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    /// When the purchase confirms itself unless the buyer confirms it first (`AUTO_CONFIRM_DAYS` after
    /// shipping): present only while the order is paid with a tracking number.
    pub auto_confirm_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub closed_at: Option<i64>,
}

impl OrderDto {
    /// `payments` knows when a purchase confirms itself; without Kakao Pay nothing does.
    fn new(o: &Order, payments: Option<&Payments>) -> Self {
        Self {
            id: o.id.get(),
            product_id: o.product_id.get(),
            buyer_id: o.buyer_id.get(),
            buyer_name: o.buyer_name.clone(),
            seller_id: o.seller_id.get(),
            seller_name: o.seller_name.clone(),
            item_name: o.item_name.clone(),
            amount: o.amount,
            status: o.status.key().into(),
            status_label: o.status.label().into(),
            close_reason: o.close_reason.map(|r| r.key().to_owned()),
            refund: match o.status {
                OrderStatus::RefundPending => Some("pending".into()),
                OrderStatus::Refunded => Some("confirmed".into()),
                _ => None,
            },
            approval_watch: o.approval_watch.map(|w| w.key().to_owned()),
            payment_method: o.payment_method.clone(),
            tracking_number: o.tracking_number.clone(),
            created_at: o.created_at,
            updated_at: o.updated_at,
            paid_at: o.paid_at,
            shipped_at: o.shipped_at,
            auto_confirm_at: payments.and_then(|p| p.auto_confirms_at(o)),
            completed_at: o.completed_at,
            closed_at: o.closed_at,
        }
    }
}

/// One recorded Kakao Pay call: what, how it ended, how much, when. Its recorded detail is left out
/// because it names Kakao Pay's ids (`tid`, `aid`).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PaymentEventDto {
    pub id: i64,
    /// `ready`, `approve`, `cancel` or `order`.
    pub call: String,
    /// `ok`, `rejected`, `unavailable`, `ambiguous` or `invalid`.
    pub outcome: String,
    /// Won: what Kakao Pay reported (approved, refunded, the payment's total), else what the call asked
    /// for; absent when neither is known.
    pub amount: Option<i64>,
    pub elapsed_ms: i64,
    /// Unix milliseconds (UTC).
    pub created_at: i64,
}

impl From<PaymentEvent> for PaymentEventDto {
    fn from(e: PaymentEvent) -> Self {
        Self {
            id: e.id,
            call: e.call,
            outcome: e.outcome,
            amount: e.amount,
            elapsed_ms: e.elapsed_ms,
            created_at: e.created_at,
        }
    }
}

/// An order and its Kakao Pay calls, oldest first.
#[derive(Serialize, ToSchema)]
pub struct OrderDetail {
    pub order: OrderDto,
    pub events: Vec<PaymentEventDto>,
}

listing::page_of!(
    /// A page of orders.
    OrderPage,
    OrderDto
);

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderFilter {
    /// An order status key, e.g. `paid`.
    pub status: Option<String>,
    /// Created at or after: Unix milliseconds or RFC 3339 (`2026-01-31T00:00:00+09:00`).
    pub created_from: Option<String>,
    /// Created at or before: Unix milliseconds or RFC 3339.
    pub created_to: Option<String>,
    /// From 1.
    pub page: Option<i64>,
    /// 1 to 100 (default 20).
    pub per_page: Option<i64>,
}

fn order_filter(query: &OrderFilter) -> Result<(Filter, Paging), ApiError> {
    let mut errors = Vec::new();
    let mut filter = Filter::default();
    if let Some(key) = query.status.as_deref() {
        match OrderStatus::parse(key) {
            Some(s) => filter.push(Arg::Text(s.key().into()), |p| format!("o.status = {p}")),
            None => errors.push(FieldError::new("status", "not an order status")),
        }
    }
    for (field, value, op) in [
        ("created_from", &query.created_from, ">="),
        ("created_to", &query.created_to, "<="),
    ] {
        let Some(text) = value else { continue };
        match parse_instant(text) {
            Some(ms) => filter.push(Arg::Int(ms), |p| format!("o.created_at {op} {p}")),
            None => errors.push(FieldError::new(
                field,
                "Unix milliseconds or an RFC 3339 date-time",
            )),
        }
    }
    let paging = Paging::parse(query.page, query.per_page, &mut errors);
    refuse_if_any(errors)?;
    Ok((filter, paging))
}

/// Orders, newest first.
#[utoipa::path(
    get,
    path = "/admin/orders",
    operation_id = "list_orders",
    tag = "orders",
    params(OrderFilter),
    responses(
        (status = 200, description = "A page of orders", body = OrderPage),
        (status = 400, description = "A parameter of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A filter or page value out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiQuery(query): ApiQuery<OrderFilter>,
) -> Result<Json<OrderPage>, ApiError> {
    let db = &state.app.db;
    let (filter, paging) = order_filter(&query)?;
    let (ids, total) = listing::page_ids(db, "orders o", "o.id", filter, paging).await?;
    let mut items = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(order) = store::get(db, OrderId::new(id)).await? {
            items.push(OrderDto::new(&order, state.app.payments.as_ref()));
        }
    }
    Ok(Json(Paged::new(items, paging, total).into()))
}

async fn find(db: &Db, id: i64) -> Result<Order, ApiError> {
    store::get(db, OrderId::new(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no order {id}")))
}

/// One order with its Kakao Pay calls.
#[utoipa::path(
    get,
    path = "/admin/orders/{id}",
    operation_id = "get_order",
    tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDetail),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn detail(
    State(state): State<AdminState>,
    Viewer(_): Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderDetail>, ApiError> {
    let db = &state.app.db;
    let order = find(db, id).await?;
    let events = store::events(db, OrderId::new(id)).await?;
    Ok(Json(OrderDetail {
        order: OrderDto::new(&order, state.app.payments.as_ref()),
        events: events.into_iter().map(PaymentEventDto::from).collect(),
    }))
}

/// Cancels a paid order and refunds the buyer. The answer says whether Kakao Pay confirmed the refund
/// (`refund: confirmed`) or it is left to the reconciler (`refund: pending`).
#[utoipa::path(
    post,
    path = "/admin/orders/{id}/cancel",
    operation_id = "cancel_order",
    tag = "orders",
    params(("id" = i64, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order, refunded or refund pending", body = OrderDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The order is not paid, or already completed or refunded", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Kakao Pay is not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn cancel(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<OrderDto>, ApiError> {
    let db = &state.app.db;
    let Some(payments) = state.app.payments.as_ref() else {
        return Err(ApiError::Unavailable(
            "Kakao Pay is not configured, so nothing can be refunded".into(),
        ));
    };
    let before = OrderDto::new(&find(db, id).await?, Some(payments));
    if !store::begin_refund(
        db,
        &state.app.catalog,
        &state.app.outbox,
        OrderId::new(id),
        Refunder::Operator(CloseReason::AdminCancelled),
    )
    .await?
    {
        return Err(ApiError::Conflict(format!(
            "order {id} is {}: only paid orders not yet completed can be cancelled",
            before.status
        )));
    }
    // The refund may fail after the order moved; the audit row is written either way.
    let refunded = payments.refund(OrderId::new(id)).await;
    let after = OrderDto::new(&find(db, id).await?, Some(payments));
    let entry = Entry::new("order.cancel", "order", Some(id))
        .before(&before)
        .after(&after);
    audit::record(db, &claims, &entry).await?;
    refunded?;
    Ok(Json(after))
}
