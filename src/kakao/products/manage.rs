//! The seller's hand-made changes: the status (hide, show, reserve, unreserve, sold, delete), the price,
//! and 끌어올리기 (bump).

use super::product_id;
use crate::domain::Invalid;
use crate::domain::ids::MemberId;
use crate::domain::product::Price;
use crate::kakao::extra::{ExtraKeys, Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::present::won;
use crate::products::bump::{self, Bumped};
use crate::products::model::Product;
use crate::products::model::{ProductStatus, StatusAction};
use crate::products::reservation;
use crate::products::store::{self, PriceChange};
use kakao_skill::SkillResponse;

/// Said to the loser of a race, or to a stale button.
const CHANGED: &str = "그사이 상품 상태가 바뀌었어요. 상품을 다시 확인해 주세요.";

/// `/skill/products/status`: `clientExtra.productId`, `clientExtra.action` and, from our buttons,
/// `clientExtra.from` (the status the seller was looking at). Only the seller, only the transitions the
/// state machine allows, and as a conditional update on the status seen: of two racing changes one wins
/// and the other is told the product changed under it.
pub async fn change_status(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let action = call
        .extra(Key::Action)
        .and_then(StatusAction::parse)
        .ok_or_else(|| {
            SkillError::Invalid(Invalid::new(
                "무엇을 할지 알 수 없어요. 상품 화면에서 다시 골라 주세요.",
            ))
        })?;
    let db = &call.state.db;
    let product = store::get(db, id)
        .await?
        .filter(|p| p.status.is_public() || p.seller_id == member.id)
        .ok_or_else(|| SkillError::Refused("찾을 수 없는 상품이에요.".into()))?;
    if product.seller_id != member.id {
        return Err(SkillError::Refused(
            "내가 등록한 상품만 상태를 바꿀 수 있어요.".into(),
        ));
    }
    let seen = match call.extra(Key::From) {
        Some(key) => ProductStatus::parse(key).ok_or_else(|| SkillError::Invalid(Invalid::new(CHANGED)))?,
        None => product.status,
    };
    if seen != product.status {
        return Err(SkillError::Refused(CHANGED.into()));
    }
    let Some(next) = product.status.after(action) else {
        return Err(SkillError::Refused(format!(
            "'{}' 상태인 상품은 '{}'을(를) 할 수 없어요.",
            product.status.label(),
            action.label()
        )));
    };
    let (catalog, outbox) = (&call.state.catalog, &call.state.outbox);
    if !store::change_status(db, catalog, outbox, id, member.id, product.status, next).await? {
        return Err(SkillError::Refused(CHANGED.into()));
    }
    let nav = call.nav();
    let mut response = SkillResponse::text(format!(
        "'{}'을(를) {}(으)로 바꿨어요.",
        product.name,
        next.label()
    ));
    if next == ProductStatus::Reserved {
        // Flow A: naming the buyer now lets both review the trade once it is marked sold.
        let extra = extra(Key::ProductId, id);
        response = response.quick_reply(nav.quick_reply(NAME_BUYER_LABEL, Block::ProductBuyer, extra));
    }
    if next != ProductStatus::Deleted {
        let extra = extra(Key::ProductId, id);
        response = response.quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra));
    }
    Ok(response
        .quick_reply(nav.go("내 상품", Block::MyProducts))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// Said when the price changed since the seller's screen was made, or the update lost a race.
const PRICE_CHANGED: &str = "그사이 상품 가격이나 상태가 바뀌었어요. 상품을 다시 확인해 주세요.";

/// `/skill/products/price`: `params.price` (the price parser of registration and of the validation
/// skill), `clientExtra.productId` and, from our button, `clientExtra.seenPrice` (the price the seller
/// was looking at). Only the seller, only while on sale or reserved, and as a conditional update on the
/// price seen, so a stale screen cannot undo a newer change. A lower price alerts the members who saved
/// the product.
pub async fn change_price(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let db = &call.state.db;
    let product = store::get(db, id)
        .await?
        .filter(|p| p.status.is_public() || p.seller_id == member.id)
        .ok_or_else(|| SkillError::Refused("찾을 수 없는 상품이에요.".into()))?;
    if product.seller_id != member.id {
        return Err(SkillError::Refused(
            "내가 등록한 상품만 가격을 바꿀 수 있어요.".into(),
        ));
    }
    let price = Price::parse(call.param("price", "새 가격을 입력해 주세요.")?)?;
    if !product.status.is_listed() {
        return Err(SkillError::Refused(format!(
            "'{}' 상태인 상품은 가격을 바꿀 수 없어요. 판매중이거나 예약중인 상품만 바꿀 수 있어요.",
            product.status.label()
        )));
    }
    let seen = match call.extra(Key::SeenPrice) {
        Some(text) => text
            .trim()
            .parse::<i64>()
            .map_err(|_| SkillError::Invalid(Invalid::new(PRICE_CHANGED)))?,
        None => product.price,
    };
    if seen != product.price {
        return Err(SkillError::Refused(PRICE_CHANGED.into()));
    }
    let nav = call.nav();
    if price.won() == product.price {
        let message = format!("'{}'은(는) 이미 {}이에요.", product.name, won(product.price));
        return Ok(price_answer(nav, message, &product));
    }
    let (catalog, outbox) = (&call.state.catalog, &call.state.outbox);
    match store::change_price(db, catalog, outbox, id, member.id, seen, price.won()).await? {
        PriceChange::Changed => {
            let message = format!(
                "'{}' 가격을 {}에서 {}(으)로 바꿨어요.",
                product.name,
                won(seen),
                price
            );
            Ok(price_answer(nav, message, &product))
        }
        PriceChange::Stale => Err(SkillError::Refused(PRICE_CHANGED.into())),
    }
}

fn price_answer(nav: &Nav, message: String, product: &Product) -> SkillResponse {
    let extra = extra(Key::ProductId, product.id);
    SkillResponse::text(message)
        .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra))
        .quick_reply(nav.go("내 상품", Block::MyProducts))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// `/skill/products/bump`: `clientExtra.productId`. The seller's product on sale goes back to the top of
