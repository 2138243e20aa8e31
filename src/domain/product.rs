//! What is being sold: its name, price and description, where to meet, and
//! the open chat room where buyer and seller talk.

use std::fmt;

use serde::Serialize;

use super::{Invalid, ascii_digits, char_count, is_dash, multi_line, single_line, text_newtype};

/// The title of a listing, shown in lists and cards.
///
/// Rule: [`single_line`], then 1 to 30 characters. Any character is allowed
/// (emoji sell things too); the limit keeps titles from being cut off in
/// Kakao list cards.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct ProductName(String);

impl ProductName {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "상품명은 1~30자로 입력해 주세요.";
    /// Most characters that fit a Kakao list card title.
    pub const MAX_CHARS: usize = 30;

    /// Normalises and checks a product name typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let name = single_line(input);
        if name.is_empty() {
            return Err(Invalid::new("상품명을 입력해 주세요."));
        }
        if char_count(&name) > Self::MAX_CHARS {
            return Err(Invalid::new("상품명은 30자 이내로 입력해 주세요."));
        }
        Ok(Self(name))
    }
}

text_newtype!(ProductName);

/// An asking price in whole Korean won; 0 means a free giveaway (나눔).
///
/// Rule: 0 to 1,000,000,000 won (10억). The cap catches typos (an extra
/// zero or two) and keeps every price far from integer limits; there are no
/// fractions of a won. Prices are written the way Koreans write them:
/// "12000", "12,000원", "12 000 원", "1만원", "1.5만", "3만 5천원", "2천원",
/// "₩12,000", full-width digits, and "무료"/"나눔"/"무료나눔" for 0.
///
/// Decisions: a decimal point is allowed only right before a unit (만, 천,
/// ...) and only if the result is a whole number of won ("1.5만" = 15,000,
/// "12.5" is refused). Units must come in descending order and each part
/// must be smaller than the unit before it ("3만 5천" and "1억 2천만" are
/// fine, "3천 5천" and "3만 15000" are refused as probable typos). A unit
/// without a number means one of it ("만원" = 10,000, "천만원" =
/// 10,000,000). Digit groups separated by "," or " " must have three digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Price(u32);

const PRICE_EMPTY_MESSAGE: &str = "가격을 입력해 주세요. (예: 12000, 1만 5천원, 나눔)";
const PRICE_FORMAT_MESSAGE: &str = "가격은 숫자로 입력해 주세요. (예: 12000, 1만 5천원, 나눔)";
const PRICE_FRACTION_MESSAGE: &str = "가격은 원 단위의 정수로 입력해 주세요. (예: 12000, 1.5만원)";
const PRICE_RANGE_MESSAGE: &str = "가격은 0원부터 10억 원까지 입력할 수 있어요.";

/// Words that mean "free": giveaways are listed as 나눔.
const FREE_WORDS: [&str; 4] = ["무료", "나눔", "무료나눔", "공짜"];

impl Price {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "가격은 0원부터 10억 원까지 숫자로 입력해 주세요(예: 12000, 1만 5천원, 나눔).";
    /// The highest accepted price, 10억 원; anything above is almost surely a typo.
    pub const MAX_WON: i64 = 1_000_000_000;
    /// A free giveaway (나눔).
    pub const FREE: Price = Price(0);

    /// Reads a price typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = ascii_digits(&single_line(input)).replace('\u{FF0C}', ",");
        if text.is_empty() {
            return Err(Invalid::new(PRICE_EMPTY_MESSAGE));
        }
        let compact: String = text.chars().filter(|&c| c != ' ').collect();
        if FREE_WORDS.contains(&compact.as_str()) {
            return Ok(Self::FREE);
        }
        let mut chars = compact.chars();
        if chars.next().is_some_and(is_dash) && chars.any(|c| c.is_ascii_digit()) {
            return Err(Invalid::new(PRICE_RANGE_MESSAGE));
        }
        match amount(&text) {
            Ok(won) => i64::try_from(won)
                .map_err(|_| Invalid::new(PRICE_RANGE_MESSAGE))
                .and_then(Self::from_won),
            Err(AmountError::Format) => Err(Invalid::new(PRICE_FORMAT_MESSAGE)),
            Err(AmountError::Fraction) => Err(Invalid::new(PRICE_FRACTION_MESSAGE)),
            Err(AmountError::TooLarge) => Err(Invalid::new(PRICE_RANGE_MESSAGE)),
        }
    }

    /// Checks a price read back from storage, which may have been edited by
    /// hand or written by an older version with other rules.
    pub fn from_won(won: i64) -> Result<Self, Invalid> {
        if (0..=Self::MAX_WON).contains(&won) {
            u32::try_from(won)
                .map(Self)
                .map_err(|_| Invalid::new(PRICE_RANGE_MESSAGE))
        } else {
            Err(Invalid::new(PRICE_RANGE_MESSAGE))
        }
    }

    /// The price in won, for storage and arithmetic.
    pub fn won(self) -> i64 {
        i64::from(self.0)
    }

    /// "12,000원": how Koreans read prices, with thousands separators.
    pub fn display(self) -> String {
        crate::present::won(self.won())
    }
}

