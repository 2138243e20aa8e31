//! Values typed by users into KakaoTalk, parsed into types that cannot be invalid.
//!
//! Every user-entered value has its own newtype whose only constructor is a
//! `parse` function ("parse, don't validate"): once a value exists it is valid
//! and already normalised, so handlers, storage and reply templates never need
//! to check it again. The same parsers serve the Kakao validation skills
//! (which answer SUCCESS with the normalised value, or FAIL with
//! [`Invalid::message`]) and the final skills, which re-check everything
//! because a validation skill's answer can't be trusted to reach us unchanged.
//!
//! Length limits count Unicode scalar values (`char`s), never bytes: one Hangul
//! syllable takes three bytes in UTF-8, and users count letters, not bytes.
//!
//! No parser panics, whatever it is given: huge strings, huge digit runs,
//! emoji, control characters or piles of combining marks all end in either a
//! value or an [`Invalid`].

pub mod ids;
pub mod member;
pub mod order;
pub mod product;
pub mod review;

use std::borrow::Cow;

use unicode_normalization::UnicodeNormalization;

/// A rule broken by user input. The message is Korean and is shown to the user verbatim.
///
/// It is a plain message rather than an enum of reasons because its only
/// consumer is a person reading a chat bubble: each parser decides what the
/// user most needs to hear to type it right the next time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    message: Cow<'static, str>,
}

