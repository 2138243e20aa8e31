//! What a deal's title says besides its name: the price, whether the list cut it short, and the tags in
//! front (`[쿠팡]`, `[종료]`).
//!
//! Some boards have no price field: the poster writes the price into the title, in the forms
//! `(7,520원/무료)`, `/ 64,800원`, `(61.6만)`, `(1만원)`, `($12.99)` or `12,000~15,000원`. [`price_in`] reads
//! it only when the title states exactly one price, because a wrong price is worse than none:
//!
//! - an amount needs a currency mark (`원`, `만`, `천`, `엔`, `₩`, `$`, `€`, …); bare numbers are model
//!   numbers, sizes and counts (`137g 8봉`, `12.3인치`, `스위치 2`);
//! - shipping is not the price: the second amount of `(가격/배송비)`, and an amount after `택`, `배송` or
//!   `착불`, are left out, and `무료` next to a price is free shipping, not a price of 0;
//! - an amount that runs into the list's cut (`₩147,20...`) may be missing digits and is left out;
//! - several different prices (two items in one post, point rewards) give no price at all.
//!
//! A title with no amount that says `(무료)` on its own is a giveaway, and is [`DealPrice::Free`].

use super::price::{DealPrice, parse_price};

/// The marks a list puts where it cut a long title.
const CUT_MARKS: [&str; 2] = ["...", "…"];
/// Words in front of an amount that make it a shipping cost.
const SHIPPING_WORDS: [&str; 4] = ["택", "배송", "배달", "착불"];
const TILDES: [char; 3] = ['~', '～', '〜'];
/// Leading currency symbols (longest first) and the text `parse_price` reads them as.
const SYMBOLS: [(&str, &str); 8] = [
    ("US$", "$"),
    ("₩", "₩"),
    ("￦", "₩"),
    ("$", "$"),
    ("€", "€"),
    ("£", "£"),
    ("¥", "¥"),
    ("￥", "¥"),
];

/// True when the list cut the title short (it ends in `...` or `…`).
pub fn is_cut(title: &str) -> bool {
    let title = title.trim_end();
    CUT_MARKS.iter().any(|mark| title.ends_with(mark))
}

/// The full title that `page_title` (from the deal's own page) gives for `list_title`, when the list cut
/// it and the page's title begins with what the list showed; `None` otherwise (a page about another post,
/// or a list title that was whole).
pub fn completed(list_title: &str, page_title: &str) -> Option<String> {
    if !is_cut(list_title) {
        return None;
    }
    let mut shown = list_title.trim_end();
    for mark in CUT_MARKS {
        shown = shown.strip_suffix(mark).unwrap_or(shown);
    }
    let shown = collapse(shown);
    let full = collapse(page_title);
    (!shown.is_empty() && full.len() > shown.len() && full.starts_with(&shown)).then_some(full)
}

pub use crate::deal_sources::leading_tags;

/// The price a title states; [`DealPrice::Text`] with no text (shown as "가격 정보 없음") when it states
/// none, or more than one (see the module documentation).
pub fn price_in(title: &str) -> DealPrice {
    let amounts = amounts(title);
    let mut prices: Vec<DealPrice> = Vec::new();
    for amount in amounts.iter().filter(|a| !a.shipping && !a.cut) {
        if !prices.contains(&amount.price) {
            prices.push(amount.price.clone());
        }
    }
    match prices.as_slice() {
        [one] => one.clone(),
        [] if amounts.is_empty() && is_giveaway(title) => DealPrice::Free,
        _ => DealPrice::Text(String::new()),
    }
}

/// `(무료)` or `[무료]` standing alone: the thing itself is free.
fn is_giveaway(title: &str) -> bool {
    title.contains("(무료)") || title.contains("[무료]")
}

/// One amount found in a title, at `start..end` (byte offsets).
#[derive(Debug)]
struct Amount {
    start: usize,
    end: usize,
    price: DealPrice,
    shipping: bool,
    cut: bool,
}

