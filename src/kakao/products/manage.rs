//! The seller's hand-made changes: the status (hide, show, reserve, unreserve, sold, delete), the price,
//! and 끌어올리기 (bump).

use super::product_id;
use crate::domain::Invalid;
use crate::domain::product::Price;
use crate::kakao::extra::{Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::present::won;
use crate::products::bump::{self, Bumped};
use crate::products::model::Product;
use crate::products::model::{ProductStatus, StatusAction};
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
