//! Who a member is: the name other members see, and the mobile number used to
//! reach them about a trade.

use std::fmt;

use serde::Serialize;

use super::{Invalid, ascii_digits, char_count, is_dash, single_line, text_newtype};

/// A member's display name, shown to the other side of every trade.
///
/// Rule: after [`single_line`] normalisation (and full-width digits turned
/// into ASCII), 2 to 20 characters, each of them a letter of any script
/// (Hangul syllables, Latin, kanji, ...), an ASCII digit, a space, `_`, `-` or
/// `.`, with at least one letter or digit. Emoji and symbols are refused so
/// that names stay readable in every chat bubble and can't imitate the bot's
/// own decorations or other members.
///
/// Decision: lone Hangul jamo ("ㅋㅋ", "ㄱㄴ") are *allowed*, because they
/// are letters to Korean users and nicknames often use them. The invisible
/// Hangul fillers (U+3164, U+FFA0, U+115F, U+1160) are dropped by
/// normalisation, so they can't make a blank-looking name. Combining accents
/// are fine when they compose into a letter under NFC ("é"), and refused
/// when they don't (stacks of marks, "Zalgo" text).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MemberName(String);

impl MemberName {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "이름은 글자, 숫자, 띄어쓰기와 _ - . 기호로 2~20자까지 쓸 수 있어요.";
    /// Fewest characters: one letter is too easy to confuse with someone else.
    pub const MIN_CHARS: usize = 2;
    /// Most characters: longer names break the layout of Kakao cards.
    pub const MAX_CHARS: usize = 20;

    /// Normalises and checks a name typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = ascii_digits(&single_line(input));
        if name.is_empty() {
            return Err(Invalid::new("이름을 입력해 주세요."));
        }
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&char_count(&name)) {
            return Err(Invalid::new("이름은 2~20자로 입력해 주세요."));
        }
        if !name.chars().all(is_name_char) {
            return Err(Invalid::new(
                "이름은 글자, 숫자, 띄어쓰기와 _ - . 기호로만 입력해 주세요.",
            ));
        }
        if !name.chars().any(|c| c.is_alphabetic() || c.is_ascii_digit()) {
            return Err(Invalid::new("이름에 글자나 숫자를 하나 이상 넣어 주세요."));
        }
        Ok(Self(name))
    }
}

text_newtype!(MemberName);

fn is_name_char(c: char) -> bool {
    c.is_alphabetic() || c.is_ascii_digit() || matches!(c, ' ' | '_' | '-' | '.')
}

/// A Korean mobile number, stored as its digits only ("01012345678").
///
/// Rule: 010 followed by 8 more digits (11 in all), or 011, 016, 017, 018 or
/// 019 followed by 7 or 8 more digits (10 or 11 in all). Only mobile numbers
/// are accepted because trades are arranged by text message and KakaoTalk,
/// which landlines can't receive. Any common way of writing the number is
/// accepted: spaces, hyphens, dots, parentheses, full-width digits, and the
/// country code written as "+82" or "82" (with or without the leading 0 of
/// the national number).
///
/// The number is personal data: `Debug` prints only the [masked](Self::masked)
/// form so that it can't leak into logs through `{:?}`. `Display` prints the
/// full, formatted number for the replies that need it; don't log it.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

const PHONE_MESSAGE: &str = "휴대폰 번호를 010-1234-5678 형식으로 입력해 주세요.";

/// More digits than the longest accepted spelling ("+82 010 1234 5678" has
/// 13) can't be a phone number; stop collecting there.
const MAX_RAW_DIGITS: usize = 16;

impl PhoneNumber {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "휴대폰 번호는 010으로 시작하는 11자리, 또는 011·016·017·018·019로 시작하는 10~11자리 숫자로 입력해 주세요.";

    /// Normalises and checks a mobile number typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(PHONE_MESSAGE);
        let text = ascii_digits(&single_line(input));
        let mut digits = String::with_capacity(MAX_RAW_DIGITS);
        let mut international = false;
        for c in text.chars() {
            match c {
                '0'..='9' if digits.len() < MAX_RAW_DIGITS => digits.push(c),
                '+' | '\u{FF0B}' if digits.is_empty() && !international => international = true,
                ' ' | '.' | '(' | ')' | '\u{FF08}' | '\u{FF09}' => {}
                c if is_dash(c) => {}
                _ => return Err(invalid()),
            }
        }
        // A national number starts with 0, so a leading "82" can only be
        // Korea's country code, with or without the "+".
        let national = match digits.strip_prefix("82") {
            Some(rest) if rest.starts_with('0') => rest.to_owned(),
            Some(rest) => format!("0{rest}"),
            None if international => return Err(invalid()),
            None => digits,
        };
        if is_mobile(&national) {
            Ok(Self(national))
        } else {
            Err(invalid())
        }
    }

    /// Digits only ("01012345678"): the form to store and compare.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The digits as an owned `String`, without copying.
    pub fn into_inner(self) -> String {
        self.0
    }

    /// The usual written form, "010-1234-5678" or "011-123-4567", for people.
    pub fn formatted(&self) -> String {
        let (head, middle, tail) = self.blocks();
        format!("{head}-{middle}-{tail}")
    }

    /// "010-****-5678": enough for a member to recognise their own number
    /// (and for logs) without exposing it.
    pub fn masked(&self) -> String {
        let (head, middle, tail) = self.blocks();
        format!("{head}-{}-{tail}", "*".repeat(middle.len()))
    }

    /// Prefix, middle and last-four blocks. Every stored number is 10 or 11
    /// ASCII digits, so these byte slices are always in bounds.
    fn blocks(&self) -> (&str, &str, &str) {
        let digits = self.0.as_str();
        let tail_start = digits.len() - 4;
        (&digits[..3], &digits[3..tail_start], &digits[tail_start..])
    }
}