/// Every marked amount in the title, in order, with ranges (`12,000~15,000원`, `1~2만원`) read as one.
fn amounts(title: &str) -> Vec<Amount> {
    let mut found: Vec<Amount> = Vec::new();
    let mut at = 0;
    while let Some(token) = next_token(title, at) {
        at = token.end;
        let Some(unit) = token.unit else { continue };
        let price = match range_start(title, token.start) {
            Some(min) => unit
                .scale(min)
                .zip(unit.scale(token.number))
                .map(|(min, max)| parse_price(&format!("{min}~{max}원"))),
            None => unit.price(token.symbol, token.number),
        };
        let Some(price) = price.filter(|p| !matches!(p, DealPrice::Text(_))) else {
            continue;
        };
        let joined = found
            .last()
            .and_then(|last| joined_range(title, last, &price, token.start));
        if let (Some(range), Some(last)) = (joined, found.last_mut()) {
            last.price = range;
            last.end = token.end;
            last.cut = runs_into_cut(&title[token.end..]);
            continue;
        }
        found.push(Amount {
            shipping: is_shipping(title, token.start, &found),
            cut: runs_into_cut(&title[token.end..]),
            price,
            start: token.start,
            end: token.end,
        });
    }
    found
}

/// `12,000원~15,000원`: two amounts in won with only a tilde between them are one range.
fn joined_range(title: &str, last: &Amount, next: &DealPrice, next_start: usize) -> Option<DealPrice> {
    let between = title.get(last.end..next_start)?.trim();
    let (DealPrice::Won(min), DealPrice::Won(max)) = (&last.price, next) else {
        return None;
    };
    (TILDES
        .iter()
        .any(|t| between.len() == t.len_utf8() && between.starts_with(*t))
        && min < max)
        .then_some(DealPrice::Range { min: *min, max: *max })
}

/// A number in the title with what is written around it.
struct Token<'a> {
    /// Where the number (or its symbol) starts, and where its unit ends.
    start: usize,
    end: usize,
    symbol: Option<&'static str>,
    number: &'a str,
    unit: Option<Unit>,
}

/// How an amount is marked as money.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// `원`, or a symbol alone (`₩`, `$`, …).
    Plain,
    /// `만` (10,000 won), `천` (1,000 won).
    Won(i64),
    /// `엔`.
    Yen,
}

impl Unit {
    /// The amount in won of `number` in this unit, when it is whole (`61.6만` → 616,000).
    fn scale(self, number: &str) -> Option<i64> {
        let factor = match self {
            Self::Plain => 1,
            Self::Won(factor) => factor,
            Self::Yen => return None,
        };
        let digits = number.replace(',', "");
        let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
        let places = u32::try_from(fraction.len()).ok()?;
        let divisor = 10i64.checked_pow(places)?;
        let value: i64 = format!("{whole}{fraction}").parse().ok()?;
        let scaled = value.checked_mul(factor)?;
        (scaled % divisor == 0).then_some(scaled / divisor)
    }

    fn price(self, symbol: Option<&str>, number: &str) -> Option<DealPrice> {
        let text = match (self, symbol) {
            (Self::Yen, None) => format!("¥{number}"),
            (Self::Plain, Some(symbol)) => format!("{symbol}{number}"),
            (Self::Plain, None) => format!("{number}원"),
            (Self::Won(_), None) => format!("{}원", self.scale(number)?),
            _ => return None,
        };
        Some(parse_price(&text))
    }
}

/// The next number at or after byte `from`, with its symbol and unit.
fn next_token(title: &str, from: usize) -> Option<Token<'_>> {
    let bytes = title.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() && !continues_number(title, i) {
            break;
        }
        i += 1;
    }
    if i >= bytes.len() {
        return None;
    }
    let begin = i;
    while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b',') {
        i += 1;
    }
    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
        i += 1;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
    }
    let number = title[begin..i].trim_end_matches(',');
    let after_number = begin + number.len();
    let (symbol, start) = symbol_before(title, begin);
    let (unit, end) = unit_after(title, after_number, symbol.is_some());
    Some(Token {
        start,
        end: end.max(i),
        symbol,
        number,
        unit,
    })
}

