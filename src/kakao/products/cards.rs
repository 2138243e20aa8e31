//! How products look in KakaoTalk: list cards, the detail view, and photo URLs.

use crate::images::{ImageStore, NO_PHOTO_PATH};
use crate::kakao::extra::{ExtraKeys, Key, extra};
use crate::kakao::offers::{OFFERS_OFF, OFFERS_ON};
use crate::kakao::{Block, Nav};
use crate::offers::store::ForViewer;
use crate::present::{date_kst, won};
use crate::reviews::Summary;
use kakao_skill::text::fit;
use kakao_skill::{
    BasicCard, Button, Carousel, CommerceCard, Extra, ItemCard, ItemRow, Profile, SkillResponse, TextCard,
    Thumbnail, WebUrl,
};

use crate::products::model::{
    ListCursor, Page, PhotoFailure, PhotosState, Product, ProductStatus, ProductSummary,
};

/// The label of the Kakao Pay button on the detail view.
pub const BUY_LABEL: &str = "카카오페이로 구매";
/// Its label when the buyer's price offer was accepted (the link is at the offered price).
pub const OFFER_BUY_LABEL: &str = "제안가로 구매";

/// Longest product title on a commerce card (Kakao cuts the rest).
const CARD_TITLE_MAX: usize = 30;

/// Where photos and the placeholder are served from.
#[derive(Clone)]
pub struct PhotoUrls<'a> {
    pub store: &'a ImageStore,
    pub public_url: &'a str,
}

impl PhotoUrls<'_> {
    pub fn photo(&self, key: &str) -> WebUrl {
        self.store.public_url(key)
    }

    pub fn placeholder(&self) -> WebUrl {
        WebUrl::parse(&format!("{}{NO_PHOTO_PATH}", self.public_url)).expect("PUBLIC_URL is an http(s) URL")
    }

    fn thumb_or_placeholder(&self, key: Option<&str>) -> WebUrl {
        key.map_or_else(|| self.placeholder(), |k| self.photo(k))
    }
}

/// The product name with a status suffix that is never cut off, e.g. `자전거 (예약중)`.
pub fn titled(name: &str, status: ProductStatus, always_show_status: bool) -> String {
    let show = always_show_status || status == ProductStatus::Reserved;
    if !show || status == ProductStatus::OnSale {
        return fit(name, CARD_TITLE_MAX);
    }
    let suffix = format!(" ({})", status.label());
    let room = CARD_TITLE_MAX.saturating_sub(suffix.chars().count());
    format!("{}{suffix}", fit(name, room))
}

/// One product in a list: title, price, category and date, seller, first photo, and a detail button.
pub fn summary_card(nav: &Nav, urls: &PhotoUrls<'_>, p: &ProductSummary, show_status: bool) -> CommerceCard {
    let detail = nav.button("상세보기", Block::ProductDetail, extra(Key::ProductId, p.id));
    let thumbnail = Thumbnail::new(urls.thumb_or_placeholder(p.cover_thumb_key.as_deref()));
    CommerceCard::new(u64::try_from(p.price).unwrap_or(0), thumbnail, detail)
        .title(titled(&p.name, p.status, show_status))
        .description(format!("{} · {}", p.category.label(), date_kst(p.created_at)))
        .profile(Profile::new(&p.seller_name, None))
}

/// Where a list's "더보기" leads: the same block, with the same extra plus the cursor.
pub struct More {
    pub block: Block,
    pub extra: Extra,
}

/// A page of products as a carousel, with "더보기" only when there is a next page.
pub fn product_page(
    nav: &Nav,
    urls: &PhotoUrls<'_>,
    page: &Page<ProductSummary, ListCursor>,
    show_status: bool,
    empty: &str,
    more: More,
) -> SkillResponse {
    let cards = page.items.iter().map(|p| summary_card(nav, urls, p, show_status));
    let response = match Carousel::from_cards(cards) {
        Some(carousel) => SkillResponse::new(carousel),
        None => SkillResponse::text(empty),
    };
    match page.next {
        Some(cursor) => {
            response.quick_reply(nav.quick_reply("더보기", more.block, more.extra.put(Key::Cursor, cursor)))
        }
        None => response,
    }
}

/// Who is looking at a product's detail, as far as the view changes with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// The seller, with how many members saved the product and what it has of offers.
    Owner { saved_by: i64, offers: ForViewer },
    /// Anyone else (a non-member too); `saved` when they saved the product, `offers` for a member.
    Other { saved: bool, offers: Option<ForViewer> },
}

impl Viewer {
    fn is_owner(self) -> bool {
        matches!(self, Self::Owner { .. })
    }
}

