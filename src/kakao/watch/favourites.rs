//! 찜: save a product from its detail, list the saved ones, remove one.

use crate::domain::Invalid;
use crate::domain::ids::ProductId;
use crate::kakao::extra::{Key, extra};
use crate::kakao::products::cards::titled;
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::present::won;
use crate::products::model::Product;
use crate::products::store;
use crate::watch::favourites::{self, Saved, SavedCursor, SavedProduct};
use kakao_skill::card::LIST_ITEMS_MAX;
use kakao_skill::{ListCard, ListItem, SkillResponse};

/// Saved products per page: as many rows as a list card holds, so a page is one card.
const PER_PAGE: usize = LIST_ITEMS_MAX;
/// Said for an unknown product and for one its seller hid or deleted, alike.
const NOT_FOUND: &str = "찾을 수 없는 상품이에요. 삭제되었거나 숨겨진 상품일 수 있어요.";

/// `/skill/favourites`: the caller's saved products, newest saved first, five at a time, each with its
/// price and current status (hidden and deleted ones left out).
pub async fn list(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let cursor = call.extra(Key::Cursor).and_then(SavedCursor::parse);
    let page = favourites::list(&call.state.db, member.id, cursor, PER_PAGE).await?;
    let nav = call.nav();
    let mut rows = page.items.iter().map(|saved| row(nav, saved));
    let mut response = match rows.next() {
        Some(first) => SkillResponse::new(rows.fold(ListCard::new("찜한 상품", first), ListCard::item)),
        None if cursor.is_some() => SkillResponse::text("더 볼 찜한 상품이 없어요."),
        None => {
            return Ok(SkillResponse::text(
                "찜한 상품이 없어요. 마음에 드는 상품의 상세 화면에서 '찜하기'를 눌러 보세요. \
                 가격이 내리거나 판매되면 알려 드려요.",
            )
            .quick_reply(nav.go("상품 목록", Block::Products))
            .quick_reply(nav.go("처음으로", Block::Main)));
        }
    };
    if let Some(next) = page.next {
        response =
            response.quick_reply(nav.quick_reply("더보기", Block::Favourites, extra(Key::Cursor, next)));
    }
    Ok(response
        .quick_reply(nav.go("키워드 알림", Block::Keywords))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// One row: the name (with its status unless on sale), price and status; tapping it opens the product.
fn row(nav: &Nav, saved: &SavedProduct) -> ListItem {
    nav.list_item(
        &titled(&saved.name, saved.status, true),
        Block::ProductDetail,
        extra(Key::ProductId, saved.id),
    )
    .description(format!("{} · {}", won(saved.price), saved.status.label()))
}

/// `/skill/favourites/add`: `clientExtra.productId`, someone else's product that others may see.
pub async fn add(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let product = visible_product(&call, id, |p| p.seller_id == member.id).await?;
    if product.seller_id == member.id {
        return Err(SkillError::Refused("내가 등록한 상품은 찜할 수 없어요.".into()));
    }
    let message = match favourites::save(&call.state.db, member.id, id).await? {
        Saved::Saved => format!(
            "'{}'을(를) 찜했어요. 가격이 내리거나 판매되면 알려 드릴게요.",
            product.name
        ),
        Saved::AlreadySaved => format!("'{}'은(는) 이미 찜한 상품이에요.", product.name),
        // Hidden or deleted between the read above and the insert.
        Saved::Refused => return Err(SkillError::Refused(NOT_FOUND.into())),
    };
    Ok(done(call.nav(), message, id))
}

/// `/skill/favourites/remove`: `clientExtra.productId`, one of the caller's saved products.
pub async fn remove(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let id = product_id(&call)?;
    let message = if favourites::remove(&call.state.db, member.id, id).await? {
        "찜을 해제했어요. 이 상품의 알림은 더 이상 보내지 않아요."
    } else {
        "찜한 상품이 아니에요. 이미 해제했을 수 있어요."
    };
    Ok(done(call.nav(), message.to_owned(), id))
}

fn product_id(call: &SkillCall) -> Result<ProductId, SkillError> {
    call.extra(Key::ProductId)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .map(ProductId::new)
        .ok_or_else(|| {
            SkillError::Invalid(Invalid::new(
                "어떤 상품인지 알 수 없어요. 상품을 다시 골라 주세요.",
            ))
        })
}

/// The product, when the caller may see it: public, or (`own`) their own.
async fn visible_product(
    call: &SkillCall,
    id: ProductId,
    own: impl Fn(&Product) -> bool,
) -> Result<Product, SkillError> {
    store::get(&call.state.db, id)
        .await?
        .filter(|p| p.status.is_public() || own(p))
        .ok_or_else(|| SkillError::Refused(NOT_FOUND.into()))
}

fn done(nav: &Nav, message: String, id: ProductId) -> SkillResponse {
    SkillResponse::text(message)
        .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra(Key::ProductId, id)))
        .quick_reply(nav.go("찜 목록", Block::Favourites))
        .quick_reply(nav.go("처음으로", Block::Main))
}
