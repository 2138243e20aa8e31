//! 키워드 알림: add, list and remove the keywords new products are checked against.
//!
//! The list is a carousel of list cards, one row per keyword: ten keywords and a way on do not fit
//! Kakao's ten quick replies, and a row can carry the keyword to remove in `clientExtra`.

use crate::domain::Invalid;
use crate::domain::product::Keyword;
use crate::kakao::extra::{Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillError, SkillResult};
use crate::watch::keywords::{self, Added, MAX_KEYWORDS, SavedKeyword};
use kakao_skill::card::LIST_ITEMS_IN_CAROUSEL_MAX;
use kakao_skill::{Carousel, ListCard, SkillResponse};

/// Said when the list is full; the member is shown the list to remove one from.
const FULL: &str =
    "키워드는 10개까지 등록할 수 있어요. 아래 목록에서 키워드를 하나 지운 뒤 다시 등록해 주세요.";

/// `/skill/keywords`: the caller's keywords, each a row that removes it.
pub async fn list(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let saved = keywords::list(&call.state.db, member.id).await?;
    let intro = if saved.is_empty() {
        "등록한 키워드가 없어요. 키워드를 등록하면 그 단어가 들어간 새 상품이 올라올 때 알려 드려요."
    } else {
        "키워드가 들어간 새 상품이 올라오면 알려 드려요. 지우려면 키워드를 눌러 주세요."
    };
    Ok(answer(call.nav(), intro, &saved))
}

/// `/skill/keywords/add`: param `keyword`, checked like a search query. A keyword already there is
/// answered kindly; the eleventh is refused with the list to remove one from.
pub async fn add(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let keyword = Keyword::parse(call.param("keyword", "알림 받을 키워드를 입력해 주세요.")?)?;
    let db = &call.state.db;
    let message = match keywords::add(db, member.id, &keyword).await? {
        Added::Added => {
            format!("'{keyword}' 키워드를 등록했어요. 이 단어가 들어간 새 상품이 올라오면 알려 드릴게요.")
        }
        Added::AlreadyThere => format!("'{keyword}'은(는) 이미 등록한 키워드예요."),
        Added::Full => FULL.to_owned(),
        Added::NotMember => return Err(SkillError::NotMember),
    };
    let saved = keywords::list(db, member.id).await?;
    Ok(answer(call.nav(), &message, &saved))
}

/// `/skill/keywords/remove`: `clientExtra.keyword`, one of the caller's own (anyone else's is never
/// touched: the store deletes only the caller's row).
pub async fn remove(call: SkillCall) -> SkillResult {
    let member = call.member().await?;
    let keyword = call
        .extra(Key::Keyword)
        .and_then(|typed| Keyword::parse(typed).ok())
        .ok_or_else(|| {
            SkillError::Invalid(Invalid::new(
                "어떤 키워드를 지울지 알 수 없어요. 키워드 목록에서 다시 골라 주세요.",
            ))
        })?;
    let db = &call.state.db;
    let message = if keywords::remove(db, member.id, &keyword.needle()).await? {
        format!("'{keyword}' 키워드를 지웠어요.")
    } else {
        format!("'{keyword}'은(는) 등록된 키워드가 아니에요. 이미 지웠을 수 있어요.")
    };
    let saved = keywords::list(db, member.id).await?;
    Ok(answer(call.nav(), &message, &saved))
}

/// `message`, the list (when there is one), and the way on: add one (while there is room), saved
/// products, the main menu.
fn answer(nav: &Nav, message: &str, saved: &[SavedKeyword]) -> SkillResponse {
    let mut response = SkillResponse::text(message);
    if let Some(cards) = keyword_cards(nav, saved) {
        response = response.output(cards);
    }
    if saved.len() < MAX_KEYWORDS {
        response = response.quick_reply(nav.go("키워드 추가", Block::KeywordAdd));
    }
    response
        .quick_reply(nav.go("찜 목록", Block::Favourites))
        .quick_reply(nav.go("처음으로", Block::Main))
}

/// The keywords as rows of list cards (four to a card inside a carousel); `None` without keywords.
fn keyword_cards(nav: &Nav, saved: &[SavedKeyword]) -> Option<Carousel<ListCard>> {
    let header = format!("내 키워드 {}/{MAX_KEYWORDS}", saved.len());
    let cards = saved.chunks(LIST_ITEMS_IN_CAROUSEL_MAX).map(|chunk| {
        let row = |k: &SavedKeyword| {
            nav.list_item(&k.keyword, Block::KeywordRemove, extra(Key::Keyword, &k.keyword))
                .description("눌러서 삭제")
        };
        let mut card = ListCard::new(&header, row(&chunk[0]));
        for k in &chunk[1..] {
            card.push(row(k));
        }
        card
    });
    Carousel::from_cards(cards)
}