impl fmt::Display for Price {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

impl std::str::FromStr for Price {
    type Err = Invalid;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AmountError {
    /// Not a way of writing an amount.
    Format,
    /// A decimal that isn't a whole number of won.
    Fraction,
    /// Bigger than any integer we compute with.
    TooLarge,
}

/// A number as typed: whole part plus the digits after a decimal point
/// (trailing zeros removed).
struct Number {
    whole: u64,
    fraction: String,
    has_point: bool,
}

impl Number {
    const ONE: Number = Number {
        whole: 1,
        fraction: String::new(),
        has_point: false,
    };

    /// `self × 10^exponent`, if that is a whole number.
    fn scaled(&self, exponent: u32) -> Result<u64, AmountError> {
        let places = u32::try_from(self.fraction.len()).map_err(|_| AmountError::Fraction)?;
        if places > exponent {
            return Err(AmountError::Fraction);
        }
        // At most 8 digits (the exponent of 억), so this parse can't fail.
        let fraction: u64 = if self.fraction.is_empty() {
            0
        } else {
            self.fraction.parse().map_err(|_| AmountError::Format)?
        };
        self.whole
            .checked_mul(10_u64.pow(exponent))
            .and_then(|whole| whole.checked_add(fraction * 10_u64.pow(exponent - places)))
            .ok_or(AmountError::TooLarge)
    }
}

/// The power of ten a Korean unit character stands for. 만 and 억 are the
/// "big" units that multiply everything written before them.
fn unit_exponent(c: char) -> Option<u32> {
    match c {
        '십' => Some(1),
        '백' => Some(2),
        '천' => Some(3),
        '만' => Some(4),
        '억' => Some(8),
        _ => None,
    }
}

const FIRST_BIG_UNIT: u32 = 4;

/// Reads an amount written with digits and Korean units, e.g. "1억 2천만",
/// "3만 5천원", "12,000원". Spaces in `text` are single ASCII spaces.
fn amount(text: &str) -> Result<u64, AmountError> {
    let chars: Vec<char> = text.chars().collect();
    let mut cursor = Cursor { chars: &chars, at: 0 };
    cursor.skip_spaces();
    if matches!(cursor.peek(), Some('₩' | '\u{FFE6}')) {
        cursor.at += 1;
    }

    let mut total: u64 = 0;
    // The part written since the last big unit (만, 억), in won.
    let mut section: u64 = 0;
    let mut last_big: Option<u32> = None;
    let mut last_small: Option<u32> = None;
    let mut read_anything = false;
    loop {
        cursor.skip_spaces();
        if cursor.at_end_of_amount()? {
            break;
        }
        let number = if cursor.peek().is_some_and(|c| c.is_ascii_digit()) {
            Some(cursor.number()?)
        } else {
            None
        };
        cursor.skip_spaces();
        read_anything = true;
        match cursor.peek().and_then(unit_exponent) {
            Some(exponent) if exponent >= FIRST_BIG_UNIT => {
                cursor.at += 1;
                if last_big.is_some_and(|last| exponent >= last) {
                    return Err(AmountError::Format);
                }
                let head = match number {
                    Some(number) => number.scaled(exponent)?,
                    None if section == 0 => 10_u64.pow(exponent),
                    None => 0,
                };
                let value = section
                    .checked_mul(10_u64.pow(exponent))
                    .and_then(|v| v.checked_add(head))
                    .ok_or(AmountError::TooLarge)?;
                if last_big.is_some_and(|last| value >= 10_u64.pow(last)) {
                    return Err(AmountError::Format);
                }
                total = total.checked_add(value).ok_or(AmountError::TooLarge)?;
                section = 0;
                last_small = None;
                last_big = Some(exponent);
            }
            Some(exponent) => {
                cursor.at += 1;
                if last_small.is_some_and(|last| exponent >= last) {
                    return Err(AmountError::Format);
                }
                let value = number.as_ref().unwrap_or(&Number::ONE).scaled(exponent)?;
                section = section.checked_add(value).ok_or(AmountError::TooLarge)?;
                last_small = Some(exponent);
            }
            None => {
                // A bare number: the last part of the amount.
                let Some(number) = number else {
                    return Err(AmountError::Format);
                };
                if number.has_point {
                    return Err(AmountError::Fraction);
                }
                if last_small.is_some_and(|last| number.whole >= 10_u64.pow(last)) {
                    return Err(AmountError::Format);
                }
                section = section.checked_add(number.whole).ok_or(AmountError::TooLarge)?;
                cursor.skip_spaces();
                if !cursor.at_end_of_amount()? {
                    return Err(AmountError::Format);
                }
                break;
            }
        }
    }
    if !read_anything {
        return Err(AmountError::Format);
    }
    if last_big.is_some_and(|last| section >= 10_u64.pow(last)) {
        return Err(AmountError::Format);
    }
    total.checked_add(section).ok_or(AmountError::TooLarge)
}

struct Cursor<'a> {
    chars: &'a [char],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at.checked_add(offset)?).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(' ') {
            self.at += 1;
        }
    }

    /// True at the end of the text or at a final "원" (consumed); an error if
    /// "원" is followed by anything.
    fn at_end_of_amount(&mut self) -> Result<bool, AmountError> {
        match self.peek() {
            None => Ok(true),
            Some('원') => {
                self.at += 1;
                self.skip_spaces();
                if self.peek().is_some() {
                    Err(AmountError::Format)
                } else {
                    Ok(true)
                }
            }
            Some(_) => Ok(false),
        }
    }

    /// Reads `12`, `12,000`, `12 000`, `1.5` or `1,000.25`; the cursor is
    /// on a digit.
    fn number(&mut self) -> Result<Number, AmountError> {
        let mut whole: u64 = 0;
        let first_group = self.digits(&mut whole)?;
        // Thousands groups only follow a first group of one to three digits,
        // and all use the same separator.
        if first_group <= 3 {
            let mut separator = None;
            while let Some(c) = self.peek().filter(|&c| c == ',' || c == ' ') {
                if separator.is_some_and(|s| s != c) || !self.three_digit_group_follows() {
                    break;
                }
                separator = Some(c);
                self.at += 1;
                self.digits(&mut whole)?;
            }
        }

        let mut fraction = String::new();
        let has_point = self.peek() == Some('.');
        if has_point {
            self.at += 1;
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(AmountError::Format);
            }
            while let Some(digit) = self.peek().filter(char::is_ascii_digit) {
                fraction.push(digit);
                self.at += 1;
            }
            let significant = fraction.trim_end_matches('0').len();
            fraction.truncate(significant);
        }
        Ok(Number {
            whole,
            fraction,
            has_point,
        })
    }

    /// Whether the separator under the cursor is followed by exactly three
    /// digits, i.e. it separates thousands.
    fn three_digit_group_follows(&self) -> bool {
        (1..=3).all(|i| self.peek_at(i).is_some_and(|c| c.is_ascii_digit()))
            && !self.peek_at(4).is_some_and(|c| c.is_ascii_digit())
    }

    /// Appends a run of digits to `whole`; returns how many there were.
    fn digits(&mut self, whole: &mut u64) -> Result<usize, AmountError> {
        let mut count = 0;
        while let Some(digit) = self.peek().and_then(|c| c.to_digit(10)) {
            *whole = whole
                .checked_mul(10)
                .and_then(|w| w.checked_add(u64::from(digit)))
                .ok_or(AmountError::TooLarge)?;
            self.at += 1;
            count += 1;
        }
        Ok(count)
    }
}

