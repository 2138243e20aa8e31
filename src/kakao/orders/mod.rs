//! The order skills: purchases, sales, one order, the tracking number, the two confirmations, and the
//! buyer's cancel.
//!
//! Every skill needs a member and an order they are a party to. Someone else's order is answered exactly
//! like an unknown one, so order ids reveal nothing. What each party may do when is decided once, in
//! [`OrderAction::check`]; the store's conditional updates then decide races, and a loser is told the
//! order changed under them.

pub mod cards;

use crate::kakao::extra::{CONFIRM_YES, Key};
use std::time::Duration;

use tracing::Instrument;

use crate::domain::Invalid;
use crate::domain::ids::OrderId;
use crate::domain::order::TrackingNumber;
use crate::kakao::{SkillCall, SkillError, SkillResult};
use crate::members::Member;
use crate::orders::actions::OrderAction;
use crate::orders::model::{Order, Party};
use crate::orders::payment::{Payments, RefundOutcome};
use crate::orders::store::{self, OrderList, Refunder};
use crate::present::won;
use crate::reviews::store::Trade;
use cards::PER_PAGE;

/// Said for an unknown order and for anyone else's, alike.
const NOT_FOUND: &str = "찾을 수 없는 주문이에요.";
/// Said when a conditional update lost to another change.
const CHANGED: &str = "그사이 주문 상태가 바뀌었어요. 주문을 다시 확인해 주세요.";

/// `/skill/orders/purchases`: what the caller bought, newest first (`clientExtra.cursor` pages).
pub async fn purchases(call: SkillCall) -> SkillResult {
    list(call, Party::Buyer).await
}

/// `/skill/orders/sales`: what buyers paid for the caller's products, newest first.
pub async fn sales(call: SkillCall) -> SkillResult {
    list(call, Party::Seller).await
}

async fn list(call: SkillCall, party: Party) -> SkillResult {
    let member = call.trader().await?;
    let which = match party {
        Party::Buyer => OrderList::Purchases(member.id),
        Party::Seller => OrderList::Sales(member.id),
    };
    let cursor = cursor(&call);
    let page = store::list(&call.state.db, which, cursor, PER_PAGE).await?;
    Ok(cards::order_page(call.nav(), party, &page, cursor.is_some()))
}

/// `/skill/orders/detail`: `clientExtra.orderId`, for its buyer or seller only.
pub async fn detail(call: SkillCall) -> SkillResult {
    let member = call.trader().await?;
    let (order, party) = party_order(&call, &member).await?;
    let confirms_itself_at = call
        .state
        .payments
        .as_ref()
        .and_then(|p| p.auto_confirms_at(&order));
    let review = order.status == crate::orders::OrderStatus::Completed
        && !crate::reviews::store::has_written(&call.state.db, Trade::Order(order.id), member.id).await?;
    Ok(cards::detail(
        call.nav(),
        &order,
        party,
        confirms_itself_at,
        review,
    ))
}

/// `/skill/orders/tracking`: the seller enters `params.trackingNumber` for `clientExtra.orderId`, and may
/// change it until the buyer confirms.
pub async fn tracking(call: SkillCall) -> SkillResult {
    let member = call.trader().await?;
    let id = order_id(&call)?;
    let number = TrackingNumber::parse(call.param("trackingNumber", "운송장 번호를 입력해 주세요.")?)?;
    let (order, party) = party_order_by_id(&call, &member, id).await?;
    let action = OrderAction::Tracking;
    action.check(&order, party).map_err(SkillError::Refused)?;
    if !store::set_tracking(
        &call.state.db,
        &call.state.outbox,
        order.id,
        member.id,
        number.as_str(),
    )
    .await?
    {
        return Err(changed(&call, order.id, party, action).await);
    }
    let message =
        format!("운송장 번호 {number}을(를) 저장했어요. 구매자가 구매확정하기 전까지는 바꿀 수 있어요.");
    Ok(cards::done(call.nav(), message, order.id, party))
}

