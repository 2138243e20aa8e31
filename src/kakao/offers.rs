//! 가격 제안 skills: a member offers a price from a product's detail; its seller reads the open offers,
//! accepts one (after a confirmation: the others are declined) or declines it, and turns offers off or on
//! for a product. The rules are in [`crate::offers`]; these say what happened in Korean.

use kakao_skill::{Carousel, SkillResponse, TextCard};

use crate::domain::ids::ProductId;
use crate::domain::product::Price;
use crate::kakao::extra::{CONFIRM_YES, ExtraKeys, Key, extra};
use crate::kakao::products::{extra_id, product_id};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::offers::store::{self, Accepted, Decided, Made, Offer, OfferStatus};
use crate::present::won;

/// Offers shown at once (a carousel holds ten cards).
const SHOWN: i64 = 10;

/// Said when an offer was decided meanwhile, or is not the caller's to decide.
const GONE: &str = "이미 답했거나 찾을 수 없는 제안이에요. 받은 제안을 다시 확인해 주세요.";

/// `/skill/offers/make`: `clientExtra.productId` and `params.price` (the price rule of registration).
pub async fn make(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let product = product_id(&call)?;
    let price = Price::parse(call.param("price", "제안할 가격을 입력해 주세요.")?)?;
    let (db, outbox) = (&call.state.db, &call.state.outbox);
    let made = store::make(db, outbox, product, member.id, price.won()).await?;
    let refusal = match made {
        Made::Made { replaced, .. } => {
            let message = if replaced {
                format!("제안한 가격을 {price}(으)로 바꿨어요. 판매자가 답하면 알려 드릴게요.")
            } else {
                format!("{price}을 제안했어요. 판매자가 답하면 알려 드릴게요.")
            };
            return Ok(back_to_product(call.nav(), message, product));
        }
        Made::NotOnSale => "지금 판매중인 상품에만 가격을 제안할 수 있어요.".to_owned(),
        Made::OwnProduct => "내 상품에는 가격을 제안할 수 없어요.".to_owned(),
        Made::OffersOff => "판매자가 이 상품의 가격 제안을 받지 않아요.".to_owned(),
        Made::NotBelowPrice(list) => format!(
            "판매 가격({})보다 낮은 가격을 제안해 주세요. 그 값에 사려면 바로 구매하면 돼요.",
            won(list)
        ),
        Made::AlreadyAccepted => "판매자가 이미 다른 제안을 받아들였어요.".to_owned(),
        Made::Raced => "방금 보낸 제안이 먼저 들어갔어요. 상품을 다시 확인해 주세요.".to_owned(),
    };
    Err(SkillError::Refused(refusal))
}