/// A digit right after a digit, `,` or `.` belongs to the number before it.
fn continues_number(title: &str, i: usize) -> bool {
    title[..i]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// The currency symbol right before byte `at` (spaces allowed between), and where it starts.
fn symbol_before(title: &str, at: usize) -> (Option<&'static str>, usize) {
    let before = title[..at].trim_end();
    SYMBOLS
        .iter()
        .find(|(written, _)| before.ends_with(written))
        .map_or((None, at), |(written, shown)| {
            (Some(*shown), before.len() - written.len())
        })
}

/// The unit right after the number ending at byte `at` (one space allowed), and where it ends.
fn unit_after(title: &str, at: usize, has_symbol: bool) -> (Option<Unit>, usize) {
    let rest = &title[at..];
    let trimmed = rest.strip_prefix(' ').unwrap_or(rest);
    let skipped = rest.len() - trimmed.len();
    let units: [(&str, Unit); 6] = [
        ("만원", Unit::Won(10_000)),
        ("만", Unit::Won(10_000)),
        ("천원", Unit::Won(1_000)),
        ("천", Unit::Won(1_000)),
        ("원", Unit::Plain),
        ("엔", Unit::Yen),
    ];
    for (word, unit) in units {
        if let Some(after) = trimmed.strip_prefix(word) {
            let bare_multiplier = matches!(word, "만" | "천");
            // `10만 포인트`, `3천 명`: a count; `5만원권`: a voucher's face value, not what it costs.
            if (bare_multiplier && !ends_amount(after)) || after.starts_with('권') {
                return (None, at);
            }
            return (Some(unit), at + skipped + word.len());
        }
    }
    (has_symbol.then_some(Unit::Plain), at)
}

/// What may follow a bare `만`/`천` amount: the end, a closing bracket, a separator.
fn ends_amount(after: &str) -> bool {
    let after = after.trim_start();
    after.is_empty()
        || CUT_MARKS.iter().any(|m| after.starts_with(m))
        || after.starts_with([')', ']', '/', ',', '~', '～', '〜', '|'])
}

/// The number of `min~max` when the amount at `at` ends a range whose start has no unit of its own.
fn range_start(title: &str, at: usize) -> Option<&str> {
    let before = title[..at].trim_end().strip_suffix(TILDES)?.trim_end();
    let digits_start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == ',' || *c == '.')
        .last()
        .map(|(i, _)| i)?;
    let number = &before[digits_start..];
    number.starts_with(|c: char| c.is_ascii_digit()).then_some(number)
}

/// Whether the amount starting at `start` is a shipping cost: a shipping word right before it, or the
/// second amount of `(price/shipping)`.
fn is_shipping(title: &str, start: usize, earlier: &[Amount]) -> bool {
    let clause_start = title[..start]
        .rfind(['(', '/', ',', '[', ']', '+'])
        .map_or(0, |i| i + 1);
    let clause = &title[clause_start..start];
    if SHIPPING_WORDS.iter().any(|w| clause.contains(w)) {
        return true;
    }
    let Some(open) = title[..start].rfind('(') else {
        return false;
    };
    let group = &title[open..start];
    !group.contains(')')
        && group.contains('/')
        && earlier
            .iter()
            .any(|a| !a.shipping && a.start > open && title[a.start..start].contains('/'))
}

