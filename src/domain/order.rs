//! What happens after a sale: the parcel's tracking number.

use serde::Serialize;

use super::{Invalid, ascii_digits, is_dash, single_line, text_newtype};

/// A courier's tracking number (운송장번호), stored as digits only.
///
/// Rule: after removing spaces and hyphens (and turning full-width digits
/// into ASCII), 9 to 15 ASCII digits. Korean couriers (CJ대한통운, 우체국,
/// 한진, 롯데, 로젠, ...) all use digit-only numbers in that range; storing
/// digits only lets the buyer copy the number straight into any courier's
/// tracking page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TrackingNumber(String);

const TRACKING_EMPTY_MESSAGE: &str = "운송장 번호를 입력해 주세요.";
const TRACKING_MESSAGE: &str = "운송장 번호는 숫자 9~15자리로 입력해 주세요.";

impl TrackingNumber {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "운송장 번호는 숫자 9~15자리로 입력해 주세요(띄어쓰기와 - 는 없어도 돼요).";
    /// Fewest digits any Korean courier uses.
    pub const MIN_DIGITS: usize = 9;
    /// Most digits any Korean courier uses.
    pub const MAX_DIGITS: usize = 15;

    /// Normalises and checks a tracking number typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let digits: String = ascii_digits(&single_line(input))
            .chars()
            .filter(|&c| c != ' ' && !is_dash(c))
            .collect();
        if digits.is_empty() {
            return Err(Invalid::new(TRACKING_EMPTY_MESSAGE));
        }
        // All ASCII once checked, so the byte length is the digit count.
        if !digits.bytes().all(|b| b.is_ascii_digit())
            || !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len())
        {
            return Err(Invalid::new(TRACKING_MESSAGE));
        }
        Ok(Self(digits))
    }
}

text_newtype!(TrackingNumber);

#[cfg(test)]
mod tests {
    use super::super::testing::nasty_inputs;
    use super::*;

    fn tracking(input: &str) -> String {
        TrackingNumber::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
            .into_inner()
    }

    fn tracking_error(input: &str) -> String {
        match TrackingNumber::parse(input) {
            Ok(number) => panic!("{input:?} accepted as {number:?}"),
            Err(e) => e.message().to_owned(),
        }
    }

    #[test]
    fn a_plain_tracking_number_is_accepted() {
        assert_eq!(tracking("123456789012"), "123456789012");
    }

    #[test]
    fn spaces_hyphens_and_full_width_digits_are_removed_or_converted() {
        assert_eq!(tracking("1234-5678-9012"), "123456789012");
        assert_eq!(tracking(" 1234 5678 9012 "), "123456789012");
        assert_eq!(tracking("１２３４－５６７８－９０１２"), "123456789012");
        assert_eq!(tracking("6074\u{2013}1234\u{2013}5678"), "607412345678");
        assert_eq!(tracking("\u{200B}123456789\u{FEFF}"), "123456789");
    }

    #[test]
    fn nine_and_fifteen_digits_are_accepted() {
        assert_eq!(tracking("123456789"), "123456789");
        assert_eq!(tracking("123456789012345"), "123456789012345");
    }

    #[test]
    fn eight_and_sixteen_digits_are_refused() {
        assert_eq!(tracking_error("12345678"), TRACKING_MESSAGE);
        assert_eq!(tracking_error("1234567890123456"), TRACKING_MESSAGE);
    }

    #[test]
    fn letters_symbols_and_non_ascii_digits_are_refused() {
        for input in [
            "CJ123456789",
            "1234.5678.9012",
            "1234/5678/9012",
            "123456789😀",
            "١٢٣٤٥٦٧٨٩٠",
            "𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
            "+123456789",
            "123_456_789",
        ] {
            assert_eq!(tracking_error(input), TRACKING_MESSAGE, "{input:?}");
        }
    }

    #[test]
    fn an_empty_tracking_number_asks_for_one() {
        for input in ["", "   ", "- - -", "\u{200B}"] {
            assert_eq!(tracking_error(input), TRACKING_EMPTY_MESSAGE, "{input:?}");
        }
    }

    #[test]
    fn a_tracking_number_displays_and_serialises_as_its_digits() {
        let number = TrackingNumber::parse("1234-5678-9012").unwrap();
        assert_eq!(number.to_string(), "123456789012");
        assert_eq!(number.as_str(), "123456789012");
        assert_eq!(serde_json::to_string(&number).unwrap(), "\"123456789012\"");
    }

    #[test]
    fn huge_digit_runs_are_refused_without_panicking() {
        assert_eq!(tracking_error(&"9".repeat(1_000_000)), TRACKING_MESSAGE);
        for input in nasty_inputs() {
            if let Ok(number) = TrackingNumber::parse(&input) {
                assert!((9..=15).contains(&number.as_str().len()));
            }
        }
    }
}
