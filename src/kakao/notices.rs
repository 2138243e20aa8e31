//! The notice skills: the listing, five at a time, and one notice as a card. Anyone may read notices,
//! so neither skill asks who is calling.

use crate::kakao::extra::{Key, extra};
use crate::kakao::{Block, Nav, SkillCall, SkillResult};
use crate::notices::model::Notice;
use crate::notices::store::{self, ListCursor};
use crate::present::date_kst;
use kakao_skill::card::LIST_ITEMS_MAX;
use kakao_skill::{
    BasicCard, Button, Extra, ListCard, ListItem, SimpleText, SkillResponse, TextCard, Thumbnail,
};

/// Notices per page: as many rows as a list card holds.
const PAGE_SIZE: u32 = LIST_ITEMS_MAX as u32;
/// `clientExtra` key of the detail: which notice.
const NOTICE_ID: &str = "noticeId";

/// `clientExtra.cursor` (optional): the page after that point. A cursor we did not write (typed or
/// tampered with) is ignored and the listing starts from the top — it is public and harmless.
pub async fn list(call: SkillCall) -> SkillResult {
    let nav = call.nav();
    let cursor = call.extra(Key::Cursor).and_then(ListCursor::parse);
    let page = store::list_published(&call.state.db, cursor.as_ref(), PAGE_SIZE).await?;
    let mut notices = page.notices.iter();
    let Some(first) = notices.next() else {
        return Ok(match cursor {
            None => {
                SkillResponse::text("아직 공지사항이 없어요.").quick_reply(nav.go("처음으로", Block::Main))
            }
            // The notices after the cursor were hidden or deleted since the previous page was shown.
            Some(_) => SkillResponse::text("더 볼 공지사항이 없어요.")
                .quick_reply(nav.go("공지 처음부터", Block::Notices))
                .quick_reply(nav.go("처음으로", Block::Main)),
        });
    };
    let card = notices.fold(ListCard::new("공지사항", row(nav, first)), |card, notice| {
        card.item(row(nav, notice))
    });
    let mut reply = SkillResponse::new(card);
    if let Some(next) = page.next {
        reply = reply.quick_reply(nav.quick_reply("더보기", Block::Notices, extra(Key::Cursor, next)));
    }
    Ok(reply.quick_reply(nav.go("처음으로", Block::Main)))
}

/// One row of the listing: the title, the date (pinned notices marked), the image of an image notice;
/// tapping it opens the notice.
fn row(nav: &Nav, notice: &Notice) -> ListItem {
    let date = date_kst(notice.created_at);
    let description = match notice.status.listing_rank() {
        Some(0) => format!("📌 {date}"),
        _ => date,
    };
    let item = nav
        .list_item(
            notice.title(),
            Block::NoticeDetail,
            Extra::new().with(NOTICE_ID, notice.id),
        )
        .description(description);
    match notice.content.image_url() {
        Some(url) => item.image(url.clone()),
        None => item,
    }
}

/// `clientExtra.noticeId`: a positive integer. A notice that is hidden, deleted or unknown, or an id
/// that is not one, is answered as "not found", with the way back to the listing.
pub async fn detail(call: SkillCall) -> SkillResult {
    let nav = call.nav();
    let Some(raw) = call.payload.extra(NOTICE_ID) else {
        return Ok(
            SkillResponse::text("보고 싶은 공지를 공지사항 목록에서 골라 주세요.")
                .quick_reply(nav.go("공지사항", Block::Notices))
                .quick_reply(nav.go("처음으로", Block::Main)),
        );
    };
    let notice = match parse_id(raw) {
        Some(id) => store::get_published(&call.state.db, id).await?,
        None => None,
    };
    let Some(notice) = notice else {
        return Ok(SkillResponse::text(
            "찾을 수 없는 공지예요. 내려갔거나 숨겨진 공지일 수 있어요. 공지사항 목록에서 다시 골라 주세요.",
        )
        .quick_reply(nav.go("공지사항", Block::Notices))
        .quick_reply(nav.go("처음으로", Block::Main)));
    };
    Ok(show(&notice)
        .quick_reply(nav.go("공지 목록", Block::Notices))
        .quick_reply(nav.go("처음으로", Block::Main)))
}

/// A notice id from `clientExtra`: ASCII digits only (no sign, no spaces inside), greater than zero.
fn parse_id(raw: &str) -> Option<i64> {
    let digits = !raw.is_empty() && raw.len() <= 18 && raw.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| raw.parse().ok()).flatten().filter(|&id| id > 0)
}

/// The notice as a card: a text notice as a textCard, an image notice as a basicCard with its image, the
/// link as a button. A body too long for the card's description follows the card in its own bubble
/// (a simpleText holds every body [`super::NewNotice`] accepts), so nothing is cut.
fn show(notice: &Notice) -> SkillResponse {
    let body = notice.body();
    let fits = notice.content.body_fits_card();
    let link = notice
        .content
        .link()
        .map(|link| Button::web_link(link.label(), link.url().clone()));
    let (reply, body_fits) = match notice.content.image_url() {
        None => {
            let mut card = TextCard::titled(notice.title());
            if fits {
                card = card.description(body);
            }
            if let Some(link) = link {
                card = card.button(link);
            }
            (SkillResponse::new(card), fits)
        }
        Some(image) => {
            let mut card = BasicCard::new(Thumbnail::new(image.clone())).title(notice.title());
            if fits {
                card = card.description(body);
            }
            if let Some(link) = link {
                card = card.button(link);
            }
            (SkillResponse::new(card), fits)
        }
    };
    if body_fits {
        reply
    } else {
        reply.output(SimpleText::new(body))
    }
}

#[cfg(test)]
mod tests {
    use super::parse_id;

    #[test]
    fn notice_ids_are_positive_integers_written_in_plain_digits() {
        assert_eq!(parse_id("42"), Some(42));
        assert_eq!(parse_id("007"), Some(7));
        for garbage in [
            "0",
            "-1",
            "+1",
            "1.5",
            "1e3",
            "abc",
            "12a",
            "",
            "９",
            "99999999999999999999",
        ] {
            assert_eq!(parse_id(garbage), None, "{garbage:?}");
        }
    }
}
