//! Registering a product: the preview saves a server-side draft and starts downloading the photos; the
//! confirmation turns the draft into a product.
//!
//! Why a server-side draft rather than a Kakao context: the confirmation carries only a draft id, so
//! nothing the user could edit between the two steps is trusted, the draft can hold every field without
//! Kakao's context-size limits, and a second tap on "등록하기" finds the draft already used instead of
//! registering twice. Every rule is checked again at confirmation with the same parsers.
//!
//! Photos: Kakao's secure-image URLs live only minutes, so the download starts at the preview, in the
//! background; the skill answers at once. The draft and later the product point at the photo set, which
//! fills in whenever the download finishes. Each photo that fails is recorded with its place in the
//! seller's upload and the reason, so the confirmation (and later the owner's detail) can say which photo
//! was dropped and why, not just that something went wrong.

use super::extra_id;
use crate::domain::Invalid;
use crate::domain::product::{Description, OpenChatUrl, Price, ProductName, TradeLocation};
use crate::images::parse_secure_images;
use crate::kakao::extra::{Key, extra};
use crate::kakao::products::cards::photo_failures_text;
use crate::kakao::{Block, SkillCall, SkillError, SkillResult};
use crate::present::won;
use crate::products::model::{Category, PhotosState, Product};
use crate::products::store::{self, Draft, ProductFields, Registration};
use kakao_skill::{BasicCard, Carousel, ItemCard, ItemRow, SkillResponse, TextCard, Thumbnail, WebUrl};

/// Every field of a product, each already valid.
struct ValidProduct {
    name: ProductName,
    price: Price,
    description: Description,
    category: Category,
    location: TradeLocation,
    open_chat_url: OpenChatUrl,
}

impl ValidProduct {
    fn fields(&self) -> ProductFields<'_> {
        ProductFields {
            name: self.name.as_str(),
            price: self.price.won(),
            description: self.description.as_str(),
            category: self.category,
            location: self.location.as_str(),
            open_chat_url: self.open_chat_url.as_str(),
        }
    }

    /// Checks the preview's parameters; the first broken rule is reported.
    fn from_call(call: &SkillCall, category: Category) -> Result<Self, SkillError> {
        Ok(Self {
            name: ProductName::parse(call.param("productName", "상품명을 입력해 주세요.")?)?,
            price: Price::parse(call.param("price", "가격을 입력해 주세요.")?)?,
            description: Description::parse(call.param("description", "상품 설명을 입력해 주세요.")?)?,
            category,
            location: TradeLocation::parse(call.param("location", "거래 장소를 입력해 주세요.")?)?,
            open_chat_url: OpenChatUrl::parse(call.param("openChatUrl", "오픈채팅 링크를 입력해 주세요.")?)?,
        })
    }

    /// Checks a saved draft again: rules may have changed, or the row may have been edited.
    fn from_draft(draft: &Draft) -> Result<Self, SkillError> {
        Ok(Self {
            name: ProductName::parse(&draft.name)?,
            price: Price::from_won(draft.price)?,
            description: Description::parse(&draft.description)?,
            category: Category::parse(&draft.category)
                .ok_or_else(|| Invalid::new("카테고리를 다시 골라 주세요."))?,
            location: TradeLocation::parse(&draft.location)?,
            open_chat_url: OpenChatUrl::parse(&draft.open_chat_url)?,
        })
    }
}