/// The detail view: photos, facts, description, and what the viewer may do.
///
/// `buy` is the viewer's own Kakao Pay link, when they may buy the product now. It is the description
/// card's only button rather than a second one beside "오픈채팅": two buttons stand side by side and
/// Kakao cuts their labels to eight characters.
pub fn detail(
    nav: &Nav,
    urls: &PhotoUrls<'_>,
    product: &Product,
    viewer: Viewer,
    buy: Option<WebUrl>,
    seller_reviews: Summary,
) -> SkillResponse {
    let owner = viewer.is_owner();
    let facts = facts_card(product, viewer, seller_reviews);
    let mut description = TextCard::titled("상품 설명").description(&product.description);
    if let Some(url) = buy {
        let accepted = matches!(viewer, Viewer::Other { offers: Some(o), .. } if o.accepted_price.is_some());
        let label = if accepted { OFFER_BUY_LABEL } else { BUY_LABEL };
        description = description.button(Button::web_link(label, url));
    }
    let response = match photo_carousel(urls, product, owner) {
        Some(photos) => SkillResponse::new(photos).output(facts).output(description),
        None => SkillResponse::new(facts).output(description),
    };
    let response = match viewer {
        Viewer::Owner { offers, .. } => owner_actions(nav, product, offers, response),
        Viewer::Other { saved, offers } => {
            let product_extra = extra(Key::ProductId, product.id);
            let save = if saved {
                nav.quick_reply("찜 해제", Block::FavouriteRemove, product_extra.clone())
            } else {
                nav.quick_reply("찜하기", Block::FavouriteAdd, product_extra.clone())
            };
            let mut response = response.quick_reply(save);
            // A member may offer a price on a product on sale that takes offers, until one is accepted.
            if let Some(offers) = offers
                && offers.open
                && offers.accepted_price.is_none()
                && product.status == ProductStatus::OnSale
            {
                let label = if offers.pending_price.is_some() {
                    "제안 가격 바꾸기"
                } else {
                    "가격 제안"
                };
                response = response.quick_reply(nav.quick_reply(label, Block::OfferMake, product_extra));
            }
            if offers.is_some() {
                let seller = extra(Key::MemberId, product.seller_id);
                response = response.quick_reply(nav.quick_reply("판매자 차단", Block::MemberBlock, seller));
                let reported = extra(Key::ProductId, product.id);
                response = response.quick_reply(nav.quick_reply("신고하기", Block::Report, reported));
            }
            response.quick_reply(nav.go("목록으로", Block::Products))
        }
    };
    response.quick_reply(nav.go("처음으로", Block::Main))
}

/// What the seller may do from the detail: each status change the state machine allows, and a price
/// change while the product is on sale or reserved.
fn owner_actions(
    nav: &Nav,
    product: &Product,
    offers: ForViewer,
    mut response: SkillResponse,
) -> SkillResponse {
    let product_extra = extra(Key::ProductId, product.id);
    if offers.pending_count > 0 {
        let label = format!("받은 제안 {}", offers.pending_count);
        response = response.quick_reply(nav.quick_reply(&label, Block::Offers, product_extra.clone()));
    }
    if product.status == ProductStatus::OnSale {
        let (label, set) = if offers.open {
            ("제안 받지 않기", OFFERS_OFF)
        } else {
            ("제안 받기", OFFERS_ON)
        };
        response = response.quick_reply(nav.quick_reply(
            label,
            Block::ProductOffers,
            product_extra.clone().put(Key::Set, set),
        ));
    }
    if product.status == ProductStatus::OnSale {
        response =
            response.quick_reply(nav.quick_reply(BUMP_LABEL, Block::ProductBump, product_extra.clone()));
    }
    if product.status == ProductStatus::Reserved && product.held.is_none() {
        response = response.quick_reply(nav.quick_reply(
            super::manage::NAME_BUYER_LABEL,
            Block::ProductBuyer,
            product_extra,
        ));
    }
    // A held product stays as the market put it: its release is the only way back.
    let actions = if product.held.is_some() {
        Vec::new()
    } else {
        product.status.actions()
    };
    for action in actions {
        // `from` pins the state the seller saw: a stale button fails instead of acting on a newer state.
        let extra = Extra::new()
            .put(Key::ProductId, product.id)
            .put(Key::Action, action.key())
            .put(Key::From, product.status.key());
        response = response.quick_reply(nav.quick_reply(action.label(), Block::ProductStatus, extra));
    }
    if product.status.is_listed() {
        // Likewise `seenPrice`: a price change from an old screen fails rather than undo a newer one.
        let extra = Extra::new()
            .put(Key::ProductId, product.id)
            .put(Key::SeenPrice, product.price);
        response = response.quick_reply(nav.quick_reply(PRICE_CHANGE_LABEL, Block::ProductPrice, extra));
    }
    response.quick_reply(nav.go("내 상품", Block::MyProducts))
}

