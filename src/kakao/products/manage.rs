//! The seller's hand-made status changes: hide, show, reserve, unreserve, sold, delete.

use super::extra_id;
use crate::domain::Invalid;
use crate::domain::ids::ProductId;
use crate::kakao::extra::{Key, extra};
use crate::kakao::{Block, SkillCall, SkillError, SkillResult};
use crate::products::model::{ProductStatus, StatusAction};
use crate::products::store;
use kakao_skill::SkillResponse;

/// Said to the loser of a race, or to a stale button.
const CHANGED: &str = "그사이 상품 상태가 바뀌었어요. 상품을 다시 확인해 주세요.";

/// `/skill/products/status`: `clientExtra.productId`, `clientExtra.action` and, from our buttons,
/// `clientExtra.from` (the status the seller was looking at). Only the seller, only the transitions the
/// state machine allows, and as a conditional update on the status seen: of two racing changes one wins
/// and the other is told the product changed under it.
pub async fn change_status(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = extra_id(
        &call,
        Key::ProductId,
        "어떤 상품인지 알 수 없어요. 상품을 다시 골라 주세요.",
    )
    .map(ProductId::new)?;
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
    if !store::change_status(db, &call.state.catalog, id, member.id, product.status, next).await? {
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