/// `/skill/products/preview`: params `productName`, `price`, `description`, `location`, `openChatUrl`,
/// `images` (secure-image plugin value) and `clientExtra.category` (or a `category` param: key or label).
pub async fn preview(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    // From the category picker's row (`clientExtra`), or from a `category` slot if the block asks for it
    // (whether Open Builder keeps a button's extra through slot filling is not documented).
    //
    // Reached by its utterance on a bot with a block per skill, the block asks only its required
    // parameters and no category comes at all: rather than refuse (and lose every answer just typed), the
    // product goes under 기타 and the preview says how to choose another.
    let chosen = call
        .extra(Key::Category)
        .or_else(|| call.payload.param("category"));
    let category = match chosen {
        Some(text) => Category::parse(text)
            .ok_or_else(|| SkillError::Invalid(Invalid::new("카테고리를 먼저 골라 주세요.")))?,
        None => Category::Etc,
    };
    let product = ValidProduct::from_call(&call, category)?;
    let photo_urls = parse_secure_images(call.param("images", "상품 사진을 올려 주세요.")?)?;
    // Refuse forged photo URLs now, while the user is here to hear it, rather than in the background.
    let allowed = call.state.images.downloader().allow_list();
    let forged = photo_urls
        .iter()
        .enumerate()
        .find_map(|(i, url)| allowed.check(url).err().map(|refusal| (i, refusal)));
    if let Some((i, refusal)) = forged {
        return Err(SkillError::Refused(format!(
            "{}번째 사진: {}",
            i + 1,
            refusal.user_message()
        )));
    }

    let db = &call.state.db;
    let photo_set = store::create_photo_set(db, member.id, photo_urls.len()).await?;
    let (images, catalog) = (call.state.images.clone(), call.state.catalog.clone());
    tokio::spawn(crate::products::photos::ingest(
        db.clone(),
        images,
        catalog,
        photo_set,
        photo_urls.clone(),
    ));
    let draft_id = store::create_draft(db, member.id, &product.fields(), Some(photo_set)).await?;

    let nav = call.nav();
    let summary = ItemCard::new(ItemRow::new("가격", won(product.price.won())))
        .head("등록 미리보기")
        .title(product.name.as_str())
        .row(match chosen {
            Some(_) => ItemRow::new("카테고리", category.label()),
            // Said where the seller looks before pressing 등록하기; 다시 입력 starts at the picker.
            None => ItemRow::new("카테고리", format!("{} (다시 입력에서 변경)", category.label())),
        })
        .row(ItemRow::new("거래장소", product.location.as_str()))
        .row(ItemRow::new("사진", format!("{}장", photo_urls.len())));
    let description = TextCard::titled("상품 설명").description(product.description.as_str());
    let previews = photo_urls
        .iter()
        .filter_map(|u| WebUrl::parse(u).ok())
        .map(|u| BasicCard::new(Thumbnail::new(u)));
    let response = match Carousel::from_cards(previews) {
        Some(photos) => SkillResponse::new(photos).output(summary).output(description),
        None => SkillResponse::new(summary).output(description),
    };
    let again = extra(Key::Purpose, "register");
    Ok(response
        .quick_reply(nav.quick_reply("등록하기", Block::Register, extra(Key::DraftId, draft_id)))
        .quick_reply(nav.quick_reply("다시 입력", Block::Categories, again))
        .quick_reply(nav.go("취소", Block::Main)))
}

/// `/skill/products/register`: `clientExtra.draftId` of the caller's own preview.
pub async fn register(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let draft_id = extra_id(
        &call,
        Key::DraftId,
        "등록할 미리보기를 찾을 수 없어요. 상품 등록을 처음부터 다시 해 주세요.",
    )?;
    let db = &call.state.db;
    let draft = store::get_draft(db, draft_id, member.id).await?.ok_or_else(|| {
        SkillError::Refused("등록할 미리보기를 찾을 수 없어요. 상품 등록을 처음부터 다시 해 주세요.".into())
    })?;
    let product = ValidProduct::from_draft(&draft)?;
    let nav = call.nav();
    let (catalog, outbox) = (&call.state.catalog, &call.state.outbox);
    let registration = store::register(db, catalog, outbox, &draft, &product.fields()).await?;
    let (product_id, message) = match registration {
        Registration::Created(id) => (id, format!("'{}'을(를) 등록했어요!", product.name)),
        Registration::AlreadyRegistered(id) => (id, "이미 등록한 상품이에요.".to_owned()),
    };
    let registered = store::get(db, product_id).await?;
    let photo_note = registered.as_ref().map(photo_note).unwrap_or_default();
    let extra = extra(Key::ProductId, product_id);
    Ok(SkillResponse::text(format!("{message}{photo_note}"))
        .quick_reply(nav.quick_reply("상품 보기", Block::ProductDetail, extra))
        .quick_reply(nav.go("내 상품", Block::MyProducts))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// What the confirmation says about the product's photos: still coming, or which failed and why (and
/// whether the rest made it). Empty when every photo is there.
fn photo_note(product: &Product) -> String {
    let report = photo_failures_text(product.photos_requested, &product.photo_failures);
    match (product.photos_state, report) {
        (PhotosState::Pending, _) => "\n사진은 처리되는 대로 상품에 표시돼요.".to_owned(),
        (PhotosState::Failed, Some(report)) => format!("\n{report}\n사진 없이 등록되었어요."),
        // No photo-by-photo reasons: the download was interrupted by a restart.
        (PhotosState::Failed, None) => "\n사진을 불러오지 못했어요. 사진 없이 등록되었어요.".to_owned(),
        (PhotosState::Ready, Some(report)) => format!("\n{report}\n나머지 사진은 등록되었어요."),
        (PhotosState::Ready | PhotosState::None, None) | (PhotosState::None, Some(_)) => String::new(),
    }
}
