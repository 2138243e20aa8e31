//! Browsing: the main list, the category picker and lists, search, detail, and a seller's own products.
//! Anyone may browse; only a seller's own list needs membership.

use std::borrow::Cow;

use super::{cursor, extra_id, photo_urls};
use crate::blocking;
use crate::domain::ids::MemberId;
use crate::domain::ids::ProductId;
use crate::domain::product::SearchText;
use crate::domain::{Invalid, single_line};
use crate::kakao::extra::{ExtraKeys, Key, PURPOSE_REGISTER, extra};
use crate::kakao::products::cards::{self, More, Viewer};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::products::model::{Category, ListCursor, Page, Product, ProductStatus, ProductSummary};
use crate::products::store::{self, Listing};
use crate::viewing;
use kakao_skill::{Carousel, Extra, ListCard, SkillResponse, WebUrl};

/// `/skill/products`: everything on sale or reserved, newest first.
pub async fn list(call: SkillCall) -> SkillResult {
    let page = call
        .state
        .catalog
        .list(&call.state.db, Listing::All, cursor(&call))
        .await?;
    let page = visible(&call, &page).await?;
    let nav = call.nav();
    let more = More {
        block: Block::Products,
        extra: Extra::new(),
    };
    let response = cards::product_page(
        nav,
        &photo_urls(&call),
        &page,
        false,
        "아직 판매 중인 상품이 없어요.",
        more,
    );
    Ok(browse_menu(nav, response))
}

