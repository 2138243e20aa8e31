//! Deal prices as the boards write them, turned into something the chatbot can show honestly.
//!
//! Deal boards write prices as free text: `￦ 12,345 (KRW)`, `12,000~15,000원`, `$19.99 (USD)`, `가격다양`.
//! [`parse_price`] recognises the shapes it knows and keeps everything else as [`DealPrice::Text`], so a price
//! it cannot read is shown as the board wrote it — never as `0원`, which would tell users a deal is free.
//! Amounts use checked arithmetic: an absurd number becomes text too, never a panic or a wrapped value.

use serde::{Deserialize, Serialize};

use crate::present;

/// What a deal costs, as far as the board's text says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum DealPrice {
    /// A price in won (`12,345원`); always positive.
    Won(i64),
    /// A range in won (`12,000~15,000원`), `min < max`.
    Range { min: i64, max: i64 },
    /// A price in another currency: ISO code, amount in minor units (cents), and how it is shown (`$19.99`).
    Foreign {
        currency: String,
        minor_units: i64,
        text: String,
    },
    /// Free (`무료`, `0원`).
    Free,
    /// Anything else, kept as the board wrote it (trimmed): `가격다양`, or a format this parser does not know.
    Text(String),
}

impl DealPrice {
    /// True when the board said nothing about the price (shown as "가격 정보 없음").
    pub fn is_unknown(&self) -> bool {
        matches!(self, Self::Text(text) if text.trim().is_empty())
    }

    /// How the price is shown in Korean: `12,345원`, `12,000~15,000원`, `$19.99`, `무료`, or the text as is
    /// (`가격 정보 없음` when the board gave no text at all, so a card never shows an empty price).
    pub fn display(&self) -> String {
        match self {
            Self::Won(amount) => present::won(*amount),
            Self::Range { min, max } => {
                let min = present::won(*min);
                format!("{}~{}", min.trim_end_matches('원'), present::won(*max))
            }
            Self::Foreign { text, .. } => text.clone(),
            Self::Free => "무료".to_owned(),
            Self::Text(text) if text.trim().is_empty() => "가격 정보 없음".to_owned(),
            Self::Text(text) => text.clone(),
        }
    }
}

/// Reads a board's price text. Never panics; anything it cannot read exactly becomes [`DealPrice::Text`].
pub fn parse_price(text: &str) -> DealPrice {
    let trimmed = text.trim();
    parse_known(trimmed).unwrap_or_else(|| DealPrice::Text(trimmed.to_owned()))
}

/// A currency this parser can show and count in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Currency {
    code: &'static str,
    symbol: &'static str,
    decimals: u32,
}

const KRW: Currency = Currency {
    code: "KRW",
    symbol: "₩",
    decimals: 0,
};

const CURRENCIES: &[Currency] = &[
    KRW,
    Currency {
        code: "USD",
        symbol: "$",
        decimals: 2,
    },
    Currency {
        code: "EUR",
        symbol: "€",
        decimals: 2,
    },
    Currency {
        code: "GBP",
        symbol: "£",
        decimals: 2,
    },
    Currency {
        code: "JPY",
        symbol: "¥",
        decimals: 0,
    },
];

/// Leading symbols and the currency each one means (longest first, so `US$` wins over `$`).
const SYMBOLS: &[(&str, &str)] = &[
    ("US$", "USD"),
    ("￦", "KRW"),
    ("₩", "KRW"),
    ("$", "USD"),
    ("€", "EUR"),
    ("£", "GBP"),
    ("¥", "JPY"),
    ("￥", "JPY"),
];

const FREE_WORDS: &[&str] = &["무료", "무료나눔", "free"];

/// Range separators; `-` is not one, because `-5,000` would be ambiguous.
const TILDES: &[char] = &['~', '～', '〜'];

fn currency(code: &str) -> Option<Currency> {
    CURRENCIES
        .iter()
        .copied()
        .find(|c| c.code.eq_ignore_ascii_case(code))
}

