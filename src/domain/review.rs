//! What a member writes about a trade: the short optional text of a review (거래 후기).

use super::{Invalid, char_count, single_line, text_newtype};

/// A review's short text, shown on the reviewed member's profile.
///
/// Rule: [`single_line`], then 1 to 100 characters, and no web address — a review is read by everyone
/// who looks at the member, so it is no place for links (the usual way spam and phishing travel).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReviewComment(String);

impl ReviewComment {
    /// The rule in one Korean sentence, for help texts and refusals.
    pub const RULE: &str = "후기 한마디는 링크 없이 1~100자로 입력해 주세요.";
    /// Most characters kept.
    pub const MAX_CHARS: usize = 100;

    /// Normalises and checks a review's text typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = single_line(input);
        if text.is_empty() || char_count(&text) > Self::MAX_CHARS || has_link(&text) {
            return Err(Invalid::new(Self::RULE));
        }
        Ok(Self(text))
    }
}

text_newtype!(ReviewComment);

/// Whether the text holds something a messenger would turn into a link.
fn has_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    ["http://", "https://", "www.", "open.kakao.com"]
        .iter()
        .any(|marker| lower.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_comment_is_one_line_of_1_to_100_characters_without_links() {
        assert_eq!(
            ReviewComment::parse("  친절하고\n시간 약속도   잘 지키셨어요! ")
                .unwrap()
                .as_str(),
            "친절하고 시간 약속도 잘 지키셨어요!"
        );
        assert!(ReviewComment::parse(&"가".repeat(100)).is_ok());
        for bad in [
            "",
            "   ",
            "https://scam.example 로 연락",
            "WWW.example.com",
            "open.kakao.com/o/abc",
        ] {
            assert!(ReviewComment::parse(bad).is_err(), "{bad}");
        }
        assert!(ReviewComment::parse(&"가".repeat(101)).is_err());
    }
}