/// Navigation under every browse answer.
fn browse_menu(nav: &Nav, response: SkillResponse) -> SkillResponse {
    response
        .quick_reply(nav.go("카테고리", Block::Categories))
        .quick_reply(nav.go("검색", Block::Search))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// Category rows per list card inside a carousel (Kakao allows four there).
const CATEGORIES_PER_CARD: usize = 4;

/// `/skill/products/categories`: the ten categories, for browsing or for registering (`purpose`).
///
/// Ten categories and a way back do not fit Kakao's ten quick replies, so the categories are rows of list
/// cards in a carousel and the quick replies stay free for navigation.
pub async fn categories(call: SkillCall) -> SkillResult {
    let registering = call.extra(Key::Purpose) == Some(PURPOSE_REGISTER);
    if registering {
        call.member().await?;
    }
    let nav = call.nav();
    let (target, header) = if registering {
        (Block::Preview, "등록할 상품의 카테고리")
    } else {
        (Block::Category, "카테고리")
    };
    let lists = Category::ALL.chunks(CATEGORIES_PER_CARD).map(|chunk| {
        let row = |c: &Category| nav.list_item(c.label(), target, extra(Key::Category, c.key()));
        let mut card = ListCard::new(header, row(&chunk[0]));
        for c in &chunk[1..] {
            card.push(row(c));
        }
        card
    });
    let carousel = Carousel::from_cards(lists).expect("there are categories");
    let intro = if registering {
        "어떤 상품을 등록할까요? 카테고리를 골라 주세요."
    } else {
        "어떤 카테고리의 상품을 볼까요?"
    };
    Ok(SkillResponse::text(intro)
        .output(carousel)
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// `/skill/products/category`: one category's products (`clientExtra.category`).
pub async fn category(call: SkillCall) -> SkillResult {
    let category = call
        .extra(Key::Category)
        .and_then(Category::parse)
        .ok_or_else(|| SkillError::Invalid(Invalid::new("카테고리를 다시 골라 주세요.")))?;
    let page = store::list(&call.state.db, Listing::Category(category), cursor(&call)).await?;
    let page = visible(&call, &page).await?;
    let nav = call.nav();
    let more = More {
        block: Block::Category,
        extra: extra(Key::Category, category.key()),
    };
    let empty = format!("{} 카테고리에는 아직 판매 중인 상품이 없어요.", category.label());
    let response = cards::product_page(nav, &photo_urls(&call), &page, false, &empty, more);
    Ok(browse_menu(nav, response))
}

/// The page without the products of members the caller blocked or was blocked by (`crate::blocking`):
/// for a caller on the block [`Roster`](crate::blocking::Roster), one indexed query by their user key;
/// a page with none of them is used as it is. "더보기" still
/// continues after the page's last product, so a filtered page is shorter, never skips one.
async fn visible<'p>(
    call: &SkillCall,
    page: &'p Page<ProductSummary, ListCursor>,
) -> Result<Cow<'p, Page<ProductSummary, ListCursor>>, SkillError> {
    let user = call.payload.user_id();
    if !call.state.block_roster.may_be_blocking(user) {
        return Ok(Cow::Borrowed(page));
    }
    let hidden = blocking::hidden_from_user(&call.state.db, user).await?;
    if hidden.is_empty() || !page.items.iter().any(|p| hidden.contains(&p.seller_id)) {
        return Ok(Cow::Borrowed(page));
    }
    Ok(Cow::Owned(Page {
        items: page
            .items
            .iter()
            .filter(|p| !hidden.contains(&p.seller_id))
            .cloned()
            .collect(),
        next: page.next,
    }))
}

/// `/skill/products/search`: `params.query` (or `clientExtra.query` on later pages), matched anywhere in
/// the name or description, literally. The query is a [`SearchText`], the parser keyword alerts share.
///
/// A "더보기" carries the query and the cursor in `clientExtra`. If Open Builder asked for the query again
/// and the user typed a different one, the cursor belongs to the old query, so the new search starts over.
pub async fn search(call: SkillCall) -> SkillResult {
    let typed = call.payload.param("query").map(single_line);
    let carried = call.extra(Key::Query).map(single_line);
    let (query, cursor) = match (typed, carried) {
        (Some(typed), Some(carried)) if typed != carried => (typed, None),
        (typed, carried) => {
            let query = typed
                .or(carried)
                .ok_or_else(|| SkillError::Invalid(Invalid::new("검색어를 입력해 주세요.")))?;
            (query, cursor(&call))
        }
    };
    let query = SearchText::parse(&query)?;
    let page = call
        .state
        .catalog
        .list(&call.state.db, Listing::Search(query.as_str()), cursor)
        .await?;
    let page = visible(&call, &page).await?;
    let nav = call.nav();
    let more = More {
        block: Block::Search,
        extra: extra(Key::Query, &query),
    };
    let empty = format!("'{query}'(으)로 찾은 상품이 없어요. 다른 검색어로 찾아보세요.");
    let response = cards::product_page(nav, &photo_urls(&call), &page, false, &empty, more);
    Ok(browse_menu(nav, response))
}

/// `/skill/products/detail`: `clientExtra.productId`. Hidden and deleted products only for their seller.
pub async fn detail(call: SkillCall) -> SkillResult {
    let id = extra_id(
        &call,
        Key::ProductId,
        "어떤 상품인지 알 수 없어요. 목록에서 다시 골라 주세요.",
    )
    .map(ProductId::new)?;
    // The product (from the browse cache) and, in one query, everything the caller's side of the page
    // needs, the caller's membership included (`crate::viewing`).
    let (viewing, product) = tokio::try_join!(
        async {
            viewing::for_user(&call.state.db, id, call.payload.user_id())
                .await
                .map_err(SkillError::from)
        },
        async {
            call.state
                .catalog
                .product(&call.state.db, id)
                .await
                .map_err(SkillError::from)
        }
    )?;
    let Some(p) = product.as_ref() else {
        return Err(gone());
    };
    let viewing = viewing.ok_or_else(gone)?;
    let viewer = viewing.viewer;
    let owner = viewer == Some(p.seller_id);
    // A block (either way) makes the product read as gone, like a hidden one: blocks are private.
    if viewing.blocked || !(p.status.is_public() || owner) {
        return Err(gone());
    }
    let seen_by = match viewer {
        Some(_) if owner => Viewer::Owner {
            saved_by: viewing.saved_by,
            offers: viewing.offers,
        },
        Some(_) => Viewer::Other {
            saved: viewing.saved,
            offers: Some(viewing.offers),
        },
        None => Viewer::Other {
            saved: false,
            offers: None,
        },
    };
    let buy = viewer.and_then(|member| buy_link(&call, member, p, &seen_by));
    Ok(cards::detail(
        call.nav(),
        &photo_urls(&call),
        p,
        seen_by,
        buy,
        viewing.seller_reviews,
    ))
}

fn gone() -> SkillError {
    SkillError::Refused("찾을 수 없는 상품이에요. 삭제되었거나 숨겨진 상품일 수 있어요.".into())
}

/// The member's Kakao Pay link for the product, when payments are on and they may buy it now (on sale, not
/// their own: `Payments::buy_link` decides), at the price of their accepted offer when they have one.
fn buy_link(call: &SkillCall, member: MemberId, product: &Product, viewer: &Viewer) -> Option<WebUrl> {
    let payments = call.state.payments.as_ref()?;
    match viewer {
        Viewer::Other {
            offers: Some(offers), ..
        } if offers.accepted_price.is_some() => payments.buy_link_at(member, product, offers.accepted_price?),
        _ => payments.buy_link(member, product),
    }
}

/// `/skill/products/mine`: the caller's products, all but deleted, or one status (`clientExtra.status`).
pub async fn mine(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let status = match call.extra(Key::Status) {
        None | Some("all") => None,
        Some(key) => Some(
            ProductStatus::parse(key)
                .filter(|s| *s != ProductStatus::Deleted)
                .ok_or_else(|| SkillError::Invalid(Invalid::new("상품 상태를 다시 골라 주세요.")))?,
        ),
    };
    let listing = Listing::Seller {
        seller_id: member.id,
        status,
    };
    let page = store::list(&call.state.db, listing, cursor(&call)).await?;
    let nav = call.nav();
    let mut carried = Extra::new();
    if let Some(status) = status {
        carried = carried.put(Key::Status, status.key());
    }
    let empty = match status {
        Some(s) => format!("'{}' 상태인 상품이 없어요.", s.label()),
        None => "등록한 상품이 없어요. 상품을 등록해 보세요.".to_owned(),
    };
    let more = More {
        block: Block::MyProducts,
        extra: carried,
    };
    let mut response = cards::product_page(nav, &photo_urls(&call), &page, true, &empty, more);
    for filter in [
        ProductStatus::OnSale,
        ProductStatus::Reserved,
        ProductStatus::Hidden,
        ProductStatus::Sold,
    ] {
        if Some(filter) != status {
            let filtered = extra(Key::Status, filter.key());
            response = response.quick_reply(nav.quick_reply(filter.label(), Block::MyProducts, filtered));
        }
    }
    let register = extra(Key::Purpose, PURPOSE_REGISTER);
    Ok(response
        .quick_reply(nav.quick_reply("상품 등록", Block::Categories, register))
        .quick_reply(nav.go("처음으로", Block::Main)))
}
