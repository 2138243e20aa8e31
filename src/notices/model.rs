//! A notice: what kind of card it is, where it stands (메인/게시/숨김/삭제), and the rules its content
//! must meet so that every stored notice renders as a card Kakao accepts.

use std::fmt;

use crate::domain::{Invalid, multi_line, single_line};
use kakao_skill::WebUrl;
use kakao_skill::card::LABEL_MAX;

/// How a notice is shown: a text card, or a basic card with an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeKind {
    Text,
    Image,
}

impl NoticeKind {
    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "text" => Self::Text,
            "image" => Self::Image,
            _ => return None,
        })
    }

    /// What admins see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Text => "텍스트",
            Self::Image => "이미지",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a notice stands. Only `Main` and `Published` are shown in the chat, main ones first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NoticeStatus {
    /// Pinned above the others.
    Main,
    Published,
    /// Kept, not shown; can be shown again.
    Hidden,
    /// Kept for the record only; final.
    Deleted,
}

impl NoticeStatus {
    pub const ALL: [NoticeStatus; 4] = [Self::Main, Self::Published, Self::Hidden, Self::Deleted];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Main => "main",
            Self::Published => "published",
            Self::Hidden => "hidden",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(stored: &str) -> Option<Self> {
        Some(match stored {
            "main" => Self::Main,
            "published" => Self::Published,
            "hidden" => Self::Hidden,
            "deleted" => Self::Deleted,
            _ => return None,
        })
    }

    /// What users and admins see.
    pub fn label(self) -> &'static str {
        match self {
            Self::Main => "메인",
            Self::Published => "게시",
            Self::Hidden => "숨김",
            Self::Deleted => "삭제",
        }
    }

    /// Shown in the chat.
    pub fn is_visible(self) -> bool {
        matches!(self, Self::Main | Self::Published)
    }

    /// Position in the listing: main notices before published ones. `None` for notices never listed.
    /// Mirrors the `CASE status …` of the listing query and its index.
    pub fn listing_rank(self) -> Option<i64> {
        match self {
            Self::Main => Some(0),
            Self::Published => Some(1),
            Self::Hidden | Self::Deleted => None,
        }
    }

    /// Whether a notice in this status may be moved to `to`. Deletion is final; every other status can
    /// become any other (pin, unpin, hide, show again, delete).
    pub fn can_become(self, to: NoticeStatus) -> bool {
        self != to && self != Self::Deleted
    }
}

crate::db::text_column!(NoticeStatus, as_str);

impl fmt::Display for NoticeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The optional web-link button of a notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeLink {
    label: String,
    url: WebUrl,
}

impl NoticeLink {
    /// The button's label, 1 to 14 characters (a Kakao button label).
    pub fn label(&self) -> &str {
        &self.label
    }

    pub fn url(&self) -> &WebUrl {
        &self.url
    }
}

/// What an admin typed for a notice, before any check. Blank optional fields count as absent.
#[derive(Clone, Copy, Debug)]
pub struct NoticeInput<'a> {
    pub kind: NoticeKind,
    pub title: &'a str,
    pub body: &'a str,
    pub image_url: Option<&'a str>,
    pub link_label: Option<&'a str>,
    pub link_url: Option<&'a str>,
}

impl<'a> NoticeInput<'a> {
    /// An input with only the required fields (no image, no link).
    pub fn new(kind: NoticeKind, title: &'a str, body: &'a str) -> Self {
        Self {
            kind,
            title,
            body,
            image_url: None,
            link_label: None,
            link_url: None,
        }
    }
}

/// The content of a notice, checked: a value of this type always renders as a valid Kakao card.
///
/// Rules: the title is one line of 1 to 50 characters (a card title); the body keeps its line breaks
/// and has 1 to 1,000 characters (a simpleText, where it goes when it is too long for the card); an
/// image notice has an http(s) image URL and a text notice has none; the link is a button label of 1 to
/// 14 characters together with an http(s) URL, or nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotice {
    kind: NoticeKind,
    title: String,
    body: String,
    image_url: Option<WebUrl>,
    link: Option<NoticeLink>,
}

