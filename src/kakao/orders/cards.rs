//! How orders look in KakaoTalk: the purchase and sales lists, the order detail, and the "are you sure?"
//! step before an action that cannot be undone.

use crate::domain::ids::OrderId;
use crate::kakao::extra::{CONFIRM_YES, ExtraKeys, Key, extra};
use crate::kakao::{Block, Nav};
use crate::orders::actions::{self, OrderAction};
use crate::orders::model::{ApprovalWatch, CloseReason, Order, OrderStatus, Party};
use crate::present::{date_kst, month_day_kst, won};
use crate::products::model::Page;
use kakao_skill::card::LIST_ITEMS_MAX;
use kakao_skill::{Extra, ItemCard, ItemRow, ListCard, ListItem, SkillResponse, TextCard};

/// Orders per list page: as many rows as a list card holds, so a page is one card.
pub const PER_PAGE: usize = LIST_ITEMS_MAX;

/// The list of one side of the member's trades.
pub fn list_block(party: Party) -> Block {
    match party {
        Party::Buyer => Block::Purchases,
        Party::Seller => Block::Sales,
    }
}

/// The label of [`list_block`] (also the list card's header).
pub fn list_label(party: Party) -> &'static str {
    match party {
        Party::Buyer => "구매 내역",
        Party::Seller => "판매 내역",
    }
}

fn other(party: Party) -> Party {
    match party {
        Party::Buyer => Party::Seller,
        Party::Seller => Party::Buyer,
    }
}

/// The block that performs `action`.
pub fn action_block(action: OrderAction) -> Block {
    match action {
        OrderAction::Tracking => Block::OrderTracking,
        OrderAction::ConfirmPurchase => Block::ConfirmPurchase,
        OrderAction::Cancel => Block::OrderCancel,
        OrderAction::ConfirmSale => Block::ConfirmSale,
    }
}

fn order_extra(order_id: OrderId) -> Extra {
    extra(Key::OrderId, order_id)
}

/// One page of purchases or sales as a list card; `paged` when this is not the first page (an empty later
/// page means the rest disappeared, not that there never were any).
pub fn order_page(nav: &Nav, party: Party, page: &Page<Order>, paged: bool) -> SkillResponse {
    let mut rows = page.items.iter().map(|order| row(nav, order));
    let mut response = match rows.next() {
        Some(first) => SkillResponse::new(rows.fold(ListCard::new(list_label(party), first), ListCard::item)),
        None if paged => SkillResponse::text("더 볼 주문이 없어요."),
        None => return empty(nav, party),
    };
    if let Some(cursor) = page.next {
        let extra = extra(Key::Cursor, cursor);
        response = response.quick_reply(nav.quick_reply("더보기", list_block(party), extra));
    }
    let switch = other(party);
    response
        .quick_reply(nav.go(list_label(switch), list_block(switch)))
        .quick_reply(nav.go("마이페이지", Block::MyPage))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// One row: the item, then amount, status and order date; tapping it opens the order.
fn row(nav: &Nav, order: &Order) -> ListItem {
    nav.list_item(&order.item_name, Block::OrderDetail, order_extra(order.id))
        .description(format!(
            "{} · {} · {}",
            won(order.amount),
            status_text(order),
            date_kst(order.created_at)
        ))
}

/// The status as users see it. Two cases need more than the status's label: a closed order whose payment
/// is still being checked with Kakao Pay (the buyer may have paid), and the refund of a payment Kakao Pay
/// completed after the hold ended (not a cancel anyone asked for).
fn status_text(order: &Order) -> &'static str {
    let late = order.close_reason == Some(CloseReason::LateApproval);
    match order.status {
        OrderStatus::Abandoned if order.approval_watch.is_some() => "결제 취소(확인 중)",
        OrderStatus::RefundPending if late => "시간 초과 결제(환불 중)",
        OrderStatus::Refunded if late => "시간 초과 결제(환불완료)",
        status => status.label(),
    }
}