/// What the seller says about the item: condition, included parts, ...
///
/// Rule: [`multi_line`], then 1 to 400 characters. Line breaks are kept
/// because sellers write lists; the limit keeps the description readable in
/// one chat bubble.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Description(String);

impl Description {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "상품 설명은 1~400자로 입력해 주세요.";
    /// Most characters that still read comfortably in one chat bubble.
    pub const MAX_CHARS: usize = 400;

    /// Normalises and checks a description typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = multi_line(input);
        if text.is_empty() {
            return Err(Invalid::new("상품 설명을 입력해 주세요."));
        }
        if char_count(&text) > Self::MAX_CHARS {
            return Err(Invalid::new("상품 설명은 400자 이내로 입력해 주세요."));
        }
        Ok(Self(text))
    }
}

text_newtype!(Description);

/// Where buyer and seller meet, e.g. "강남역 2번 출구".
///
/// Rule: [`single_line`], then 2 to 30 characters: one character can't name
/// a place, and a place that needs more than 30 is better explained in the
/// chat.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TradeLocation(String);

impl TradeLocation {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str = "거래 장소는 2~30자로 입력해 주세요(예: 강남역 2번 출구).";
    /// Fewest characters that can name a place.
    pub const MIN_CHARS: usize = 2;
    /// Most characters that fit a card line.
    pub const MAX_CHARS: usize = 30;