impl NewNotice {
    /// Longest title: a card title.
    pub const TITLE_MAX_CHARS: usize = 50;
    /// Longest body: a simpleText bubble.
    pub const BODY_MAX_CHARS: usize = 1000;
    /// Longest link label: a button label.
    pub const LINK_LABEL_MAX_CHARS: usize = LABEL_MAX;
    /// Longest body shown inside a text notice's card (a textCard's description).
    pub const TEXT_CARD_BODY_MAX_CHARS: usize = 400;
    /// Longest body shown inside an image notice's card (a basicCard's description).
    pub const IMAGE_CARD_BODY_MAX_CHARS: usize = 230;

    /// Normalises and checks a notice; the error says in Korean what to fix.
    pub fn parse(input: NoticeInput<'_>) -> Result<Self, Invalid> {
        let title = single_line(input.title);
        if title.is_empty() {
            return Err(Invalid::new("공지 제목을 입력해 주세요."));
        }
        if title.chars().count() > Self::TITLE_MAX_CHARS {
            return Err(Invalid::new("공지 제목은 50자 이내로 입력해 주세요."));
        }
        let body = multi_line(input.body);
        if body.is_empty() {
            return Err(Invalid::new("공지 내용을 입력해 주세요."));
        }
        if body.chars().count() > Self::BODY_MAX_CHARS {
            return Err(Invalid::new("공지 내용은 1000자 이내로 입력해 주세요."));
        }
        let image_url = match (input.kind, present(input.image_url)) {
            (NoticeKind::Image, None) => {
                return Err(Invalid::new("이미지 공지에는 이미지 주소가 필요해요."));
            }
            (NoticeKind::Image, Some(url)) => Some(WebUrl::parse(url).map_err(|_| {
                Invalid::new("이미지 주소는 http:// 또는 https://로 시작하는 올바른 주소로 입력해 주세요.")
            })?),
            (NoticeKind::Text, Some(_)) => {
                return Err(Invalid::new(
                    "텍스트 공지에는 이미지를 넣을 수 없어요. 이미지 공지로 바꿔 주세요.",
                ));
            }
            (NoticeKind::Text, None) => None,
        };
        let link = match (present(input.link_label), present(input.link_url)) {
            (None, None) => None,
            (Some(label), Some(url)) => Some(parse_link(label, url)?),
            _ => return Err(Invalid::new("링크 버튼에는 이름과 주소가 모두 필요해요.")),
        };
        Ok(Self {
            kind: input.kind,
            title,
            body,
            image_url,
            link,
        })
    }

    pub fn kind(&self) -> NoticeKind {
        self.kind
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn body(&self) -> &str {
        &self.body
    }

    /// Present exactly when the kind is [`NoticeKind::Image`].
    pub fn image_url(&self) -> Option<&WebUrl> {
        self.image_url.as_ref()
    }

    pub fn link(&self) -> Option<&NoticeLink> {
        self.link.as_ref()
    }

    /// Whether the body is shown inside the card; a longer one follows the card in its own bubble, so
    /// nothing is cut. The chat and the console's preview both follow this.
    pub fn body_fits_card(&self) -> bool {
        let max = match self.kind {
            NoticeKind::Text => Self::TEXT_CARD_BODY_MAX_CHARS,
            NoticeKind::Image => Self::IMAGE_CARD_BODY_MAX_CHARS,
        };
        self.body.chars().count() <= max
    }
}

/// `None` for an absent or blank optional field.
fn present(field: Option<&str>) -> Option<&str> {
    field.map(str::trim).filter(|value| !value.is_empty())
}

fn parse_link(label: &str, url: &str) -> Result<NoticeLink, Invalid> {
    let label = single_line(label);
    if label.is_empty() {
        return Err(Invalid::new("링크 버튼 이름을 입력해 주세요."));
    }
    if label.chars().count() > NewNotice::LINK_LABEL_MAX_CHARS {
        return Err(Invalid::new("링크 버튼 이름은 14자 이내로 입력해 주세요."));
    }
    let url = WebUrl::parse(url).map_err(|_| {
        Invalid::new("링크 주소는 http:// 또는 https://로 시작하는 올바른 주소로 입력해 주세요.")
    })?;
    Ok(NoticeLink { label, url })
}

/// A stored notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub content: NewNotice,
    pub status: NoticeStatus,
    /// Unix milliseconds, UTC.
    pub created_at: i64,
    /// Unix milliseconds, UTC.
    pub updated_at: i64,
}