/// True when only a cut mark (and spaces) follows: the amount may have lost digits.
fn runs_into_cut(after: &str) -> bool {
    let after = after.trim();
    CUT_MARKS.contains(&after)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn won(amount: i64) -> DealPrice {
        DealPrice::Won(amount)
    }

    fn unknown() -> DealPrice {
        DealPrice::Text(String::new())
    }

    #[test]
    fn the_price_written_in_a_title_is_read_in_its_usual_forms() {
        assert_eq!(price_in("[쿠팡] 짜장 라면 8봉 (7,520원/무료)"), won(7_520));
        assert_eq!(price_in("[반다이몰] 피규어 재입고 / 64,800원"), won(64_800));
        assert_eq!(
            price_in("[하이마트]창문형 에어컨 [자가설치](61.6만)"),
            won(616_000)
        );
        assert_eq!(price_in("[G마켓] 상품권 (1만원)"), won(10_000));
        assert_eq!(price_in("[G마켓] 상품권 5만원권 (4.6만원)"), won(46_000));
        assert_eq!(price_in("[11번가] 키보드 (3천원)"), won(3_000));
        assert_eq!(price_in("[알리] 모니터 ₩147,200"), won(147_200));
        assert_eq!(
            price_in("[옥션] 아트북 35,640원 (5대 카드 / 무료배송)"),
            won(35_640)
        );
        let range = DealPrice::Range {
            min: 12_000,
            max: 15_000,
        };
        assert_eq!(price_in("[지마켓] 생수 (12,000~15,000원)"), range);
        assert_eq!(price_in("[지마켓] 생수 12,000원 ~ 15,000원"), range);
        assert_eq!(price_in("[지마켓] 생수 (1.2~1.5만원)"), range);
        assert_eq!(price_in("[배송비포함] 라면 3,000원"), won(3_000));
    }

    #[test]
    fn foreign_prices_in_titles_keep_their_currency() {
        assert_eq!(
            price_in("[스팀] 게임 할인 ($12.99)"),
            DealPrice::Foreign {
                currency: "USD".into(),
                minor_units: 1_299,
                text: "$12.99".into()
            }
        );
        assert_eq!(
            price_in("[아마존] 커피 €9,50"),
            unknown(),
            "a decimal comma is not guessed"
        );
        assert_eq!(
            price_in("[일본e샵] 게임 각 1,000엔"),
            DealPrice::Foreign {
                currency: "JPY".into(),
                minor_units: 1_000,
                text: "¥1,000".into()
            }
        );
    }

    #[test]
    fn free_shipping_and_shipping_costs_are_not_the_price() {
        assert_eq!(price_in("[네이버] 컬렉터즈 (96,000원/택3,000원)"), won(96_000));
        assert_eq!(price_in("[쿠팡] 물 (9,900원/2,500원)"), won(9_900));
        assert_eq!(price_in("[쿠팡] 물 배송비 2,500원"), unknown());
        assert_eq!(price_in("[쿠팡] 본체 + 게임(각기다름/무료배송)"), unknown());
        assert_ne!(price_in("[쿠팡] 라면 (7,520원/무료)"), DealPrice::Free);
    }

    #[test]
    fn a_giveaway_is_free_but_free_shipping_alone_is_not() {
        assert_eq!(price_in("[에픽게임즈] 퍼즐 게임 (무료)"), DealPrice::Free);
        assert_eq!(price_in("[에셋스토어] (무료) 재질 팩"), DealPrice::Free);
        assert_eq!(price_in("[쿠팡] 과자 (무료배송)"), unknown());
    }

    #[test]
    fn numbers_without_a_currency_and_counts_are_not_prices() {
        for title in [
            "[CJONE] 아메리카노 50% 할인 쿠폰",
            "[쿠팡] 라면 137g 8봉",
            "[알리] 12.3인치 태블릿",
            "[네이버] 쿠폰 (오전 9시)",
            "[네이버페이] 10만 포인트 적립",
            "[스팀] 와일드랜드2.740원",
        ] {
            assert_eq!(price_in(title), unknown(), "{title}");
        }
    }

    #[test]
    fn an_amount_cut_by_the_list_or_several_prices_give_no_price() {
        assert_eq!(price_in("[알리] 태블릿 모니터 ₩147,20..."), unknown());
        assert_eq!(price_in("[하이마트] 본체 + 게임 787,6..."), unknown());
        assert_eq!(price_in("[롯데온] 커피 20개 (15,890원/무료..."), won(15_890));
        assert_eq!(price_in("[하이마트] 배그100원,킹덤하츠3 990원"), unknown());
        assert_eq!(price_in("[네이버페이] 클릭 38원, 라이브 2원"), unknown());
        assert_eq!(
            price_in("[쿠팡] 라면 (7,520원) 7,520원"),
            won(7_520),
            "one price, twice"
        );
    }

    #[test]
    fn absurd_amounts_are_not_prices() {
        assert_eq!(price_in("[쿠팡] 99999999999999999999원"), unknown());
        assert_eq!(price_in("[쿠팡] 9999999999999999만원"), unknown());
    }

    #[test]
    fn cut_titles_are_recognised_and_completed_from_the_post() {
        assert!(is_cut("[예판] 닌텐도 스위치 2 본체 727..."));
        assert!(is_cut("[예판] 닌텐도 스위치 2 본체 727…  "));
        assert!(!is_cut("[예판] 닌텐도 스위치 2 본체"));
        assert_eq!(
            completed(
                "[예판] 닌텐도 스위치 2 \t727...",
                " [예판] 닌텐도 스위치 2 727,000원 (무료배송)"
            )
            .as_deref(),
            Some("[예판] 닌텐도 스위치 2 727,000원 (무료배송)")
        );
        assert_eq!(completed("[예판] 닌텐도 727...", "[쿠팡] 다른 글"), None);
        assert_eq!(completed("[예판] 닌텐도", "[예판] 닌텐도 스위치"), None);
    }

    #[test]
    fn leading_tags_are_read_in_order() {
        assert_eq!(
            leading_tags("[종료] [하이마트]에어컨 (61.6만)"),
            ["종료", "하이마트"]
        );
        assert_eq!(leading_tags("(종료)[쿠팡] 라면"), ["종료", "쿠팡"]);
        assert!(leading_tags("라면 [종료]").is_empty());
        assert_eq!(leading_tags("[열린 태그"), Vec::<&str>::new());
    }
}
