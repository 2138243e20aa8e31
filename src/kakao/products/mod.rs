//! The product skills: browsing (`browse`), registering (`register`) and the owner's status changes
//! (`manage`).

pub mod browse;
pub mod cards;
pub mod manage;
pub mod register;

use crate::domain::Invalid;
use crate::domain::ids::ProductId;
use crate::kakao::extra::Key;
use crate::kakao::{SkillCall, SkillError};
use crate::products::model::ListCursor;
use cards::PhotoUrls;

/// Products per list page (a carousel holds ten cards): the store's page.
pub const PER_PAGE: usize = crate::products::store::PER_PAGE;

fn photo_urls(call: &SkillCall) -> PhotoUrls<'_> {
    PhotoUrls {
        store: call.state.images.store(),
        public_url: &call.state.config.public_url,
    }
}

/// A positive id from `clientExtra` (ids come back from our own buttons, but `clientExtra` is user input).
pub(crate) fn extra_id(call: &SkillCall, key: Key, missing: &'static str) -> Result<i64, SkillError> {
    call.extra(key)
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| SkillError::Invalid(Invalid::new(missing)))
}

/// The product of `clientExtra.productId` (a positive id; the message tells the user what to do otherwise).
pub(crate) fn product_id(call: &SkillCall) -> Result<ProductId, SkillError> {
    extra_id(
        call,
        Key::ProductId,
        "어떤 상품인지 알 수 없어요. 상품을 다시 골라 주세요.",
    )
    .map(ProductId::new)
}

/// The "더보기" cursor, when present; a malformed one restarts from the first page.
fn cursor(call: &SkillCall) -> Option<ListCursor> {
    call.extra(Key::Cursor).and_then(ListCursor::parse)
}