fn is_mobile(digits: &str) -> bool {
    let prefix = digits.get(..3);
    match digits.len() {
        11 => matches!(prefix, Some("010" | "011" | "016" | "017" | "018" | "019")),
        10 => matches!(prefix, Some("011" | "016" | "017" | "018" | "019")),
        _ => false,
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.formatted())
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

impl AsRef<str> for PhoneNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PhoneNumber {
    type Err = Invalid;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::nasty_inputs;
    use super::*;

    fn name(input: &str) -> String {
        MemberName::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
            .into_inner()
    }

    fn name_error(input: &str) -> String {
        match MemberName::parse(input) {
            Ok(name) => panic!("{input:?} accepted as {name:?}"),
            Err(e) => e.message().to_owned(),
        }
    }

    fn phone(input: &str) -> String {
        PhoneNumber::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
            .into_inner()
    }

    fn phone_is_refused(input: &str) {
        match PhoneNumber::parse(input) {
            Ok(number) => panic!("{input:?} accepted as {number:?}"),
            Err(e) => assert_eq!(e.message(), PHONE_MESSAGE),
        }
    }

    #[test]
    fn a_korean_name_is_accepted() {
        assert_eq!(name("홍길동"), "홍길동");
    }

    #[test]
    fn latin_names_with_spaces_digits_and_allowed_symbols_are_accepted() {
        assert_eq!(name("Kim Minsu"), "Kim Minsu");
        assert_eq!(name("jane_doe-99.k"), "jane_doe-99.k");
        assert_eq!(name("José"), "José");
        assert_eq!(name("山田 太郎"), "山田 太郎");
    }

    #[test]
    fn a_name_is_trimmed_and_its_inner_spaces_collapsed() {
        assert_eq!(name("  홍   길동 \t"), "홍 길동");
    }

    #[test]
    fn decomposed_hangul_in_a_name_is_composed() {
        assert_eq!(name("\u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}"), "한글");
    }

    #[test]
    fn full_width_digits_in_a_name_become_ascii() {
        assert_eq!(name("민수１２"), "민수12");
    }

    #[test]
    fn lone_hangul_jamo_are_allowed_in_a_name() {
        assert_eq!(name("ㅋㅋ"), "ㅋㅋ");
    }

    #[test]
    fn an_empty_name_asks_for_a_name() {
        assert_eq!(name_error(""), "이름을 입력해 주세요.");
        assert_eq!(name_error(" \u{200B}\u{3164} "), "이름을 입력해 주세요.");
    }

    #[test]
    fn a_name_of_two_to_twenty_korean_characters_is_accepted() {
        assert_eq!(name("홍길"), "홍길");
        let twenty = "가".repeat(20);
        assert_eq!(twenty.len(), 60, "20 Hangul syllables are 60 bytes");
        assert_eq!(name(&twenty), twenty);
    }

    #[test]
    fn a_name_of_one_or_twenty_one_characters_is_refused() {
        assert_eq!(name_error("홍"), "이름은 2~20자로 입력해 주세요.");
        assert_eq!(name_error(&"가".repeat(21)), "이름은 2~20자로 입력해 주세요.");
        assert_eq!(name_error(&"a".repeat(21)), "이름은 2~20자로 입력해 주세요.");
    }

    #[test]
    fn emoji_and_symbols_in_a_name_are_refused() {
        let expected = "이름은 글자, 숫자, 띄어쓰기와 _ - . 기호로만 입력해 주세요.";
        for input in [
            "홍길동😀",
            "홍길동!",
            "<b>홍</b>",
            "홍@길동",
            "a\u{301}\u{301}\u{301}",
            "홍★",
        ] {
            assert_eq!(name_error(input), expected, "{input:?}");
        }
    }

    #[test]
    fn a_name_made_only_of_symbols_is_refused() {
        for input in ["__", "-.-", ". ."] {
            assert_eq!(name_error(input), "이름에 글자나 숫자를 하나 이상 넣어 주세요.");
        }
    }

    #[test]
    fn member_name_displays_and_serialises_as_its_normalised_text() {
        let parsed = MemberName::parse("  홍  길동 ").unwrap();
        assert_eq!(parsed.to_string(), "홍 길동");
        assert_eq!(parsed.as_ref(), "홍 길동");
        assert_eq!(serde_json::to_string(&parsed).unwrap(), "\"홍 길동\"");
        assert_eq!("홍길동".parse::<MemberName>(), MemberName::parse("홍길동"));
    }

    #[test]
    fn every_common_way_of_writing_a_mobile_number_is_accepted() {
        for input in [
            "010-1234-5678",
            "01012345678",
            "010 1234 5678",
            "010.1234.5678",
            "(010)1234-5678",
            "(010) 1234-5678",
            "+82 10-1234-5678",
            "+821012345678",
            "82-10-1234-5678",
            "+82 010 1234 5678",
            "+82-010-1234-5678",
            "０１０－１２３４－５６７８",
            "０１０-１２３４-５６７８",
            "   010-1234-5678   ",
            "010–1234–5678",
            "\u{200B}010-1234-5678\u{FEFF}",
        ] {
            assert_eq!(phone(input), "01012345678", "{input:?}");
        }
    }

    #[test]
    fn old_mobile_prefixes_are_accepted_with_ten_or_eleven_digits() {
        for prefix in ["011", "016", "017", "018", "019"] {
            assert_eq!(phone(&format!("{prefix}-123-4567")), format!("{prefix}1234567"));
            assert_eq!(phone(&format!("{prefix}-1234-5678")), format!("{prefix}12345678"));
        }
        assert_eq!(phone("+82 11 123 4567"), "0111234567");
    }

    #[test]
    fn a_010_number_must_have_exactly_eleven_digits() {
        phone_is_refused("010-123-4567");
        phone_is_refused("010-1234-56789");
        phone_is_refused("+82 10 123 4567");
    }

    #[test]
    fn landlines_and_other_prefixes_are_refused() {
        for input in [
            "02-123-4567",
            "02-1234-5678",
            "031-123-4567",
            "070-1234-5678",
            "012-1234-5678",
            "015-123-4567",
            "1588-1234",
        ] {
            phone_is_refused(input);
        }
    }

    #[test]
    fn letters_and_foreign_country_codes_in_a_phone_number_are_refused() {
        for input in [
            "010-1234-567a",
            "공일공-1234-5678",
            "tel:01012345678",
            "+1 010 1234 5678",
            "+81-10-1234-5678",
            "010+1234+5678",
            "++82 10 1234 5678",
            "010/1234/5678",
            "010_1234_5678",
        ] {
            phone_is_refused(input);
        }
    }

    #[test]
    fn too_short_too_long_and_empty_phone_numbers_are_refused() {
        for input in [
            "",
            " ",
            "010",
            "0101234567",
            "010123456789",
            "+82",
            "82",
            "+82 0",
            &"0".repeat(10_000),
            &"9".repeat(100_000),
            &"010".repeat(1_000),
        ] {
            phone_is_refused(input);
        }
    }

    #[test]
    fn a_phone_number_is_formatted_with_hyphens() {
        assert_eq!(
            PhoneNumber::parse("01012345678").unwrap().formatted(),
            "010-1234-5678"
        );
        assert_eq!(
            PhoneNumber::parse("0111234567").unwrap().formatted(),
            "011-123-4567"
        );
        assert_eq!(
            PhoneNumber::parse("+821012345678").unwrap().to_string(),
            "010-1234-5678"
        );
    }

    #[test]
    fn a_masked_phone_number_hides_the_middle_block_and_keeps_its_length() {
        assert_eq!(
            PhoneNumber::parse("010-1234-5678").unwrap().masked(),
            "010-****-5678"
        );
        assert_eq!(
            PhoneNumber::parse("011-123-4567").unwrap().masked(),
            "011-***-4567"
        );
    }

    #[test]
    fn debug_output_never_contains_the_full_phone_number() {
        let number = PhoneNumber::parse("010-1234-5678").unwrap();
        let debug = format!("{number:?}");
        assert_eq!(debug, "PhoneNumber(\"010-****-5678\")");
        assert!(!debug.contains("1234"));
        let nested = format!("{:?}", Some(vec![number]));
        assert!(!nested.contains("1234"));
    }

    #[test]
    fn a_phone_number_serialises_as_its_digits() {
        let number = PhoneNumber::parse("010-1234-5678").unwrap();
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"01012345678\"");
        assert_eq!(number.as_str(), "01012345678");
        assert_eq!(number.as_ref(), "01012345678");
        assert_eq!("010 1234 5678".parse::<PhoneNumber>(), Ok(number));
    }

    #[test]
    fn member_parsers_never_panic_on_adversarial_input() {
        for input in nasty_inputs() {
            if let Ok(name) = MemberName::parse(&input) {
                assert!(name.as_str().chars().all(is_name_char));
            }
            if let Ok(number) = PhoneNumber::parse(&input) {
                let _ = (number.formatted(), number.masked(), format!("{number:?}"));
            }
        }
    }
}