/// No orders at all on this side: say so, and point at where trades start.
fn empty(nav: &Nav, party: Party) -> SkillResponse {
    let (text, next) = match party {
        Party::Buyer => (
            "아직 구매한 상품이 없어요. 마음에 드는 상품을 찾아 카카오페이로 구매해 보세요.",
            nav.go("상품 목록", Block::Products),
        ),
        Party::Seller => (
            "아직 카카오페이로 판매된 상품이 없어요.",
            nav.go("내 상품", Block::MyProducts),
        ),
    };
    let switch = other(party);
    SkillResponse::text(text)
        .quick_reply(next)
        .quick_reply(nav.go(list_label(switch), list_block(switch)))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// The order as `party` sees it, with exactly the actions they may take now; `confirms_itself_at` is when
/// the purchase confirms itself (a paid, shipped order), said with the next step.
/// `review`: the viewer may still review the trade (completed, not yet reviewed by them).
pub fn detail(
    nav: &Nav,
    order: &Order,
    party: Party,
    confirms_itself_at: Option<i64>,
    review: bool,
) -> SkillResponse {
    let mut response = SkillResponse::new(facts(order, party, confirms_itself_at));
    for action in actions::available(order, party) {
        response = response.quick_reply(nav.quick_reply(
            action.label(),
            action_block(action),
            order_extra(order.id),
        ));
    }
    if review {
        response =
            response.quick_reply(nav.quick_reply("후기 쓰기", Block::ReviewWrite, order_extra(order.id)));
    }
    let (label, other) = match party {
        Party::Buyer => ("판매자 신고", order.seller_id),
        Party::Seller => ("구매자 신고", order.buyer_id),
    };
    response
        .quick_reply(nav.quick_reply(label, Block::Report, extra(Key::MemberId, other)))
        .quick_reply(nav.go(list_label(party), list_block(party)))
        .quick_reply(nav.go("처음으로", Block::Main))
}

fn facts(order: &Order, party: Party, confirms_itself_at: Option<i64>) -> ItemCard {
    let counterpart = match party {
        Party::Buyer => ItemRow::new("판매자", &order.seller_name),
        Party::Seller => ItemRow::new("구매자", &order.buyer_name),
    };
    let mut card = ItemCard::new(ItemRow::new("금액", won(order.amount)))
        .head(format!("주문 번호 {}", order.id))
        .title(&order.item_name)
        .row(ItemRow::new("상태", status_text(order)))
        .row(counterpart);
    if let Some(number) = &order.tracking_number {
        card = card.row(ItemRow::new("운송장 번호", number));
    }
    card = card.row(ItemRow::new("주문일", date_kst(order.created_at)));
    for (label, at) in dates(order) {
        card = card.row(ItemRow::new(label, date_kst(at)));
    }
    if let Some(reason) = order.close_reason {
        card = card.row(ItemRow::new("사유", reason.label()));
    }
    match hint(order, party, confirms_itself_at) {
        Some(hint) => card.description(hint),
        None => card,
    }
}

/// The card's description: the next step, and the day a shipped purchase confirms itself if the buyer
/// does not (both sides need it: the buyer to act in time, the seller to know when to expect it).
fn hint(order: &Order, party: Party, confirms_itself_at: Option<i64>) -> Option<String> {
    let step = next_step(order, party)?;
    Some(match confirms_itself_at {
        Some(at) => format!("{step} {}", auto_confirm_note(at)),
        None => step.to_owned(),
    })
}

/// `11월 22일에 자동으로 구매확정돼요.`
fn auto_confirm_note(at: i64) -> String {
    format!("{}에 자동으로 구매확정돼요.", month_day_kst(at))
}

/// The dates the order has reached after it was placed.
fn dates(order: &Order) -> impl Iterator<Item = (&'static str, i64)> {
    // A completed order's closing date is its completion date; shown once.
    let closed = order.closed_at.filter(|_| order.status != OrderStatus::Completed);
    [
        ("결제일", order.paid_at),
        ("발송일", order.shipped_at),
        ("구매확정일", order.buyer_confirmed_at),
        ("거래완료일", order.completed_at),
        ("종료일", closed),
    ]
    .into_iter()
    .filter_map(|(label, at)| at.map(|at| (label, at)))
}

/// What happens next, from `party`'s side, while it is up to someone.
fn next_step(order: &Order, party: Party) -> Option<&'static str> {
    let shipped = order.tracking_number.is_some();
    let late = order.close_reason == Some(CloseReason::LateApproval);
    Some(match (order.status, party) {
        // The status and the reason rows already say the hold ran out; this says what becomes of the money.
        (OrderStatus::Abandoned, Party::Buyer) => match order.approval_watch? {
            ApprovalWatch::Watching => "결제가 뒤늦게 완료되면 결제한 금액은 자동으로 전액 환불돼요.",
            ApprovalWatch::GivenUp => {
                "관리자가 결제 결과를 확인하고 있어요. 결제되었다면 전액 환불해 드려요."
            }
        },
        (OrderStatus::RefundPending, Party::Buyer) if late => {
            "결제한 금액을 카카오페이로 전액 환불하고 있어요."
        }
        (OrderStatus::Refunded, Party::Buyer) if late => "결제한 금액을 카카오페이로 전액 환불했어요.",
        (OrderStatus::Paid, Party::Buyer) if shipped => "상품을 받으셨다면 구매확정해 주세요.",
        (OrderStatus::Paid, Party::Buyer) => "판매자가 상품을 보내면 운송장 번호가 표시돼요.",
        (OrderStatus::Paid, Party::Seller) if shipped => "구매자의 구매확정을 기다리고 있어요.",
        (OrderStatus::Paid, Party::Seller) => "상품을 보낸 뒤 운송장 번호를 입력해 주세요.",
        (OrderStatus::BuyerConfirmed, Party::Buyer) => "판매자의 판매확정을 기다리고 있어요.",
        (OrderStatus::BuyerConfirmed, Party::Seller) => "구매자가 구매확정했어요. 판매확정해 주세요.",
        (OrderStatus::RefundPending, _) => "카카오페이 환불을 처리하고 있어요.",
        _ => return None,
    })
}