fn parse_known(text: &str) -> Option<DealPrice> {
    if text.is_empty() {
        return None;
    }
    if FREE_WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return Some(DealPrice::Free);
    }
    // A trailing ISO code, `(KRW)` or ` USD`, names the currency for the whole text.
    let (body, code) = strip_code(text);
    let mut named = match code {
        Some(code) => Some(currency(code)?),
        None => None,
    };
    let parts: Vec<&str> = body.split(TILDES).collect();
    let mut amounts = Vec::with_capacity(parts.len());
    let mut shown = None;
    for part in &parts {
        let (part_currency, number) = split_part(part)?;
        if let Some((found, symbol)) = part_currency {
            // `$19.99 (CAD)`, `€5원`, `$5~₩9`: written currencies that disagree are not guessed between.
            if named.is_some_and(|n| n != found) {
                return None;
            }
            named = Some(found);
            shown = shown.or(symbol);
        }
        amounts.push(number);
    }
    let currency = named.unwrap_or(KRW);
    let minor: Vec<i64> = amounts
        .iter()
        .map(|n| n.minor_units(currency.decimals))
        .collect::<Option<_>>()?;
    match (currency == KRW, minor.as_slice()) {
        (_, [0]) => Some(DealPrice::Free),
        (true, [won]) => Some(DealPrice::Won(*won)),
        (true, [min, max]) if min == max => Some(DealPrice::Won(*min)),
        (true, [min, max]) if min < max => Some(DealPrice::Range { min: *min, max: *max }),
        (false, [minor_units]) => {
            let text = format!("{}{}", shown.unwrap_or(currency.symbol), amounts[0].written);
            Some(DealPrice::Foreign {
                currency: currency.code.to_owned(),
                minor_units: *minor_units,
                text,
            })
        }
        _ => None,
    }
}

/// Splits `￦ 12,345 (KRW)` into `￦ 12,345` and `KRW`; also a bare trailing ` USD`.
fn strip_code(text: &str) -> (&str, Option<&str>) {
    if let Some(open) = text.strip_suffix(')').and_then(|t| t.rfind('(').map(|i| (t, i))) {
        let (t, i) = open;
        let code = t[i + 1..].trim();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
            return (t[..i].trim_end(), Some(code));
        }
    }
    if let Some((body, code)) = text.rsplit_once(' ')
        && code.len() == 3
        && code.chars().all(|c| c.is_ascii_alphabetic())
    {
        return (body.trim_end(), Some(code));
    }
    (text, None)
}