/// The label of the seller's bump (끌어올리기) on the detail view.
pub const BUMP_LABEL: &str = "끌어올리기";

/// The label of the seller's price change on the detail view.
pub const PRICE_CHANGE_LABEL: &str = "가격 변경";

/// The product's photos; for its owner, each photo that failed stands in its place in the upload, as the
/// placeholder with which photo it was and why.
fn photo_carousel(
    urls: &PhotoUrls<'_>,
    product: &Product,
    viewer_is_owner: bool,
) -> Option<Carousel<BasicCard>> {
    let failures: &[PhotoFailure] = if viewer_is_owner {
        &product.photo_failures
    } else {
        &[]
    };
    let mut stored = product.photos.iter();
    let cards = (0..product.photos.len() + failures.len()).filter_map(|position| {
        match failures.iter().find(|f| f.position == position) {
            Some(failed) => Some(
                BasicCard::new(Thumbnail::new(urls.placeholder()))
                    .title(format!("{}번째 사진을 올리지 못했어요", position + 1))
                    .description(&failed.message),
            ),
            None => stored.next().map(|photo| {
                BasicCard::new(
                    Thumbnail::new(urls.photo(&photo.thumb_key)).with_link(urls.photo(&photo.original_key)),
                )
            }),
        }
    });
    Carousel::from_cards(cards)
}

/// For the seller: how many of their photos were dropped, then one line per reason naming the photos
/// (`· 1, 3번째 사진: …`) in upload order. `None` when none failed.
pub fn photo_failures_text(requested: usize, failures: &[PhotoFailure]) -> Option<String> {
    if failures.is_empty() {
        return None;
    }
    let head = dropped_count(requested, failures.len());
    let mut reasons: Vec<(&str, Vec<String>)> = Vec::new();
    for failed in failures {
        let number = (failed.position + 1).to_string();
        match reasons.iter_mut().find(|(message, _)| *message == failed.message) {
            Some((_, numbers)) => numbers.push(number),
            None => reasons.push((&failed.message, vec![number])),
        }
    }
    let lines = reasons
        .iter()
        .map(|(message, numbers)| format!("· {}번째 사진: {message}", numbers.join(", ")));
    Some(std::iter::once(head).chain(lines).collect::<Vec<_>>().join("\n"))
}

/// "사진 3장 중 1장을 올리지 못했어요." (or all of them, or the only one).
fn dropped_count(requested: usize, failed: usize) -> String {
    match failed {
        1 if requested <= 1 => "사진을 올리지 못했어요.".to_owned(),
        n if n >= requested => format!("사진 {n}장을 모두 올리지 못했어요."),
        n => format!("사진 {requested}장 중 {n}장을 올리지 못했어요."),
    }
}

/// The facts card's line (at most 50 characters) on photos that failed; the reasons are on the photo cards.
fn photo_failures_summary(product: &Product) -> String {
    match product.photo_failures.len() {
        // Interrupted by a restart: no photo-by-photo reasons.
        0 => "사진을 불러오지 못했어요.".to_owned(),
        n => format!(
            "{} 이유는 사진 카드에 있어요.",
            dropped_count(product.photos_requested, n)
        ),
    }
}

fn facts_card(product: &Product, viewer: Viewer, seller_reviews: Summary) -> ItemCard {
    let mut card = ItemCard::new(ItemRow::new("가격", won(product.price)))
        .head("상품 정보")
        .title(titled(&product.name, product.status, false))
        .row(ItemRow::new("상태", product.status.label()))
        .row(ItemRow::new("카테고리", product.category.label()))
        .row(ItemRow::new("거래장소", &product.location))
        .row(ItemRow::new("판매자", &product.seller_name))
        .row(ItemRow::new("판매자 후기", seller_reviews.line()))
        .row(ItemRow::new("등록일", date_kst(product.created_at)));
    if let Viewer::Owner { saved_by, .. } = viewer {
        card = card.row(ItemRow::new("찜", format!("{saved_by}명")));
        match product.photos_state {
            PhotosState::Pending => {
                card = card.description("사진을 처리하고 있어요. 잠시 후 다시 확인해 주세요.")
            }
            PhotosState::Failed => card = card.description(photo_failures_summary(product)),
            PhotosState::Ready if !product.photo_failures.is_empty() => {
                card = card.description(photo_failures_summary(product))
            }
            PhotosState::None | PhotosState::Ready => {}
        }
        // The market's hold says why the product is hidden, over any photo note.
        if let Some(hold) = product.held {
            card = card.description(hold.label());
        }
    }
    if product.status.is_listed()
        && let Ok(url) = WebUrl::parse(&product.open_chat_url)
    {
        card = card.button(Button::web_link("오픈채팅", url));
    }
    card
}