/// The "are you sure?" step: the action's label repeats it with `confirm = yes`; "아니요" goes back to the
/// order.
pub fn ask(
    nav: &Nav,
    action: OrderAction,
    order: &Order,
    question: &str,
    consequence: &str,
) -> SkillResponse {
    let yes = order_extra(order.id).put(Key::Confirm, CONFIRM_YES);
    SkillResponse::new(TextCard::titled(question).description(consequence))
        .quick_reply(nav.quick_reply(action.label(), action_block(action), yes))
        .quick_reply(nav.quick_reply("아니요", Block::OrderDetail, order_extra(order.id)))
}

/// After an action: what happened, and the way to the order and the list.
pub fn done(nav: &Nav, message: impl AsRef<str>, order_id: OrderId, party: Party) -> SkillResponse {
    SkillResponse::text(message)
        .quick_reply(nav.quick_reply("주문 보기", Block::OrderDetail, order_extra(order_id)))
        .quick_reply(nav.go(list_label(party), list_block(party)))
        .quick_reply(nav.go("처음으로", Block::Main))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::actions::tests::order;

    /// An item card's description holds 50 characters; a longer hint would be cut mid-sentence.
    #[test]
    fn every_hint_fits_the_item_card() {
        let reasons = [None, Some(CloseReason::LateApproval), Some(CloseReason::Expired)];
        let watches = [None, Some(ApprovalWatch::Watching), Some(ApprovalWatch::GivenUp)];
        for status in OrderStatus::ALL {
            for (reason, watch) in reasons.into_iter().flat_map(|r| watches.map(|w| (r, w))) {
                for tracking in [None, Some("123456789")] {
                    let mut order = order(status, tracking);
                    order.close_reason = reason;
                    order.approval_watch = watch;
                    // 12월 31일: the longest day a note can name.
                    let confirms =
                        crate::orders::auto_confirm::confirms_itself_at(&order, std::time::Duration::ZERO)
                            .map(|_| LONGEST_DAY);
                    for party in [Party::Buyer, Party::Seller] {
                        if let Some(hint) = hint(&order, party, confirms) {
                            assert!(hint.chars().count() <= 50, "{hint}");
                        }
                    }
                }
            }
        }
    }

    /// 2026-12-31T12:00:00+09:00.
    const LONGEST_DAY: i64 = 1_798_686_000_000;

    #[test]
    fn a_shipped_order_says_when_it_confirms_itself() {
        let mut shipped = order(OrderStatus::Paid, Some("123456789"));
        shipped.shipped_at = Some(0);
        assert_eq!(
            hint(&shipped, Party::Buyer, Some(LONGEST_DAY)).as_deref(),
            Some("상품을 받으셨다면 구매확정해 주세요. 12월 31일에 자동으로 구매확정돼요.")
        );
        assert_eq!(
            hint(&shipped, Party::Seller, Some(LONGEST_DAY)).as_deref(),
            Some("구매자의 구매확정을 기다리고 있어요. 12월 31일에 자동으로 구매확정돼요.")
        );
        assert_eq!(
            hint(&shipped, Party::Buyer, None).as_deref(),
            Some("상품을 받으셨다면 구매확정해 주세요.")
        );
    }

    #[test]
    fn a_late_payment_and_a_closed_order_still_checked_say_so_in_the_status() {
        let mut refunded = order(OrderStatus::Refunded, None);
        assert_eq!(status_text(&refunded), "주문취소(환불완료)");
        refunded.close_reason = Some(CloseReason::LateApproval);
        assert_eq!(status_text(&refunded), "시간 초과 결제(환불완료)");
        let mut closed = order(OrderStatus::Abandoned, None);
        assert_eq!(status_text(&closed), "결제 취소");
        closed.approval_watch = Some(ApprovalWatch::Watching);
        assert_eq!(status_text(&closed), "결제 취소(확인 중)");
    }
}