    /// Normalises and checks a meeting place typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let place = single_line(input);
        if place.is_empty() {
            return Err(Invalid::new("거래 장소를 입력해 주세요."));
        }
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&char_count(&place)) {
            return Err(Invalid::new("거래 장소는 2~30자로 입력해 주세요."));
        }
        Ok(Self(place))
    }
}

text_newtype!(TradeLocation);

/// A KakaoTalk open chat room link, where buyer and seller talk.
///
/// Rule: host exactly `open.kakao.com` and path exactly `/o/<code>` with a
/// code of 1 to 40 ASCII letters and digits. The link is shown to other
/// members as a button, so anything that could lead elsewhere (look-alike
/// hosts, `user@host` tricks, ports, other paths, other schemes such as
/// `javascript:`) is refused. "http://", no scheme at all, surrounding spaces,
/// a trailing slash, a query string and a fragment are tolerated; the stored
/// form is always `https://open.kakao.com/o/<code>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OpenChatUrl(String);

const OPEN_CHAT_MESSAGE: &str = "카카오톡 오픈채팅 링크(https://open.kakao.com/o/...)를 입력해 주세요.";
const OPEN_CHAT_HOST: &str = "open.kakao.com";
const OPEN_CHAT_PREFIX: &str = "https://open.kakao.com/o/";

impl OpenChatUrl {
    /// The rule in one Korean sentence, for help texts.
    pub const RULE: &str =
        "오픈채팅 링크는 https://open.kakao.com/o/ 로 시작하는 카카오톡 오픈채팅방 주소로 입력해 주세요.";
    /// Longest room code accepted; real codes are about 8 characters.
    pub const MAX_CODE_CHARS: usize = 40;

    /// Normalises and checks an open chat link typed or pasted by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let invalid = || Invalid::new(OPEN_CHAT_MESSAGE);
        let text = single_line(input);
        if text.is_empty() || text.contains(' ') {
            return Err(invalid());
        }
        let rest = strip_prefix_ignoring_ascii_case(&text, "https://")
            .or_else(|| strip_prefix_ignoring_ascii_case(&text, "http://"))
            .unwrap_or(&text);
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        let host_and_path = &rest[..end];
        let (host, path) = host_and_path.split_at(host_and_path.find('/').unwrap_or(end));
        if !host.eq_ignore_ascii_case(OPEN_CHAT_HOST) {
            return Err(invalid());
        }
        let code = path.strip_prefix("/o/").ok_or_else(invalid)?;
        let code = code.strip_suffix('/').unwrap_or(code);
        if code.is_empty()
            || code.len() > Self::MAX_CODE_CHARS
            || !code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Err(invalid());
        }
        Ok(Self(format!("{OPEN_CHAT_PREFIX}{code}")))
    }

    /// The room code after `/o/`.
    pub fn code(&self) -> &str {
        &self.0[OPEN_CHAT_PREFIX.len()..]
    }
}

text_newtype!(OpenChatUrl);

/// What a member looks for in the market: a search, and a keyword they watch (키워드 알림), which is a
/// search run on every new product, so the two are read by one parser and match the same way.
///
/// Rule: [`single_line`], then 1 to 30 characters. Longer text is refused rather than cut: a cut query
/// would find things the user did not ask for. Any character is allowed, and `%`, `_` and `\` mean
/// themselves (the stores match literally).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SearchText(String);

impl SearchText {
    /// The rule in one Korean sentence; also the refusal.
    pub const RULE: &str = "검색어는 1~30자로 입력해 주세요.";
    /// Most characters of a query or keyword.
    pub const MAX_CHARS: usize = 30;

    /// Normalises and checks a query typed by the user.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        let text = single_line(input);
        if text.is_empty() || char_count(&text) > Self::MAX_CHARS {
            return Err(Invalid::new(Self::RULE));
        }
        Ok(Self(text))
    }

    /// What is compared with a product's stored search text (name and description, lower-cased the
    /// same way), so `IPHONE` finds `iPhone`.
    pub fn needle(&self) -> String {
        self.0.to_lowercase()
    }
}

text_newtype!(SearchText);