impl Invalid {
    /// Wraps a Korean, 해요체 sentence telling the user what to type instead.
    pub fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The sentence to show the user, e.g. in a validation skill's FAIL answer.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// NFC-normalise, drop control/format characters (categories Cc and Cf; whitespace controls
/// such as tab and newline become spaces instead), trim, and collapse every run of whitespace
/// into one ASCII space. For one-line fields.
///
/// Why each step:
/// - Invisible characters (controls other than whitespace, format characters
///   such as zero-width spaces and bidi overrides, and the other default
///   ignorable code points such as the Hangul fillers U+3164/U+FFA0) are
///   dropped, so that two values that look the same are the same and nobody
///   can pass a length or "not empty" rule with characters no one can see.
/// - Whitespace controls (tab, line breaks) become spaces rather than
///   vanishing, so "a\nb" stays two words.
/// - NFC makes a decomposed "ㅎ+ㅏ+ㄴ" (as some iOS/macOS keyboards send)
///   equal to the precomposed "한", and makes lengths count what users see.
pub fn single_line(input: &str) -> String {
    let visible: String = input.chars().filter(|&c| !is_invisible(c)).collect();
    let composed: String = visible.nfc().collect();
    let mut out = String::with_capacity(composed.len());
    for word in composed.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Like [`single_line`] but keeps line breaks: normalises `\r\n` and `\r` to `\n`, trims each
/// line's trailing spaces, collapses 3+ consecutive newlines to 2, trims the whole.
///
/// Every Unicode mandatory line break (`\r\n`, `\r`, `\n`, VT, FF, NEL,
/// U+2028, U+2029) becomes `\n`, because phones and PCs send different ones.
/// Inside a line every run of other whitespace becomes one ASCII space (so
/// indentation shrinks to one space), as in [`single_line`]. At most one empty
/// line is kept between paragraphs so that a description can't be stretched
/// into a wall of blank space in the chat.
pub fn multi_line(input: &str) -> String {
    let visible: String = input.chars().filter(|&c| !is_invisible(c)).collect();
    let composed: String = visible.nfc().collect();

    let mut out = String::with_capacity(composed.len());
    let mut blank_lines = 0_usize;
    for raw_line in split_lines(&composed) {
        let line = collapse_spaces(raw_line);
        let line = line.trim_end();
        if line.is_empty() {
            blank_lines += 1;
            continue;
        }
        if out.is_empty() {
            out.push_str(line.trim_start());
        } else {
            out.push('\n');
            if blank_lines > 0 {
                out.push('\n');
            }
            out.push_str(line);
        }
        blank_lines = 0;
    }
    out
}

/// Map full-width digits (U+FF10..U+FF19) to ASCII digits; leaves the rest.
///
/// Korean IMEs in full-width mode type "０１０"; numbers must not be refused
/// for a keyboard setting the user can't see.
pub(crate) fn ascii_digits(input: &str) -> String {
    input
        .chars()
        .map(|c| match c {
            '\u{FF10}'..='\u{FF19}' => char::from_u32(u32::from(c) - 0xFF10 + u32::from('0')).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Number of Unicode scalar values: the unit of every length limit.
pub(crate) fn char_count(input: &str) -> usize {
    input.chars().count()
}

/// Hyphen-like characters users (or their keyboards' autocorrect) type
/// between blocks of digits.
pub(crate) fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// Characters that render as nothing: controls that are not whitespace,
/// format characters (Cf) and the other default-ignorable code points.
fn is_invisible(c: char) -> bool {
    (c.is_control() && !c.is_whitespace())
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{115F}'..='\u{1160}'
                | '\u{17B4}'..='\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF0}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// Splits on every mandatory line break, treating `\r\n` as one break.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let current = rest?;
        match current.char_indices().find(|&(_, c)| is_line_break(c)) {
            Some((at, c)) => {
                let mut next = at + c.len_utf8();
                if c == '\r' && current[next..].starts_with('\n') {
                    next += 1;
                }
                rest = Some(&current[next..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{000B}' | '\u{000C}' | '\u{0085}' | '\u{2028}' | '\u{2029}'
    )
}

/// Replaces every run of whitespace with one ASCII space, without trimming.
fn collapse_spaces(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_space = false;
    for c in line.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// The accessors every text newtype shares: `as_str`, `into_inner`,
/// `Display`, `AsRef<str>` and `FromStr` (which is `parse`).
macro_rules! text_newtype {
    ($name:ident) => {
        impl $name {
            /// The normalised value, ready to store or show.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The normalised value as an owned `String`, without copying.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = super::Invalid;

            fn from_str(input: &str) -> Result<Self, Self::Err> {
                Self::parse(input)
            }
        }
    };
}
pub(crate) use text_newtype;

/// Inputs and generators shared by the tests of every domain module.
#[cfg(test)]
pub(crate) mod testing {
    /// Hand-picked strings that have broken parsers elsewhere.
    pub(crate) fn nasty_inputs() -> Vec<String> {
        let fixed = [
            "",
            " ",
            "\0",
            "\u{0}\u{1}\u{7f}\u{9f}",
            "\t\n\r\u{b}\u{c}",
            "\u{85}\u{2028}\u{2029}",
            "\u{200B}\u{200C}\u{200D}\u{FEFF}\u{2060}",
            "\u{202E}evil\u{202C}",
            "\u{3164}\u{3164}\u{3164}",
            "\u{115F}\u{1160}\u{FFA0}",
            "ㅋㅋ",
            "한",
            "😀",
            "👨\u{200D}👩\u{200D}👧\u{200D}👦",
            "🇰🇷",
            "e\u{301}",
            "\u{301}",
            "Z\u{335}\u{321}\u{322}\u{327}\u{31B}\u{34F}",
            "\u{10FFFF}",
            "\u{FFFD}\u{FFFE}\u{FFFF}",
            "\u{E000}\u{F8FF}",
            "\u{D7FF}\u{AC00}\u{D7A3}",
            ".",
            ",",
            "-",
            "+",
            "원",
            "₩",
            "만",
            "만만",
            "억억억",
            "0",
            "-0",
            "+0",
            "-1000",
            "1e9",
            "0x10",
            "NaN",
            "inf",
            "½",
            "¹²³",
            "٣٣٣",
            "𝟗𝟗𝟗",
            "Ⅻ",
            "1.",
            ".5",
            "1..5만",
            "1.5.5만",
            "1,,000",
            "99999999999999999999999999",
            "99999999999999999999999999원",
            "99999999999999999999999999만",
            "1.99999999999999999999999999만",
            "18446744073709551615",
            "18446744073709551616억",
            "+82",
            "82",
            "++821012345678",
            "+8+21012345678",
            "(((((",
            "010-1234-5678-9999-0000",
            "https://",
            "http://",
            "open.kakao.com",
            "open.kakao.com/o/",
            "https://open.kakao.com/o/",
            "https://open.kakao.com/o//",
            "javascript:alert(1)",
            "https://open.kakao.com/o/%00",
            "https://open.kakao.com/o/한글",
            "\\\\",
            "../../etc/passwd",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "${jndi:ldap://x}",
            "%s%s%s%n",
            "\u{FF10}\u{FF19}",
            "  \u{3000}  ",
            "\r\n\r\n\r\n",
            "a\rb\r\nc\nd",
        ];
        let mut inputs: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        inputs.extend([
            "\u{301}".repeat(20_000),
            format!("a{}", "\u{301}\u{316}".repeat(5_000)),
            "9".repeat(100_000),
            "0".repeat(100_000) + "1",
            "１".repeat(5_000),
            "-".repeat(10_000),
            ",".repeat(10_000),
            "가".repeat(100_000),
            "a".repeat(200_000),
            " ".repeat(100_000),
            "\n".repeat(50_000),
            "\r\n".repeat(20_000),
            "😀".repeat(10_000),
            "\u{200B}".repeat(50_000),
            "만".repeat(5_000),
            "1만".repeat(5_000),
            "1,000".repeat(2_000),
            "1.".repeat(5_000),
            format!("1.{}만", "0".repeat(50_000)),
            format!("1.{}1만", "0".repeat(50_000)),
            format!("https://open.kakao.com/o/{}", "a".repeat(10_000)),
            format!("https://open.kakao.com/o/abc?{}", "x".repeat(10_000)),
            "+82".repeat(1_000),
            "010".repeat(10_000),
        ]);
        inputs
    }

    /// xorshift64*: good enough to spread inputs, fully reproducible.
    fn generator(seed: u64) -> impl FnMut() -> u64 {
        let mut state = seed | 1;
        move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
    }

    /// Valid inputs of every type with a few random edits each (insertions
    /// of tricky tokens, deletions, duplications), so that the parsers are
    /// exercised right at the edge between accepted and refused.
    pub(crate) fn mutated_inputs(seed: u64, count: usize) -> Vec<String> {
        const VALID: &[&str] = &[
            "홍길동",
            "Kim Minsu",
            "010-1234-5678",
            "+82 10-1234-5678",
            "(011)123-4567",
            "12,000원",
            "1.5만원",
            "3만 5천원",
            "1억 2천만",
            "나눔",
            "강남역 2번 출구",
            "https://open.kakao.com/o/gAbC123",
            "open.kakao.com/o/x9/?a=b#c",
            "1234-5678-9012",
        ];
        const EDITS: &[&str] = &[
            "", " ", "-", ".", ",", "/", "?", "#", "@", ":", "+", "0", "9", "82", "만", "원", "a", "가",
            "\u{200B}", "\u{301}", "\u{FF10}", "\n", "evil.com", "//", "%2F", "😀",
        ];
        let mut next = generator(seed);
        (0..count)
            .map(|_| {
                let pick = |roll: u64, len: usize| usize::try_from(roll % len as u64).unwrap_or(0);
                let mut chars: Vec<char> = VALID[pick(next(), VALID.len())].chars().collect();
                for _ in 0..=(next() % 3) {
                    let at = pick(next(), chars.len() + 1);
                    match next() % 4 {
                        0 if at < chars.len() => {
                            chars.remove(at);
                        }
                        1 if at < chars.len() => {
                            let c = chars[at];
                            chars.insert(at, c);
                        }
                        _ => {
                            let edit = EDITS[pick(next(), EDITS.len())];
                            for (offset, c) in edit.chars().enumerate() {
                                chars.insert(at + offset, c);
                            }
                        }
                    }
                }
                chars.into_iter().collect()
            })
            .collect()
    }

    /// Deterministic pseudo-random strings (a tiny stand-in for proptest,
    /// which is not a dependency): a mix of tokens that valid inputs are made
    /// of, separators, tricky characters and arbitrary scalar values.
    pub(crate) fn random_inputs(seed: u64, count: usize) -> Vec<String> {
        const TOKENS: &[&str] = &[
            "0",
            "1",
            "5",
            "9",
            "010",
            "011",
            "1234",
            "5678",
            "123",
            "82",
            "+",
            "+82",
            "-",
            ".",
            ",",
            " ",
            "(",
            ")",
            "만",
            "천",
            "백",
            "십",
            "억",
            "원",
            "₩",
            "1.5",
            ",000",
            "무료",
            "나눔",
            "https://",
            "http://",
            "open.kakao.com",
            "/o/",
            "/s/",
            "/",
            "?",
            "#",
            "@",
            ":",
            ":443",
            "evil.com",
            "gAbC123",
            "가",
            "한",
            "ㅋ",
            "a",
            "Z",
            "_",
            "\n",
            "\r",
            "\t",
            "\u{3000}",
            "\u{200B}",
            "\u{200D}",
            "\u{FEFF}",
            "\u{202E}",
            "\u{0}",
            "\u{7}",
            "\u{301}",
            "\u{1100}",
            "\u{1161}",
            "\u{11AB}",
            "\u{3164}",
            "😀",
            "\u{FF10}",
            "\u{FF15}",
            "\u{FF0D}",
            "\u{10FFFF}",
        ];
        let mut next = generator(seed);
        (0..count)
            .map(|_| {
                let pieces = next() % 24;
                let mut s = String::new();
                for _ in 0..pieces {
                    let roll = next();
                    if roll.is_multiple_of(5) {
                        let scalar = u32::try_from((roll >> 8) % 0x11_0000).unwrap_or(0);
                        s.push(char::from_u32(scalar).unwrap_or('\u{FFFD}'));
                    } else {
                        let index = usize::try_from((roll >> 8) % TOKENS.len() as u64).unwrap_or(0);
                        s.push_str(TOKENS[index]);
                    }
                }
                s
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::member::{MemberName, PhoneNumber};
    use super::order::TrackingNumber;
    use super::product::{Description, OpenChatUrl, Price, ProductName, TradeLocation};
    use super::testing::{mutated_inputs, nasty_inputs, random_inputs};
    use super::*;

    #[test]
    fn invalid_displays_its_message_verbatim() {
        let invalid = Invalid::new("이름을 입력해 주세요.");
        assert_eq!(invalid.message(), "이름을 입력해 주세요.");
        assert_eq!(invalid.to_string(), "이름을 입력해 주세요.");
        assert_eq!(Invalid::new(String::from("동적")).message(), "동적");
    }

    #[test]
    fn single_line_trims_and_collapses_all_whitespace_into_one_space() {
        assert_eq!(
            single_line("  안녕 \t 하세요\n\n 반가워요  "),
            "안녕 하세요 반가워요"
        );
        assert_eq!(single_line("a\u{3000}\u{00A0}b"), "a b");
        assert_eq!(single_line("   "), "");
    }

    #[test]
    fn single_line_drops_invisible_characters() {
        assert_eq!(single_line("a\u{200B}b\u{FEFF}c\u{0}d\u{7}"), "abcd");
        assert_eq!(single_line("\u{202E}abc\u{202C}"), "abc");
        assert_eq!(single_line("\u{3164}\u{3164}"), "");
        assert_eq!(single_line("\u{AD}가\u{200D}"), "가");
    }

    #[test]
    fn single_line_composes_decomposed_hangul_and_accents() {
        assert_eq!(single_line("\u{1112}\u{1161}\u{11AB}"), "한");
        assert_eq!(single_line("e\u{301}"), "\u{E9}");
        // A zero-width character between a letter and its accent must not
        // keep them apart.
        assert_eq!(single_line("e\u{200B}\u{301}"), "\u{E9}");
    }

    #[test]
    fn multi_line_normalises_every_line_break_to_newline() {
        assert_eq!(multi_line("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(multi_line("a\u{2028}b\u{85}c"), "a\nb\nc");
    }

    #[test]
    fn multi_line_trims_trailing_spaces_and_collapses_runs_inside_lines() {
        assert_eq!(multi_line("a   b  \n  c\t\td  "), "a b\n c d");
    }

    #[test]
    fn multi_line_keeps_at_most_one_blank_line_between_paragraphs() {
        assert_eq!(multi_line("a\n\nb"), "a\n\nb");
        assert_eq!(multi_line("a\n\n\n\n\nb"), "a\n\nb");
        assert_eq!(multi_line("a\n \n\t\n  \nb"), "a\n\nb");
        assert_eq!(multi_line("a\r\n\r\n\r\n\r\nb"), "a\n\nb");
    }

    #[test]
    fn multi_line_trims_the_whole_text() {
        assert_eq!(multi_line("\n\n  첫 줄\n둘째 줄\n\n\n"), "첫 줄\n둘째 줄");
        assert_eq!(multi_line(" \r\n \n "), "");
    }

    #[test]
    fn ascii_digits_maps_only_full_width_digits() {
        assert_eq!(ascii_digits("０１２３４５６７８９"), "0123456789");
        assert_eq!(ascii_digits("가１a－"), "가1a－");
    }

    #[test]
    fn normalisers_are_idempotent_on_every_tricky_input() {
        for input in nasty_inputs().into_iter().chain(random_inputs(7, 3_000)) {
            let once = single_line(&input);
            assert_eq!(single_line(&once), once, "single_line({input:?})");
            assert!(!once.starts_with(' ') && !once.ends_with(' '));
            assert!(!once.contains("  ") && !once.contains('\n'));
            let once = multi_line(&input);
            assert_eq!(multi_line(&once), once, "multi_line({input:?})");
            assert!(!once.contains("\n\n\n") && !once.contains('\r'));
        }
    }

    /// Calls every parser on every tricky input: none may panic, and every
    /// accepted value must parse back to itself from its stored form.
    #[test]
    fn no_parser_panics_and_every_accepted_value_round_trips() {
        let inputs = nasty_inputs()
            .into_iter()
            .chain(random_inputs(0x5EED, 20_000))
            .chain(random_inputs(42, 20_000))
            .chain(mutated_inputs(1, 20_000));
        for input in inputs {
            if let Ok(name) = MemberName::parse(&input) {
                assert_eq!(MemberName::parse(name.as_str()).as_ref(), Ok(&name));
                assert!((2..=20).contains(&char_count(name.as_str())));
            }
            if let Ok(phone) = PhoneNumber::parse(&input) {
                assert_eq!(PhoneNumber::parse(phone.as_str()).as_ref(), Ok(&phone));
                assert_eq!(PhoneNumber::parse(&phone.formatted()).as_ref(), Ok(&phone));
                assert_eq!(phone.masked().len(), phone.formatted().len());
            }
            if let Ok(name) = ProductName::parse(&input) {
                assert_eq!(ProductName::parse(name.as_str()).as_ref(), Ok(&name));
                assert!((1..=30).contains(&char_count(name.as_str())));
            }
            if let Ok(price) = Price::parse(&input) {
                assert_eq!(Price::parse(&price.display()), Ok(price), "{input:?}");
                assert_eq!(Price::parse(&price.won().to_string()), Ok(price));
                assert_eq!(Price::from_won(price.won()), Ok(price));
            }
            if let Ok(description) = Description::parse(&input) {
                let again = Description::parse(description.as_str());
                assert_eq!(again.as_ref(), Ok(&description));
                assert!((1..=400).contains(&char_count(description.as_str())));
            }
            if let Ok(location) = TradeLocation::parse(&input) {
                assert_eq!(TradeLocation::parse(location.as_str()).as_ref(), Ok(&location));
                assert!((2..=30).contains(&char_count(location.as_str())));
            }
            if let Ok(url) = OpenChatUrl::parse(&input) {
                assert_eq!(OpenChatUrl::parse(url.as_str()).as_ref(), Ok(&url));
                // Independent oracle: what was typed really starts with the
                // host and path (any scheme prefix aside).
                let typed = single_line(&input).to_ascii_lowercase();
                let typed = typed
                    .strip_prefix("https://")
                    .or_else(|| typed.strip_prefix("http://"))
                    .unwrap_or(&typed);
                assert!(typed.starts_with("open.kakao.com/o/"), "{input:?}");
                let code_and_rest = &typed["open.kakao.com/o/".len()..];
                assert!(code_and_rest.starts_with(&url.code().to_ascii_lowercase()));
            }
            if let Ok(tracking) = TrackingNumber::parse(&input) {
                assert_eq!(TrackingNumber::parse(tracking.as_str()).as_ref(), Ok(&tracking));
                assert!(tracking.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }

    #[test]
    fn every_refusal_message_is_a_polite_korean_sentence() {
        for input in nasty_inputs().into_iter().chain(random_inputs(99, 2_000)) {
            let refusals = [
                MemberName::parse(&input).err(),
                PhoneNumber::parse(&input).err(),
                ProductName::parse(&input).err(),
                Price::parse(&input).err(),
                Description::parse(&input).err(),
                TradeLocation::parse(&input).err(),
                OpenChatUrl::parse(&input).err(),
                TrackingNumber::parse(&input).err(),
            ];
            for invalid in refusals.into_iter().flatten() {
                let message = invalid.message();
                assert!(message.contains('요'), "not 해요체: {message}");
                assert!(message.ends_with('.') || message.ends_with(')'), "{message}");
            }
        }
    }
}