impl Notice {
    pub fn kind(&self) -> NoticeKind {
        self.content.kind()
    }

    pub fn title(&self) -> &str {
        self.content.title()
    }

    pub fn body(&self) -> &str {
        self.content.body()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input<'a>(kind: NoticeKind, title: &'a str, body: &'a str) -> NoticeInput<'a> {
        NoticeInput::new(kind, title, body)
    }

    #[test]
    fn stored_values_round_trip_and_unknown_ones_are_refused() {
        for kind in [NoticeKind::Text, NoticeKind::Image] {
            assert_eq!(NoticeKind::parse(kind.as_str()), Some(kind));
        }
        for status in NoticeStatus::ALL {
            assert_eq!(NoticeStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(NoticeKind::parse("Text"), None);
        assert_eq!(NoticeStatus::parse("작성"), None);
    }

    #[test]
    fn only_main_and_published_are_visible_and_main_ranks_first() {
        let visible: Vec<_> = NoticeStatus::ALL.into_iter().filter(|s| s.is_visible()).collect();
        assert_eq!(visible, [NoticeStatus::Main, NoticeStatus::Published]);
        assert!(NoticeStatus::Main.listing_rank() < NoticeStatus::Published.listing_rank());
        assert_eq!(NoticeStatus::Hidden.listing_rank(), None);
    }

    #[test]
    fn deletion_is_final_and_a_status_does_not_become_itself() {
        for to in NoticeStatus::ALL {
            assert!(!NoticeStatus::Deleted.can_become(to));
        }
        assert!(NoticeStatus::Hidden.can_become(NoticeStatus::Published));
        assert!(NoticeStatus::Published.can_become(NoticeStatus::Deleted));
        assert!(!NoticeStatus::Main.can_become(NoticeStatus::Main));
    }

    #[test]
    fn title_and_body_are_normalised() {
        let notice = NewNotice::parse(input(
            NoticeKind::Text,
            "  운영  안내 ",
            "첫 줄  \r\n\r\n\r\n둘째 줄\n",
        ))
        .unwrap();
        assert_eq!(notice.title(), "운영 안내");
        assert_eq!(notice.body(), "첫 줄\n\n둘째 줄");
    }

    #[test]
    fn limits_count_characters_not_bytes() {
        let title = "가".repeat(50);
        let body = "나".repeat(1000);
        assert!(NewNotice::parse(input(NoticeKind::Text, &title, &body)).is_ok());
        let long_title = "가".repeat(51);
        assert!(NewNotice::parse(input(NoticeKind::Text, &long_title, "본문")).is_err());
        let long_body = "나".repeat(1001);
        assert!(NewNotice::parse(input(NoticeKind::Text, "제목", &long_body)).is_err());
    }

    #[test]
    fn blank_optional_fields_count_as_absent() {
        let notice = NewNotice::parse(NoticeInput {
            image_url: Some(" "),
            link_label: Some(""),
            link_url: Some("  "),
            ..input(NoticeKind::Text, "제목", "본문")
        })
        .unwrap();
        assert!(notice.image_url().is_none() && notice.link().is_none());
    }

    #[test]
    fn every_refusal_is_a_polite_korean_sentence() {
        let cases = [
            input(NoticeKind::Text, " ", "본문"),
            input(NoticeKind::Text, "제목", "\n\u{200B}\n"),
            input(NoticeKind::Image, "제목", "본문"),
            NoticeInput {
                image_url: Some("ftp://x"),
                ..input(NoticeKind::Image, "제목", "본문")
            },
            NoticeInput {
                link_label: Some("이름만"),
                ..input(NoticeKind::Text, "제목", "본문")
            },
        ];
        for case in cases {
            let message = NewNotice::parse(case).unwrap_err().message().to_owned();
            assert!(message.contains('요') && message.ends_with('.'), "{message}");
        }
    }
}
