//! The event block's skill, which shows a notice when Kakao runs the block for a member, and the
//! member's alert choices (알림 끄기, night-time consent).
//!
//! Kakao runs the operator's one event block for each user of a send, passing our `params` (`batch`) to
//! this skill. The skill finds the member's row of that send, records it as delivered (the proof of
//! delivery a lost send answer lacked), and renders it here: the text is ours, built from what the row
//! recorded when the change happened, with quick replies that open the order or the product.

use crate::clock::now_ms;
use crate::kakao::extra::{ExtraKeys, Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillResult};
use crate::notifications::Kind;
use crate::notifications::store::{self, Choices, Notice};
use crate::present::won;
use kakao_skill::{Extra, QuickReply, SkillResponse};

/// The event's parameter naming the send.
pub(crate) const BATCH: &str = "batch";
/// Without a send named, the latest notice of this long ago is shown.
const LATEST_WITHIN_MS: i64 = 24 * 3_600_000;

/// `POST /skill/notifications/event`: the notice of send `action.params.batch` for the caller (or their
/// latest notice of the last day, when the block was run without one).
pub async fn event(call: SkillCall) -> SkillResult {
    let now = now_ms();
    let db = &call.state.db;
    let user = call.payload.user_id();
    let notice = match call.payload.param(BATCH) {
        Some(batch) => store::shown(db, batch, user, now).await?,
        None => None,
    };
    let notice = match notice {
        Some(notice) => Some(notice),
        None => store::latest(db, user, now - LATEST_WITHIN_MS).await?,
    };
    let nav = call.nav();
    Ok(match notice {
        Some(notice) => render(nav, &notice),
        None => SkillResponse::text("새 알림이 없어요.").quick_reply(nav.go("처음으로", Block::Main)),
    })
}

/// A notice as a text with the quick replies that act on it.
pub fn render(nav: &Nav, notice: &Notice) -> SkillResponse {
    let item = &notice.subject;
    let amount = notice.amount.map(won).unwrap_or_default();
    let detail = notice.detail.as_deref().unwrap_or("");
    let text = match notice.kind {
        Kind::OrderPaid => {
            format!("💰 '{item}' 결제가 완료됐어요 ({amount}).\n상품을 보내고 운송장 번호를 입력해 주세요.")
        }
        Kind::TrackingEntered => format!("🚚 '{item}' 상품이 발송됐어요.\n운송장 번호: {detail}"),
        Kind::TrackingChanged => format!("🚚 '{item}' 운송장 번호가 바뀌었어요.\n새 운송장 번호: {detail}"),
        Kind::PurchaseConfirmed => {
            format!("✅ 구매자가 '{item}' 구매를 확정했어요.\n판매확정을 눌러 거래를 마무리해 주세요.")
        }
        Kind::SaleConfirmed => format!("🎉 '{item}' 거래가 완료됐어요. 이용해 주셔서 고마워요."),
        Kind::OrderCancelled => {
            format!("'{item}' 주문이 취소됐어요. 결제한 {amount}은 카카오페이로 환불돼요.")
        }
        Kind::RefundDone => format!("'{item}' 환불이 완료됐어요 ({amount})."),
        Kind::HoldExpired => {
            format!(
                "⏰ '{item}' 결제가 시간 안에 끝나지 않아 주문이 취소됐어요.\n다시 사려면 상품을 열어 주세요."
            )
        }
        Kind::AutoConfirmSoon => format!(
            "📦 '{item}' 구매가 내일 자동으로 확정돼요.\n상품에 문제가 있다면 오늘 판매자에게 연락해 주세요."
        ),
        Kind::AutoConfirmed if notice.to_seller => {
            format!("✅ '{item}' 구매가 자동으로 확정됐어요.\n판매확정을 눌러 거래를 마무리해 주세요.")
        }
        Kind::AutoConfirmed => format!("✅ '{item}' 구매가 자동으로 확정됐어요."),
        Kind::KeywordMatch => format!("🔔 '{detail}' 키워드에 맞는 새 상품이에요.\n{item} · {amount}"),
        Kind::KeywordDigest => format!(
            "🔔 어제 키워드에 맞는 새 상품이 {}개 더 올라왔어요. 상품 검색으로 찾아보세요.",
            notice.amount.unwrap_or(0)
        ),
        Kind::PriceDrop => {
            let before = detail.parse::<i64>().map(won).unwrap_or_default();
            format!("📉 찜한 '{item}' 가격이 내렸어요: {before} → {amount}")
        }
        Kind::FavouriteSold => format!("찜한 '{item}' 상품이 판매됐어요."),
        Kind::FavouriteBack => format!("찜한 '{item}' 상품을 다시 살 수 있어요 ({amount})."),
        Kind::OfferReceived => format!("💬 {detail}님이 '{item}'에 {amount}을 제안했어요."),
        Kind::OfferAccepted => format!(
            "🤝 {detail}님이 '{item}' 가격 제안({amount})을 받아들였어요.\n상품을 열어 제안한 가격으로 구매해 주세요."
        ),
        Kind::OfferDeclined => format!("'{item}'에 한 가격 제안({amount})은 받아들여지지 않았어요."),
        Kind::ReviewReceived if detail == "good" => format!("😊 '{item}' 거래 상대가 좋은 후기를 남겼어요."),
        Kind::ReviewReceived => format!("'{item}' 거래 상대가 후기를 남겼어요."),
    };
    quick_replies(nav, notice)
        .into_iter()
        .fold(SkillResponse::text(text), SkillResponse::quick_reply)
}