/// One side of a price: an optional symbol or `원`, and a number.
/// The currency comes with the symbol it was written with (`None` for `원`).
type PartCurrency = (Currency, Option<&'static str>);

fn split_part(part: &str) -> Option<(Option<PartCurrency>, Number)> {
    let mut rest = part.trim();
    let mut found: Option<PartCurrency> = None;
    if let Some((symbol, code)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(s)) {
        found = Some((currency(code)?, Some(*symbol)));
        rest = rest[symbol.len()..].trim_start();
    }
    if let Some(number) = rest.strip_suffix('원') {
        if found.is_some_and(|(c, _)| c != KRW) {
            return None;
        }
        found = found.or(Some((KRW, None)));
        rest = number.trim_end();
    }
    Some((found, Number::parse(rest)?))
}

/// A non-negative decimal number as written (`1,299.99`), checked for well-formed thousands separators.
struct Number {
    written: String,
    whole: String,
    fraction: String,
}

impl Number {
    fn parse(text: &str) -> Option<Self> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        if whole.is_empty() || (text.contains('.') && fraction.is_empty()) {
            return None;
        }
        if !fraction.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let groups: Vec<&str> = whole.split(',').collect();
        let well_grouped = groups.iter().enumerate().all(|(i, g)| {
            let digits = !g.is_empty() && g.chars().all(|c| c.is_ascii_digit());
            digits && (groups.len() == 1 || if i == 0 { g.len() <= 3 } else { g.len() == 3 })
        });
        if !well_grouped {
            return None;
        }
        Some(Self {
            written: text.to_owned(),
            whole: groups.concat(),
            fraction: fraction.to_owned(),
        })
    }

    /// The amount in minor units, if it fits in `i64` and has no more decimals than the currency.
    fn minor_units(&self, decimals: u32) -> Option<i64> {
        let significant = self.fraction.trim_end_matches('0');
        if significant.len() > decimals as usize {
            return None;
        }
        let mut value: i64 = 0;
        for c in self.whole.chars() {
            value = value.checked_mul(10)?.checked_add(i64::from(c.to_digit(10)?))?;
        }
        let mut fraction = self.fraction.chars();
        for _ in 0..decimals {
            let digit = fraction.next().and_then(|c| c.to_digit(10)).unwrap_or(0);
            value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> DealPrice {
        DealPrice::Text(s.to_owned())
    }

    fn foreign(currency: &str, minor_units: i64, text: &str) -> DealPrice {
        DealPrice::Foreign {
            currency: currency.to_owned(),
            minor_units,
            text: text.to_owned(),
        }
    }

    #[test]
    fn the_boards_won_format_with_code_is_read() {
        assert_eq!(parse_price("￦ 12,345 (KRW)"), DealPrice::Won(12_345));
        assert_eq!(parse_price("  ￦ 1,234,567 (KRW)  "), DealPrice::Won(1_234_567));
    }

    #[test]
    fn won_sign_suffix_and_plain_numbers_are_read() {
        assert_eq!(parse_price("₩12,345"), DealPrice::Won(12_345));
        assert_eq!(parse_price("12,345원"), DealPrice::Won(12_345));
        assert_eq!(parse_price("12,345 원"), DealPrice::Won(12_345));
        assert_eq!(parse_price("12345"), DealPrice::Won(12_345));
        assert_eq!(parse_price("12345 KRW"), DealPrice::Won(12_345));
    }

    #[test]
    fn foreign_prices_keep_minor_units_and_their_symbol() {
        assert_eq!(parse_price("$19.99 (USD)"), foreign("USD", 1_999, "$19.99"));
        assert_eq!(parse_price("€5 (EUR)"), foreign("EUR", 500, "€5"));
        assert_eq!(parse_price("$1,299.9"), foreign("USD", 129_990, "$1,299.9"));
        assert_eq!(parse_price("19.99 (USD)"), foreign("USD", 1_999, "$19.99"));
        assert_eq!(parse_price("$19.99 (CAD)"), text("$19.99 (CAD)"));
    }

    #[test]
    fn free_and_zero_are_free() {
        assert_eq!(parse_price("무료"), DealPrice::Free);
        assert_eq!(parse_price("0원"), DealPrice::Free);
        assert_eq!(parse_price("￦ 0 (KRW)"), DealPrice::Free);
        assert_eq!(parse_price("$0.00 (USD)"), DealPrice::Free);
    }

    #[test]
    fn various_prices_stay_text() {
        assert_eq!(parse_price("가격다양"), text("가격다양"));
        assert_eq!(parse_price(" 다양 "), text("다양"));
    }

    #[test]
    fn ranges_are_read_with_or_without_spaces_and_symbols() {
        let range = DealPrice::Range {
            min: 12_000,
            max: 15_000,
        };
        assert_eq!(parse_price("12,000~15,000원"), range);
        assert_eq!(parse_price("12,000 ~ 15,000"), range);
        assert_eq!(parse_price("￦ 12,000 ~ 15,000 (KRW)"), range);
        assert_eq!(parse_price("12,000원～15,000원"), range);
        assert_eq!(parse_price("15,000~15,000원"), DealPrice::Won(15_000));
    }

    #[test]
    fn backwards_or_foreign_ranges_stay_text() {
        assert_eq!(parse_price("15,000~12,000원"), text("15,000~12,000원"));
        assert_eq!(parse_price("$5~$9"), text("$5~$9"));
        assert_eq!(parse_price("1~2~3"), text("1~2~3"));
    }

    #[test]
    fn junk_stays_text_and_is_never_zero() {
        for junk in [
            "문의",
            "12,34원",
            "1,2345",
            "12.5원",
            "-5,000원",
            "$",
            "원",
            "₩",
            "12,000~",
            "~",
            "1.",
            "$19.999",
            "€5원",
            "12,345 (XYZ)",
            "1e5",
        ] {
            assert_eq!(parse_price(junk), text(junk), "{junk}");
        }
    }

    #[test]
    fn an_overflowing_amount_is_text_not_a_panic() {
        assert_eq!(
            parse_price("99999999999999999999원"),
            text("99999999999999999999원")
        );
        assert_eq!(
            parse_price("$99999999999999999.99"),
            text("$99999999999999999.99")
        );
        assert_eq!(
            parse_price("9,223,372,036,854,775,807원"),
            DealPrice::Won(i64::MAX)
        );
    }

    #[test]
    fn empty_input_is_empty_text_shown_as_unknown() {
        assert_eq!(parse_price(""), text(""));
        assert_eq!(parse_price("   "), text(""));
        assert_eq!(parse_price("").display(), "가격 정보 없음");
    }

    #[test]
    fn prices_are_displayed_in_korean() {
        assert_eq!(parse_price("￦ 12,345 (KRW)").display(), "12,345원");
        assert_eq!(parse_price("12,000 ~ 15,000").display(), "12,000~15,000원");
        assert_eq!(parse_price("$19.99 (USD)").display(), "$19.99");
        assert_eq!(parse_price("0원").display(), "무료");
        assert_eq!(parse_price("가격다양").display(), "가격다양");
    }
}