/// `/skill/orders/confirm-purchase`: the buyer confirms receipt once a tracking number exists; asks first
/// unless `clientExtra.confirm = yes`.
pub async fn confirm_purchase(call: SkillCall) -> SkillResult {
    let member = call.trader().await?;
    let action = OrderAction::ConfirmPurchase;
    let (order, party) = actionable(&call, &member, action).await?;
    if !confirmed(&call) {
        let consequence = format!(
            "'{}'을(를) 잘 받으셨다면 구매확정해 주세요. 구매확정한 뒤에는 주문을 취소할 수 없어요.",
            order.item_name
        );
        return Ok(cards::ask(
            call.nav(),
            action,
            &order,
            "정말 구매확정하시겠어요?",
            &consequence,
        ));
    }
    if !store::confirm_purchase(&call.state.db, &call.state.outbox, order.id, member.id).await? {
        return Err(changed(&call, order.id, party, action).await);
    }
    let message = "구매확정했어요. 판매자가 판매확정하면 거래가 완료돼요.";
    Ok(cards::done(call.nav(), message, order.id, party))
}

/// `/skill/orders/confirm-sale`: the seller confirms after the buyer did; the order completes and the
/// product is sold. Asks first unless `clientExtra.confirm = yes`.
pub async fn confirm_sale(call: SkillCall) -> SkillResult {
    let member = call.trader().await?;
    let action = OrderAction::ConfirmSale;
    let (order, party) = actionable(&call, &member, action).await?;
    if !confirmed(&call) {
        return Ok(cards::ask(
            call.nav(),
            action,
            &order,
            "정말 판매확정하시겠어요?",
            "판매확정하면 거래가 완료되고 상품이 판매완료로 바뀌어요.",
        ));
    }
    let (db, catalog, outbox) = (&call.state.db, &call.state.catalog, &call.state.outbox);
    if !store::confirm_sale(db, catalog, outbox, order.id, member.id).await? {
        return Err(changed(&call, order.id, party, action).await);
    }
    let message = format!("판매확정했어요. '{}' 거래가 완료되었어요.", order.item_name);
    Ok(cards::done(call.nav(), message, order.id, party))
}

/// `/skill/orders/cancel`: the buyer cancels before a tracking number exists and is refunded in full.
/// Asks first unless `clientExtra.confirm = yes`.
///
/// The order becomes `refund_pending` (product back on sale) before Kakao Pay is asked, so the refund can
/// never be lost: what Kakao Pay does not confirm in time, the reconciler finishes.
pub async fn cancel(call: SkillCall) -> SkillResult {
    let member = call.trader().await?;
    let action = OrderAction::Cancel;
    let (order, party) = actionable(&call, &member, action).await?;
    // Without Kakao Pay nothing could refund the money; the product stays with the buyer's order.
    let Some(payments) = call.state.payments.clone() else {
        return Err(SkillError::Refused(
            "지금은 결제 서비스를 이용할 수 없어 주문을 취소할 수 없어요. 잠시 후 다시 시도해 주세요.".into(),
        ));
    };
    if !confirmed(&call) {
        let consequence = format!(
            "'{}' 주문을 취소하면 결제한 {}이 카카오페이로 전액 환불돼요.",
            order.item_name,
            won(order.amount)
        );
        return Ok(cards::ask(
            call.nav(),
            action,
            &order,
            "정말 주문을 취소하시겠어요?",
            &consequence,
        ));
    }
    if !store::begin_refund(
        &call.state.db,
        &call.state.catalog,
        &call.state.outbox,
        order.id,
        Refunder::Buyer(member.id),
    )
    .await?
    {
        return Err(changed(&call, order.id, party, action).await);
    }
    // Half the skill's deadline for Kakao Pay; the rest is for the database and the answer.
    let wait = call.state.config.skill_deadline / 2;
    let message = match refund_within(payments, order.id, wait).await {
        RefundOutcome::Refunded => "주문을 취소하고 전액 환불했어요.",
        RefundOutcome::Pending => {
            "주문을 취소했어요. 환불을 처리하고 있어요 — 구매 내역에서 확인할 수 있어요."
        }
    };
    Ok(cards::done(call.nav(), message, order.id, party))
}