/// the lists, at most once per `BUMP_INTERVAL_HOURS` since it was registered or last bumped; when refused
/// for that, the answer says how long until the next bump.
pub async fn bump(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let state = &call.state;
    let interval = state.config.market.bump_interval;
    let message = match bump::bump(&state.db, &state.catalog, id, member.id, interval).await? {
        Bumped::Done => "끌어올렸어요. 이제 목록 맨 위에 보여요.".to_owned(),
        Bumped::TooSoon { wait } => {
            return Err(SkillError::Refused(format!(
                "끌어올리기는 {}시간에 한 번 할 수 있어요. {} 뒤에 다시 해 주세요.",
                interval.as_secs() / 3_600,
                bump::wait_text(wait)
            )));
        }
        Bumped::NotOnSale(status) => {
            return Err(SkillError::Refused(format!(
                "판매중인 상품만 끌어올릴 수 있어요. (지금: {})",
                status.label()
            )));
        }
        Bumped::NotFound => {
            return Err(SkillError::Refused(
                "내가 등록한 상품만 끌어올릴 수 있어요.".into(),
            ));
        }
    };
    let nav = call.nav();
    Ok(SkillResponse::text(message)
        .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra(Key::ProductId, id)))
        .quick_reply(nav.go("상품 목록", Block::Products))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// The label that opens [`name_buyer`].
pub const NAME_BUYER_LABEL: &str = "예약자 지정";

/// Members offered at once as the buyer (quick replies: ten at most, two kept for the way out).
const CANDIDATES_SHOWN: i64 = 8;

/// `/skill/products/buyer`: `clientExtra.productId`, and `clientExtra.memberId` once chosen. The seller of
/// a reserved product names who it is reserved for — one of the members who saved it or offered on it —
/// so that marking it sold records a trade both may review (flow A, outside Kakao Pay).
pub async fn name_buyer(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let db = &call.state.db;
    let nav = call.nav();
    let product_extra = extra(Key::ProductId, id);
    let Some(buyer) = call.extra(Key::MemberId).and_then(|v| v.parse::<i64>().ok()) else {
        let candidates = reservation::candidates(db, id, member.id, CANDIDATES_SHOWN).await?;
        if candidates.is_empty() {
            return Err(SkillError::Refused(
                "예약자로 지정할 수 있는 회원이 없어요. 이 상품을 찜하거나 가격을 제안한 회원만 지정할 수 있어요.".into(),
            ));
        }
        let ask = candidates.iter().fold(
            SkillResponse::text("누구에게 예약했나요? 판매완료로 바꾸면 서로 거래 후기를 남길 수 있어요."),
            |ask, c| {
                let chosen = product_extra.clone().put(Key::MemberId, c.id);
                ask.quick_reply(nav.quick_reply(&c.name, Block::ProductBuyer, chosen))
            },
        );
        return Ok(ask.quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, product_extra)));
    };
    if !reservation::name_buyer(db, id, member.id, MemberId::new(buyer)).await? {
        return Err(SkillError::Refused(
            "예약중인 내 상품에, 이 상품을 찜하거나 가격을 제안한 회원만 예약자로 지정할 수 있어요.".into(),
        ));
    }
    let name = reservation::named(db, id).await?.unwrap_or_default();
    Ok(SkillResponse::text(format!(
        "{name}님에게 예약했어요. 거래가 끝나면 판매완료로 바꿔 주세요. 서로 후기를 남길 수 있어요."
    ))
    .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, product_extra))
    .quick_reply(nav.go("처음으로", Block::Main)))
}