/// `/skill/offers`: the open offers on the caller's products on sale (`clientExtra.productId`: one of
/// them), highest first, each with 수락 and 거절.
pub async fn list(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let product = call
        .extra(Key::ProductId)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .map(ProductId::new);
    let offers = store::open_for_seller(&call.state.db, member.id, product, SHOWN).await?;
    let nav = call.nav();
    let response = match Carousel::from_cards(offers.iter().map(|offer| offer_card(nav, offer))) {
        Some(cards) => SkillResponse::new(cards),
        None => SkillResponse::text("아직 받은 가격 제안이 없어요."),
    };
    Ok(response
        .quick_reply(nav.go("내 상품", Block::MyProducts))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// `/skill/offers/mine`: the offers the caller made, newest first, each with where it stands and a way to
/// its product (where an accepted one is paid at its price).
pub async fn mine(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let offers = store::made_by(&call.state.db, member.id, SHOWN).await?;
    let nav = call.nav();
    let cards = offers.iter().map(|offer| {
        let next = match offer.status {
            OfferStatus::Accepted => "판매자가 받아들였어요. 상품에서 제안가로 구매할 수 있어요.",
            OfferStatus::Pending => "판매자의 답을 기다리고 있어요.",
            OfferStatus::Declined => "판매자가 거절했어요.",
            OfferStatus::Withdrawn => "거래가 끝나거나 상품이 바뀌어 제안이 끝났어요.",
        };
        TextCard::titled(format!("{} · {}", won(offer.price), offer.product_name))
            .description(format!(
                "{} · 판매 가격 {}\n{next}",
                offer.status.label(),
                won(offer.list_price)
            ))
            .button(nav.button(
                "상품 보기",
                Block::ProductDetail,
                extra(Key::ProductId, offer.product_id),
            ))
    });
    let response = match Carousel::from_cards(cards) {
        Some(cards) => SkillResponse::new(cards),
        None => {
            SkillResponse::text("아직 가격을 제안한 상품이 없어요. 상품 화면에서 '가격 제안'을 눌러 보세요.")
        }
    };
    Ok(response
        .quick_reply(nav.go("마이페이지", Block::MyPage))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

fn offer_card(nav: &Nav, offer: &Offer) -> TextCard {
    let id = extra(Key::OfferId, offer.id);
    TextCard::titled(format!("{} · {}", won(offer.price), offer.product_name))
        .description(format!(
            "{}님의 제안 · 판매 가격 {}",
            offer.buyer_name,
            won(offer.list_price)
        ))
        .button(nav.button("수락", Block::OfferAccept, id.clone()))
        .button(nav.button("거절", Block::OfferDecline, id))
        .button(nav.button("차단", Block::MemberBlock, extra(Key::MemberId, offer.buyer_id)))
}

/// `/skill/offers/accept`: `clientExtra.offerId`; asks first, then with `clientExtra.confirm = yes`
/// accepts (the other open offers on the product are declined).
pub async fn accept(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let offer = own_offer(&call, member.id).await?;
    let nav = call.nav();
    if call.extra(Key::Confirm) != Some(CONFIRM_YES) {
        let yes = extra(Key::OfferId, offer.id).put(Key::Confirm, CONFIRM_YES);
        return Ok(SkillResponse::new(
            TextCard::titled(format!(
                "{}님의 {} 제안을 받아들일까요?",
                offer.buyer_name,
                won(offer.price)
            ))
            .description(format!(
                "'{}'의 다른 제안은 모두 거절되고, {}님은 {}에 살 수 있게 돼요.",
                offer.product_name,
                offer.buyer_name,
                won(offer.price)
            )),
        )
        .quick_reply(nav.quick_reply("수락", Block::OfferAccept, yes))
        .quick_reply(nav.quick_reply(
            "아니요",
            Block::Offers,
            extra(Key::ProductId, offer.product_id),
        )));
    }
    let (db, outbox) = (&call.state.db, &call.state.outbox);
    match store::accept(db, outbox, offer.id, member.id).await? {
        Accepted::Accepted { declined } => {
            let others = if declined > 0 {
                format!(" 다른 제안 {declined}개는 거절했어요.")
            } else {
                String::new()
            };
            let message = format!(
                "{}님의 {} 제안을 받아들였어요.{others} {}님이 결제하면 알려 드릴게요.",
                offer.buyer_name,
                won(offer.price),
                offer.buyer_name
            );
            Ok(back_to_product(nav, message, offer.product_id))
        }
        Accepted::AnotherAccepted => Err(SkillError::Refused(
            "이 상품은 이미 다른 제안을 받아들였어요.".into(),
        )),
        Accepted::Gone => Err(SkillError::Refused(GONE.into())),
    }
}

/// `/skill/offers/decline`: `clientExtra.offerId`.
pub async fn decline(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let offer = own_offer(&call, member.id).await?;
    let (db, outbox) = (&call.state.db, &call.state.outbox);
    match store::decline(db, outbox, offer.id, member.id).await? {
        Decided::Done => {
            let message = format!("{}님의 {} 제안을 거절했어요.", offer.buyer_name, won(offer.price));
            let nav = call.nav();
            Ok(SkillResponse::text(message)
                .quick_reply(nav.quick_reply(
                    "받은 제안",
                    Block::Offers,
                    extra(Key::ProductId, offer.product_id),
                ))
                .quick_reply(nav.go("처음으로", Block::Main)))
        }
        Decided::Gone => Err(SkillError::Refused(GONE.into())),
    }
}

/// `/skill/products/offers`: `clientExtra.productId` and `clientExtra.set` (`offers_on` or `offers_off`):
/// the seller turns offers on or off for their product.
pub async fn set_open(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let product = product_id(&call)?;
    let open = match call.extra(Key::Set) {
        Some(OFFERS_ON) => true,
        Some(OFFERS_OFF) => false,
        _ => {
            return Err(SkillError::Refused(
                "무엇을 할지 알 수 없어요. 상품 화면에서 다시 골라 주세요.".into(),
            ));
        }
    };
    if !store::set_open(&call.state.db, product, member.id, open).await? {
        return Err(SkillError::Refused("내가 등록한 상품만 바꿀 수 있어요.".into()));
    }
    let message = if open {
        "이제 이 상품에 가격 제안을 받아요."
    } else {
        "이제 이 상품에는 가격 제안을 받지 않아요 (가격 제안 불가)."
    };
    Ok(back_to_product(call.nav(), message, product))
}

/// The value of `clientExtra.set` that turns offers on.
pub const OFFERS_ON: &str = "offers_on";
/// The value of `clientExtra.set` that turns offers off.
pub const OFFERS_OFF: &str = "offers_off";

/// The offer of `clientExtra.offerId`, when it is on one of `seller`'s products.
async fn own_offer(call: &SkillCall, seller: crate::domain::ids::MemberId) -> Result<Offer, SkillError> {
    let id = extra_id(
        call,
        Key::OfferId,
        "어떤 제안인지 알 수 없어요. 받은 제안에서 다시 골라 주세요.",
    )?;
    store::get(&call.state.db, id)
        .await?
        .filter(|offer| offer.seller_id == seller)
        .ok_or_else(|| SkillError::Refused(GONE.into()))
}

fn back_to_product(nav: &Nav, message: impl Into<String>, product: ProductId) -> SkillResponse {
    SkillResponse::text(message.into())
        .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra(Key::ProductId, product)))
        .quick_reply(nav.go("처음으로", Block::Main))
}