/// What a notice offers: the action it asks for, the order or the product, and for alerts a way to stop.
fn quick_replies(nav: &Nav, notice: &Notice) -> Vec<QuickReply> {
    let mut replies = Vec::new();
    // A completed trade, paid or direct, may be reviewed now.
    if notice.kind == Kind::SaleConfirmed {
        replies.push(nav.go("후기 쓰기", Block::ReviewsPending));
    }
    if let Some(order) = notice.order_id {
        let to = |label: &str, block: Block| nav.quick_reply(label, block, extra(Key::OrderId, order));
        match notice.kind {
            Kind::OrderPaid => replies.push(to("운송장 입력", Block::OrderTracking)),
            Kind::PurchaseConfirmed => replies.push(to("판매확정", Block::ConfirmSale)),
            Kind::AutoConfirmed if notice.to_seller => replies.push(to("판매확정", Block::ConfirmSale)),
            Kind::AutoConfirmSoon => replies.push(to("구매확정", Block::ConfirmPurchase)),
            _ => {}
        }
        if notice.kind != Kind::HoldExpired {
            replies.push(to("주문 보기", Block::OrderDetail));
        }
    }
    if let Some(product) = notice.product_id
        && (notice.order_id.is_none() || notice.kind == Kind::HoldExpired)
    {
        replies.push(nav.quick_reply("상품 보기", Block::ProductDetail, extra(Key::ProductId, product)));
    }
    match notice.kind {
        Kind::OfferReceived => {
            if let Some(id) = notice.product_id {
                replies.insert(
                    0,
                    nav.quick_reply("받은 제안", Block::Offers, extra(Key::ProductId, id)),
                );
            }
        }
        Kind::KeywordMatch | Kind::KeywordDigest => replies.push(nav.go("키워드 관리", Block::Keywords)),
        Kind::PriceDrop | Kind::FavouriteSold | Kind::FavouriteBack => {
            replies.push(nav.go("찜 목록", Block::Favourites))
        }
        _ => {}
    }
    if notice.kind.class() == crate::notifications::Class::Alert {
        replies.push(nav.go("알림 끄기", Block::AlertsOff));
    }
    replies.push(nav.go("처음으로", Block::Main));
    replies
}

/// `POST /skill/notifications/settings`: applies `clientExtra.set` when present, then shows the member's
/// choices with the buttons that change them. Trade notices about their own orders always come.
pub async fn settings(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let db = &call.state.db;
    let now = now_ms();
    match call.extra(Key::Set) {
        Some("alerts_on") => store::set_alerts(db, member.id, true, now).await.map(drop)?,
        Some("alerts_off") => store::set_alerts(db, member.id, false, now).await.map(drop)?,
        Some("night_on") => store::set_night_consent(db, member.id, true, now)
            .await
            .map(drop)?,
        Some("night_off") => store::set_night_consent(db, member.id, false, now)
            .await
            .map(drop)?,
        _ => {}
    }
    let choices = store::choices(db, member.id).await?;
    Ok(settings_answer(call.nav(), choices))
}

/// `POST /skill/notifications/off`: "알림 끄기" turns keyword and favourite alerts off at once.
pub async fn off(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    store::set_alerts(&call.state.db, member.id, false, now_ms()).await?;
    let nav = call.nav();
    Ok(SkillResponse::text(
        "키워드·찜 알림을 껐어요. 내 주문에 대한 거래 알림(결제, 배송, 확정)은 계속 보내 드려요.\n\
         다시 받으려면 '알림 설정'에서 켜 주세요.",
    )
    .quick_reply(set_reply(nav, "알림 다시 켜기", "alerts_on"))
    .quick_reply(nav.go("처음으로", Block::Main)))
}

fn set_reply(nav: &Nav, label: &str, value: &str) -> QuickReply {
    nav.quick_reply(label, Block::AlertSettings, Extra::new().put(Key::Set, value))
}

fn settings_answer(nav: &Nav, choices: Choices) -> SkillResponse {
    let alerts = if choices.alerts_on { "켜짐" } else { "꺼짐" };
    let night = if choices.night_consent {
        "받음 (21시~8시에도 보내요)"
    } else {
        "안 받음 (21시~8시 알림은 아침 8시에 보내요)"
    };
    let text = format!(
        "🔔 알림 설정\n키워드·찜 알림: {alerts}\n야간 알림: {night}\n\n거래 알림(결제, 배송, 확정)은 언제나 보내 드려요."
    );
    let toggle_alerts = if choices.alerts_on {
        set_reply(nav, "알림 끄기", "alerts_off")
    } else {
        set_reply(nav, "알림 켜기", "alerts_on")
    };
    let toggle_night = if choices.night_consent {
        set_reply(nav, "야간 알림 안 받기", "night_off")
    } else {
        set_reply(nav, "야간 알림 받기", "night_on")
    };
    SkillResponse::text(text)
        .quick_reply(toggle_alerts)
        .quick_reply(toggle_night)
        .quick_reply(nav.go("키워드 관리", Block::Keywords))
        .quick_reply(nav.go("처음으로", Block::Main))
}