/// Runs the refund in its own task and waits for it at most `wait`. A Kakao Pay call may take its whole
/// timeout, longer than a skill may; the task carries on after we answer, and whatever it leaves
/// `refund_pending` the reconciler settles.
async fn refund_within(payments: Payments, order_id: OrderId, wait: Duration) -> RefundOutcome {
    let refund = async move {
        let outcome = payments.refund(order_id).await;
        if let Err(e) = &outcome {
            tracing::error!(order = order_id.get(), error = %e, "refund after a cancel failed; the reconciler retries");
        }
        outcome
    };
    let task = tokio::spawn(refund.in_current_span());
    match tokio::time::timeout(wait, task).await {
        Ok(Ok(Ok(outcome))) => outcome,
        Ok(Ok(Err(_))) => RefundOutcome::Pending,
        Ok(Err(join_error)) => {
            tracing::error!(order = order_id.get(), error = %join_error, "refund task failed");
            RefundOutcome::Pending
        }
        Err(_) => RefundOutcome::Pending,
    }
}

/// The order in `clientExtra.orderId`, once `action` is one its caller may take now.
async fn actionable(
    call: &SkillCall,
    member: &Member,
    action: OrderAction,
) -> Result<(Order, Party), SkillError> {
    let (order, party) = party_order(call, member).await?;
    action.check(&order, party).map_err(SkillError::Refused)?;
    Ok((order, party))
}

/// The order in `clientExtra.orderId` and the caller's side of it.
async fn party_order(call: &SkillCall, member: &Member) -> Result<(Order, Party), SkillError> {
    party_order_by_id(call, member, order_id(call)?).await
}

/// The order and the caller's side of it; anyone else's order is "not found", like an unknown one.
async fn party_order_by_id(
    call: &SkillCall,
    member: &Member,
    id: OrderId,
) -> Result<(Order, Party), SkillError> {
    store::get(&call.state.db, id)
        .await?
        .and_then(|order| order.party(member.id).map(|party| (order, party)))
        .ok_or_else(|| SkillError::Refused(NOT_FOUND.into()))
}

/// The refusal after a conditional update changed nothing: the order moved on since it was read, so the
/// rule it now breaks is given when there is one.
async fn changed(call: &SkillCall, id: OrderId, party: Party, action: OrderAction) -> SkillError {
    let now = match store::get(&call.state.db, id).await {
        Ok(Some(order)) => action.check(&order, party).err(),
        Ok(None) => None,
        Err(e) => return e.into(),
    };
    SkillError::Refused(match now {
        Some(reason) => format!("그사이 주문 상태가 바뀌었어요. {reason}"),
        None => CHANGED.to_owned(),
    })
}

/// A positive id from `clientExtra.orderId` (ids come from our own buttons, but it is still user input).
fn order_id(call: &SkillCall) -> Result<OrderId, SkillError> {
    call.extra(Key::OrderId)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .map(OrderId::new)
        .ok_or_else(|| {
            SkillError::Invalid(Invalid::new(
                "어떤 주문인지 알 수 없어요. 구매 내역이나 판매 내역에서 다시 골라 주세요.",
            ))
        })
}

/// The lists' "더보기" cursor; a malformed one restarts from the first page.
fn cursor(call: &SkillCall) -> Option<i64> {
    call.extra(Key::Cursor)
        .and_then(|c| c.parse::<i64>().ok())
        .filter(|c| *c > 0)
}

/// The caller answered "yes" to the "are you sure?" step.
fn confirmed(call: &SkillCall) -> bool {
    call.extra(Key::Confirm) == Some(CONFIRM_YES)
}