/// A keyword a member watches (키워드 알림): a [`SearchText`] under its own name, so the refusal speaks
/// of a keyword rather than a search.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Keyword(SearchText);

impl Keyword {
    /// The rule in one Korean sentence; also the refusal.
    pub const RULE: &str = "키워드는 1~30자로 입력해 주세요. (예: 아이폰, 캠핑 의자)";

    /// Normalises and checks a keyword typed by the user, with the rule of a search.
    pub fn parse(input: &str) -> Result<Self, Invalid> {
        SearchText::parse(input)
            .map(Self)
            .map_err(|_| Invalid::new(Self::RULE))
    }

    /// The keyword as typed (normalised), shown back in the member's list.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// What new products' search text is compared with; two keywords with one needle are one keyword.
    pub fn needle(&self) -> String {
        self.0.needle()
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn strip_prefix_ignoring_ascii_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::super::testing::nasty_inputs;
    use super::*;

    fn won(input: &str) -> i64 {
        Price::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
            .won()
    }

    fn price_error(input: &str) -> String {
        match Price::parse(input) {
            Ok(price) => panic!("{input:?} accepted as {price:?}"),
            Err(e) => e.message().to_owned(),
        }
    }

    fn url(input: &str) -> String {
        OpenChatUrl::parse(input)
            .unwrap_or_else(|e| panic!("{input:?} refused: {e}"))
            .into_inner()
    }

    fn url_is_refused(input: &str) {
        match OpenChatUrl::parse(input) {
            Ok(url) => panic!("{input:?} accepted as {url:?}"),
            Err(e) => assert_eq!(e.message(), OPEN_CHAT_MESSAGE),
        }
    }

    // ProductName

    #[test]
    fn a_product_name_is_normalised_to_one_line() {
        let name = ProductName::parse("  아이폰 15\n프로  256GB ").unwrap();
        assert_eq!(name.as_str(), "아이폰 15 프로 256GB");
    }

    #[test]
    fn a_one_character_product_name_and_emoji_are_accepted() {
        assert_eq!(ProductName::parse("책").unwrap().as_str(), "책");
        assert_eq!(ProductName::parse("🎮 게임기").unwrap().as_str(), "🎮 게임기");
    }

    #[test]
    fn an_empty_product_name_asks_for_one() {
        for input in ["", "   ", "\u{200B}\u{FEFF}", "\n\t"] {
            assert_eq!(
                ProductName::parse(input).unwrap_err().message(),
                "상품명을 입력해 주세요."
            );
        }
    }

    #[test]
    fn a_product_name_of_thirty_korean_characters_is_accepted_and_thirty_one_is_refused() {
        let thirty = "가".repeat(30);
        assert_eq!(ProductName::parse(&thirty).unwrap().as_str(), thirty);
        let error = ProductName::parse(&"가".repeat(31)).unwrap_err();
        assert!(error.message().contains("30자"), "{error}");
    }

    // Price

    #[test]
    fn plain_and_grouped_prices_are_accepted() {
        assert_eq!(won("12000"), 12_000);
        assert_eq!(won("12,000"), 12_000);
        assert_eq!(won("12,000원"), 12_000);
        assert_eq!(won(" 12 000 원"), 12_000);
        assert_eq!(won("1,234,567"), 1_234_567);
        assert_eq!(won("1 000 000원"), 1_000_000);
        assert_eq!(won("₩12,000"), 12_000);
        assert_eq!(won("0"), 0);
        assert_eq!(won("0원"), 0);
        assert_eq!(won("007"), 7);
    }

    #[test]
    fn full_width_digits_and_commas_in_a_price_are_accepted() {
        assert_eq!(won("１２０００"), 12_000);
        assert_eq!(won("１２，０００원"), 12_000);
    }

    #[test]
    fn prices_written_with_korean_units_are_accepted() {
        assert_eq!(won("1만원"), 10_000);
        assert_eq!(won("1만"), 10_000);
        assert_eq!(won("1.5만원"), 15_000);
        assert_eq!(won("1.5만"), 15_000);
        assert_eq!(won("3만 5천원"), 35_000);
        assert_eq!(won("3만5천원"), 35_000);
        assert_eq!(won("2천원"), 2_000);
        assert_eq!(won("3만 5000원"), 35_000);
        assert_eq!(won("5천 300원"), 5_300);
        assert_eq!(won("3 만 원"), 30_000);
        assert_eq!(won("1억 2천만원"), 120_000_000);
        assert_eq!(won("1억 2,000만"), 120_000_000);
        assert_eq!(won("10억"), 1_000_000_000);
        assert_eq!(won("1,000만원"), 10_000_000);
        assert_eq!(won("1.25만"), 12_500);
        assert_eq!(won("1.50만"), 15_000);
        assert_eq!(won("5백원"), 500);
        assert_eq!(won("5천3백만원"), 53_000_000);
        assert_eq!(won("1억 만원"), 100_010_000);
    }

    #[test]
    fn a_unit_without_a_number_means_one_of_it() {
        assert_eq!(won("만원"), 10_000);
        assert_eq!(won("천원"), 1_000);
        assert_eq!(won("십만원"), 100_000);
        assert_eq!(won("백만원"), 1_000_000);
        assert_eq!(won("천만원"), 10_000_000);
        assert_eq!(won("만 천원"), 11_000);
    }

    #[test]
    fn free_words_mean_a_price_of_zero() {
        for input in ["무료", "나눔", " 나눔 ", "무료나눔", "무료 나눔"] {
            assert_eq!(Price::parse(input), Ok(Price::FREE), "{input:?}");
        }
        assert_eq!(Price::FREE.won(), 0);
    }

    #[test]
    fn negative_prices_are_refused_with_the_range() {
        for input in ["-1000", "-1", "－1,000원", "- 5000"] {
            assert_eq!(price_error(input), PRICE_RANGE_MESSAGE, "{input:?}");
        }
        assert!(PRICE_RANGE_MESSAGE.contains("0원부터 10억 원까지"));
    }

    #[test]
    fn decimals_that_are_not_whole_won_are_refused() {
        for input in ["12.5", "12.0", "1000.50원", "1.55555만", "0.5", "1.5원"] {
            assert_eq!(price_error(input), PRICE_FRACTION_MESSAGE, "{input:?}");
        }
    }

    #[test]
    fn letters_and_malformed_prices_are_refused() {
        for input in [
            "abc",
            "12000won",
            "만이천원",
            "1e5",
            "0x10",
            "12,00",
            "1,5만",
            "1234,567",
            "12,000,00",
            "12, 000",
            "1,000 000",
            "1 2",
            "12000원원",
            "원12000",
            "12000원 정도",
            "3천 5천",
            "3만 15000",
            "1만 1억",
            "만만",
            "5천 3000",
            "1.",
            ".5만",
            "1..5만",
            "원",
            "₩",
            "+1000",
            "12/000",
        ] {
            assert_eq!(price_error(input), PRICE_FORMAT_MESSAGE, "{input:?}");
        }
    }

    #[test]
    fn an_empty_price_asks_for_one() {
        for input in ["", "   ", "\u{200B}"] {
            assert_eq!(price_error(input), PRICE_EMPTY_MESSAGE, "{input:?}");
        }
    }

    #[test]
    fn prices_up_to_ten_eok_are_accepted_and_above_are_refused() {
        assert_eq!(won("1000000000"), 1_000_000_000);
        assert_eq!(won("1,000,000,000원"), 1_000_000_000);
        for input in [
            "1000000001",
            "10억 1원",
            "11억",
            "1조",
            "99999999999999999999999999",
            "9".repeat(10_000).as_str(),
            "99999999999999999999억",
            "18446744073709551615",
            "18446744073709551616",
        ] {
            let message = Price::parse(input).unwrap_err();
            if input == "1조" {
                assert_eq!(message.message(), PRICE_FORMAT_MESSAGE);
            } else {
                assert_eq!(message.message(), PRICE_RANGE_MESSAGE, "{input:?}");
            }
        }
    }

    #[test]
    fn prices_from_storage_are_range_checked() {
        assert_eq!(Price::from_won(0).unwrap().won(), 0);
        assert_eq!(Price::from_won(1_000_000_000).unwrap().won(), 1_000_000_000);
        for won in [-1, 1_000_000_001, i64::MIN, i64::MAX] {
            assert_eq!(Price::from_won(won).unwrap_err().message(), PRICE_RANGE_MESSAGE);
        }
    }

    #[test]
    fn prices_display_with_thousands_separators() {
        let cases = [
            (0, "0원"),
            (7, "7원"),
            (999, "999원"),
            (1_000, "1,000원"),
            (12_000, "12,000원"),
            (123_456, "123,456원"),
            (1_000_000_000, "1,000,000,000원"),
        ];
        for (won, shown) in cases {
            let price = Price::from_won(won).unwrap();
            assert_eq!(price.display(), shown);
            assert_eq!(price.to_string(), shown);
        }
    }

    #[test]
    fn prices_order_by_amount_and_serialise_as_integers() {
        let cheap = Price::parse("1만").unwrap();
        let dear = Price::parse("2만").unwrap();
        assert!(cheap < dear);
        assert_eq!(serde_json::to_string(&dear).unwrap(), "20000");
        assert_eq!("1만원".parse::<Price>(), Ok(cheap));
    }

    // Description

    #[test]
    fn a_description_keeps_its_line_breaks() {
        let description =
            Description::parse("  상태 좋아요  \r\n\r\n\r\n구성품:\r\n- 본체\r\n- 충전기  \n\n").unwrap();
        assert_eq!(description.as_str(), "상태 좋아요\n\n구성품:\n- 본체\n- 충전기");
    }

    #[test]
    fn an_empty_description_asks_for_one() {
        for input in ["", "\n\n\n", " \r\n\t "] {
            assert_eq!(
                Description::parse(input).unwrap_err().message(),
                "상품 설명을 입력해 주세요."
            );
        }
    }

    #[test]
    fn a_description_of_four_hundred_korean_characters_is_accepted_and_one_more_is_refused() {
        assert_eq!(Description::parse("좋").unwrap().as_str(), "좋");
        let full = "가".repeat(400);
        assert_eq!(Description::parse(&full).unwrap().as_str(), full);
        let error = Description::parse(&"가".repeat(401)).unwrap_err();
        assert!(error.message().contains("400자"), "{error}");
        // Line breaks count as characters.
        let with_breaks = format!("{}\n{}", "가".repeat(200), "나".repeat(200));
        assert!(Description::parse(&with_breaks).is_err());
    }

    // TradeLocation

    #[test]
    fn a_trade_location_is_normalised_to_one_line() {
        let place = TradeLocation::parse(" 강남역   2번 출구\n").unwrap();
        assert_eq!(place.as_str(), "강남역 2번 출구");
    }

    #[test]
    fn a_trade_location_of_two_to_thirty_korean_characters_is_accepted() {
        assert_eq!(TradeLocation::parse("역삼").unwrap().as_str(), "역삼");
        let thirty = "가".repeat(30);
        assert_eq!(TradeLocation::parse(&thirty).unwrap().as_str(), thirty);
    }

    #[test]
    fn a_trade_location_of_one_or_thirty_one_characters_is_refused() {
        for input in ["역".to_owned(), "가".repeat(31)] {
            assert_eq!(
                TradeLocation::parse(&input).unwrap_err().message(),
                "거래 장소는 2~30자로 입력해 주세요."
            );
        }
        assert_eq!(
            TradeLocation::parse(" ").unwrap_err().message(),
            "거래 장소를 입력해 주세요."
        );
    }

    // OpenChatUrl

    #[test]
    fn every_accepted_way_of_writing_an_open_chat_link_is_normalised() {
        for input in [
            "https://open.kakao.com/o/gAbC123",
            "http://open.kakao.com/o/gAbC123",
            "open.kakao.com/o/gAbC123",
            "  https://open.kakao.com/o/gAbC123  ",
            "https://open.kakao.com/o/gAbC123/",
            "https://open.kakao.com/o/gAbC123?x=1&y=2",
            "https://open.kakao.com/o/gAbC123#top",
            "https://open.kakao.com/o/gAbC123/?ref=share#frag",
            "HTTPS://OPEN.KAKAO.COM/o/gAbC123",
            "\u{200B}https://open.kakao.com/o/gAbC123\u{FEFF}",
        ] {
            assert_eq!(url(input), "https://open.kakao.com/o/gAbC123", "{input:?}");
        }
    }

    #[test]
    fn an_open_chat_code_keeps_its_case_and_has_one_to_forty_characters() {
        assert_eq!(url("open.kakao.com/o/a"), "https://open.kakao.com/o/a");
        let forty = "Ab9".repeat(13) + "Z";
        assert_eq!(
            OpenChatUrl::parse(&format!("open.kakao.com/o/{forty}"))
                .unwrap()
                .code(),
            forty
        );
        url_is_refused(&format!("open.kakao.com/o/{forty}x"));
    }

    #[test]
    fn look_alike_hosts_and_userinfo_tricks_are_refused() {
        for input in [
            "https://open.kakao.com.evil.com/o/gAbC123",
            "https://evil.com/open.kakao.com/o/gAbC123",
            "evil.com/open.kakao.com/o/gAbC123",
            "https://open.kakao.com@evil.com/o/gAbC123",
            "https://user@open.kakao.com/o/gAbC123",
            "https://user:pw@open.kakao.com/o/gAbC123",
            "https://open.kakao.com:443/o/gAbC123",
            "https://open.kakao.com:8080/o/gAbC123",
            "https://open.kakao.com./o/gAbC123",
            "https://www.open.kakao.com/o/gAbC123",
            "https://kakao.com/o/gAbC123",
            "https://open.kakao.co/o/gAbC123",
            "https://open.kakao.com\\@evil.com/o/gAbC123",
            "https://evil.com\\open.kakao.com/o/gAbC123",
            "https://evil.com#@open.kakao.com/o/gAbC123",
            "https://evil.com?@open.kakao.com/o/gAbC123",
            "https://open%2Ekakao.com/o/gAbC123",
            "https://ｏｐｅｎ.kakao.com/o/gAbC123",
            "//open.kakao.com/o/gAbC123",
            "https:///open.kakao.com/o/gAbC123",
            "https://https://open.kakao.com/o/gAbC123",
        ] {
            url_is_refused(input);
        }
    }

    #[test]
    fn other_schemes_are_refused() {
        for input in [
            "javascript:alert(1)",
            "javascript://open.kakao.com/o/gAbC123",
            "javascript:open.kakao.com/o/gAbC123",
            "ftp://open.kakao.com/o/gAbC123",
            "kakaotalk://open.kakao.com/o/gAbC123",
            "https:open.kakao.com/o/gAbC123",
            "data:text/html,open.kakao.com/o/x",
        ] {
            url_is_refused(input);
        }
    }

    #[test]
    fn other_paths_and_bad_codes_are_refused() {
        for input in [
            "https://open.kakao.com/me/gAbC123",
            "https://open.kakao.com/s/gAbC123",
            "https://open.kakao.com/O/gAbC123",
            "https://open.kakao.com/o/",
            "https://open.kakao.com/o//",
            "https://open.kakao.com/o/gAbC123//",
            "https://open.kakao.com/o/gAbC123/extra",
            "https://open.kakao.com/o/../s/gAbC123",
            "https://open.kakao.com//o/gAbC123",
            "https://open.kakao.com/o/gAb%43123",
            "https://open.kakao.com/o/gAb-C123",
            "https://open.kakao.com/o/한글방",
            "https://open.kakao.com/o/gAb C123",
            "https://open.kakao.com",
            "open.kakao.com",
            "gAbC123",
            "",
            "  ",
        ] {
            url_is_refused(input);
        }
    }

    #[test]
    fn an_open_chat_link_serialises_and_displays_normalised() {
        let link = OpenChatUrl::parse("open.kakao.com/o/gAbC123/").unwrap();
        assert_eq!(link.to_string(), "https://open.kakao.com/o/gAbC123");
        assert_eq!(link.code(), "gAbC123");
        assert_eq!(
            serde_json::to_string(&link).unwrap(),
            "\"https://open.kakao.com/o/gAbC123\""
        );
    }

    // SearchText and Keyword

    #[test]
    fn a_query_is_one_line_of_one_to_thirty_characters() {
        assert_eq!(SearchText::parse("  아이폰\n15  ").unwrap().as_str(), "아이폰 15");
        assert_eq!(
            SearchText::parse(&"가".repeat(30))
                .unwrap()
                .as_str()
                .chars()
                .count(),
            30
        );
        for refused in ["", "  \u{200B} ", &"가".repeat(31)] {
            assert_eq!(
                SearchText::parse(refused).unwrap_err().message(),
                SearchText::RULE
            );
        }
    }

    #[test]
    fn a_keyword_follows_the_query_rule_with_its_own_message() {
        let keyword = Keyword::parse(" 100%  IPhone_X ").unwrap();
        assert_eq!(keyword.as_str(), "100% IPhone_X");
        assert_eq!(keyword.needle(), "100% iphone_x");
        assert_eq!(
            Keyword::parse(&"가".repeat(31)).unwrap_err().message(),
            Keyword::RULE
        );
        assert_eq!(Keyword::parse(" ").unwrap_err().message(), Keyword::RULE);
    }

    #[test]
    fn product_parsers_never_panic_on_adversarial_input() {
        for input in nasty_inputs() {
            let _ = ProductName::parse(&input);
            if let Ok(price) = Price::parse(&input) {
                assert!((0..=Price::MAX_WON).contains(&price.won()));
            }
            let _ = Description::parse(&input);
            let _ = TradeLocation::parse(&input);
            if let Ok(link) = OpenChatUrl::parse(&input) {
                assert!(!link.code().is_empty());
            }
            if let Ok(keyword) = Keyword::parse(&input) {
                assert!((1..=SearchText::MAX_CHARS).contains(&char_count(keyword.as_str())));
            }
        }
    }
}
