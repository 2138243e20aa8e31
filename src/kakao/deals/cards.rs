//! How hot deals look in KakaoTalk.
//!
//! A page is one carousel. Kakao's commerce card always shows its price as a won integer, so a page is
//! made of commerce cards only when every deal on it has a price in won (a range shows its lower end, with
//! the range written out); otherwise it is made of basic cards with the price written as the board gave it.
//! Showing `$79.99`, `가격다양` or an unknown price as `0원` would tell users the deal is free.

use crate::kakao::extra::{ExtraKeys, Key, extra};
use std::time::Duration;

use crate::kakao::{Block, Nav};
use kakao_skill::{
    BasicCard, Button, Carousel, CommerceCard, Extra, Output, Profile, SimpleText, SkillResponse, Thumbnail,
    WebUrl,
};

use crate::deal_sources::DealSource;
use crate::deals::price::DealPrice;
use crate::deals::view::{Shown, View};

/// Deals per page, as in the original.
pub const PAGE_SIZE: usize = 5;
/// Source quick replies shown at most, so navigation always fits Kakao's ten.
const SOURCE_REPLIES_MAX: usize = 6;

pub const LOADING: &str = "핫딜을 불러오는 중이에요… 잠시 후 다시 열어 주세요.";
pub const SWITCHED_OFF: &str = "지금은 핫딜을 볼 수 없어요.";

/// What one page shows.
pub struct Page<'a> {
    pub nav: &'a Nav,
    pub view: &'a View,
    /// How many deals earlier pages showed.
    pub at: usize,
    /// The one source asked for, if any.
    pub filter: Option<&'a str>,
    /// Every enabled source, for the filter quick replies.
    pub sources: Vec<&'a DealSource>,
    pub placeholder: &'a WebUrl,
}

/// Hot deals are switched off (`DEALS_ENABLED=false` or no enabled source).
pub fn switched_off(nav: &Nav) -> SkillResponse {
    SkillResponse::text(SWITCHED_OFF).quick_reply(nav.go("처음으로", Block::Main))
}

/// The page: a carousel with a note when the data is old or partial, or a message saying why there is
/// nothing to show; "더보기" only when a next page exists.
pub fn page(page: &Page<'_>) -> SkillResponse {
    let mut deals = page.view.deals().skip(page.at).take(PAGE_SIZE + 1);
    let shown: Vec<Shown<'_>> = deals.by_ref().take(PAGE_SIZE).collect();
    let has_next = deals.next().is_some();
    let Some(carousel) = carousel(&shown, page.placeholder) else {
        return nothing_to_show(page);
    };
    let mut response = match note(page.view) {
        Some(note) => SkillResponse::new(SimpleText::new(note)).output(carousel),
        None => SkillResponse::new(carousel),
    };
    if has_next {
        let extra = with_filter(extra(Key::Cursor, page.at + shown.len()), page.filter);
        response = response.quick_reply(page.nav.quick_reply("더보기", Block::Deals, extra));
    }
    navigation(response, page)
}

fn nothing_to_show(page: &Page<'_>) -> SkillResponse {
    let nav = page.nav;
    let view = page.view;
    let text = if page.at > 0 && !view.has_no_data() {
        "더 볼 핫딜이 없어요."
    } else if view.waiting > 0 {
        LOADING
    } else if view.failing > 0 {
        "지금은 핫딜 게시판을 읽지 못하고 있어요. 잠시 후 다시 확인해 주세요."
    } else {
        "지금 소개할 핫딜이 없어요. 잠시 후 다시 확인해 주세요."
    };
    let again = if page.at > 0 {
        "처음부터"
    } else {
        "다시 보기"
    };
    let response = SkillResponse::text(text).quick_reply(nav.quick_reply(
        again,
        Block::Deals,
        with_filter(Extra::new(), page.filter),
    ));
    response.quick_reply(nav.go("처음으로", Block::Main))
}

/// A line above the carousel when the deals are old or some boards are missing.
fn note(view: &View) -> Option<String> {
    let mut lines = Vec::new();
    if let Some(age) = view.stale_age {
        lines.push(format!(
            "{} 전에 모은 핫딜이에요. 새 소식을 불러오고 있어요.",
            age_text(age)
        ));
    }
    if view.waiting > 0 {
        lines.push("일부 게시판은 아직 불러오는 중이에요.".to_owned());
    }
    if view.failing > 0 {
        lines.push("일부 게시판은 지금 읽지 못하고 있어요.".to_owned());
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// Source filters when showing everything, "전체 핫딜" when filtered, and the main menu.
fn navigation(mut response: SkillResponse, page: &Page<'_>) -> SkillResponse {
    let nav = page.nav;
    match page.filter {
        Some(_) => response = response.quick_reply(nav.go("전체 핫딜", Block::Deals)),
        None if page.sources.len() > 1 => {
            for source in page.sources.iter().take(SOURCE_REPLIES_MAX) {
                let extra = extra(Key::Source, &source.key);
                response = response.quick_reply(nav.quick_reply(&source.name, Block::Deals, extra));
            }
        }
        None => {}
    }
    response.quick_reply(nav.go("처음으로", Block::Main))
}

fn with_filter(extra: Extra, filter: Option<&str>) -> Extra {
    match filter {
        Some(key) => extra.put(Key::Source, key),
        None => extra,
    }
}

/// Commerce cards when every price is in won, basic cards otherwise; `None` for no deals.
fn carousel(shown: &[Shown<'_>], placeholder: &WebUrl) -> Option<Output> {
    if shown.iter().all(|s| won(&s.deal.row.price).is_some()) {
        Carousel::from_cards(shown.iter().filter_map(|s| commerce_card(s, placeholder))).map(Output::from)
    } else {
        Carousel::from_cards(shown.iter().filter_map(|s| basic_card(s, placeholder))).map(Output::from)
    }
}

/// The amount a commerce card may show: a price in won, or the lower end of a range.
fn won(price: &DealPrice) -> Option<u64> {
    match price {
        DealPrice::Won(amount) | DealPrice::Range { min: amount, .. } => u64::try_from(*amount).ok(),
        _ => None,
    }
}

/// A deal as a commerce card: title, price, category (and the range), the shop, a photo, and buttons to
/// the post and the shop. `None` when the post's URL is not one Kakao accepts.
fn commerce_card(shown: &Shown<'_>, placeholder: &WebUrl) -> Option<CommerceCard> {
    let row = &shown.deal.row;
    let price = won(&row.price)?;
    let (first, second) = buttons(shown)?;
    let range = matches!(row.price, DealPrice::Range { .. }).then(|| row.price.display());
    let description: Vec<&str> = range
        .as_deref()
        .into_iter()
        .chain(row.category.as_deref())
        .collect();
    let mut card = CommerceCard::new(price, thumbnail(shown, placeholder), first)
        .title(&row.title)
        .description(description.join(" · "))
        .profile(profile(shown));
    if let Some(second) = second {
        card = card.button(second);
    }
    Some(card)
}

/// A deal as a basic card, the price written as the board gave it.
fn basic_card(shown: &Shown<'_>, placeholder: &WebUrl) -> Option<BasicCard> {
    let row = &shown.deal.row;
    let (first, second) = buttons(shown)?;
    let about: Vec<&str> = row
        .category
        .iter()
        .map(String::as_str)
        .chain([shop(shown)])
        .collect();
    let mut card = BasicCard::new(thumbnail(shown, placeholder))
        .title(&row.title)
        .description(format!("{}\n{}", row.price.display(), about.join(" · ")))
        .button(first);
    if let Some(second) = second {
        card = card.button(second);
    }
    Some(card)
}

/// "상세보기" to the post, and "구매하러가기" to the shop when the post named one.
fn buttons(shown: &Shown<'_>) -> Option<(Button, Option<Button>)> {
    let post = WebUrl::parse(&shown.deal.row.detail_url).ok()?;
    let shop = shown
        .deal
        .purchase_url
        .as_deref()
        .and_then(|url| WebUrl::parse(url).ok())
        .map(|url| Button::web_link("구매하러가기", url));
    Some((Button::web_link("상세보기", post), shop))
}

fn thumbnail(shown: &Shown<'_>, placeholder: &WebUrl) -> Thumbnail {
    let url = shown
        .deal
        .row
        .thumbnail
        .as_deref()
        .and_then(|url| WebUrl::parse(url).ok());
    Thumbnail::new(url.unwrap_or_else(|| placeholder.clone()))
}

/// The shop's name (from the deal's page), else the board's.
fn shop<'a>(shown: &Shown<'a>) -> &'a str {
    shown.deal.brand.as_deref().unwrap_or(&shown.source.name)
}

fn profile(shown: &Shown<'_>) -> Profile {
    let logo = shown
        .deal
        .row
        .brand_logo
        .as_deref()
        .and_then(|url| WebUrl::parse(url).ok());
    Profile::new(shop(shown), logo)
}

/// `3분`, `2시간`, `1일` (`30초` under a minute).
pub fn age_text(age: Duration) -> String {
    let seconds = age.as_secs();
    match seconds {
        0..60 => format!("{seconds}초"),
        60..3_600 => format!("{}분", seconds / 60),
        3_600..86_400 => format!("{}시간", seconds / 3_600),
        _ => format!("{}일", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::deal_sources::shipped_sources;
    use crate::deals::extract::DealRow;
    use crate::deals::parse_price;
    use crate::deals::shelf::{Deal, Snapshot};
    use crate::deals::view::Part;
    use kakao_skill::check::check_skill_response;

    fn deal(n: usize, price: &str) -> Deal {
        Deal {
            row: DealRow {
                title: format!("[쇼핑몰] 상품 {n}"),
                price: parse_price(price),
                category: Some("먹거리".into()),
                labels: vec![],
                thumbnail: n
                    .is_multiple_of(2)
                    .then(|| format!("https://img.example.com/{n}.jpg")),
                brand_logo: None,
                detail_url: format!("https://deals.example.com/{n}"),
            },
            purchase_url: n
                .is_multiple_of(3)
                .then(|| format!("https://shop.example.com/{n}")),
            brand: Some("쇼핑몰".into()),
            full_title: None,
            detail_read: true,
        }
    }

    fn view(prices: &[&str]) -> View {
        let source = shipped_sources().unwrap().remove(0);
        let deals = prices.iter().enumerate().map(|(n, p)| deal(n, p)).collect();
        View {
            parts: vec![Part {
                snapshot: Arc::new(Snapshot {
                    source: source.key.clone(),
                    fetched_at_ms: 0,
                    deals,
                }),
                source: Arc::new(source),
            }],
            ..View::default()
        }
    }

    fn render(view: &View, at: usize) -> serde_json::Value {
        let nav = Nav::default();
        let placeholder = WebUrl::parse("https://bot.example.com/static/no-photo.png").unwrap();
        let response = page(&Page {
            nav: &nav,
            view,
            at,
            filter: None,
            sources: vec![],
            placeholder: &placeholder,
        });
        let json = serde_json::to_value(&response).unwrap();
        check_skill_response(&json).unwrap_or_else(|v| panic!("{v:?}\n{json:#}"));
        json
    }

    #[test]
    fn won_prices_make_commerce_cards_and_a_range_shows_its_lower_end() {
        let json = render(&view(&["12,345원", "12,000~15,000원"]), 0);
        let carousel = &json["template"]["outputs"][0]["carousel"];
        assert_eq!(carousel["type"], "commerceCard");
        assert_eq!(carousel["items"][0]["price"], 12_345);
        assert_eq!(carousel["items"][1]["price"], 12_000);
        assert_eq!(carousel["items"][1]["description"], "12,000~15,000원 · 먹거리");
        assert_eq!(carousel["items"][1]["profile"]["nickname"], "쇼핑몰");
    }

    #[test]
    fn a_price_not_in_won_makes_the_page_basic_cards_and_is_never_zero() {
        let json = render(&view(&["12,345원", "$19.99 (USD)", "가격다양", "무료", ""]), 0);
        let carousel = &json["template"]["outputs"][0]["carousel"];
        assert_eq!(carousel["type"], "basicCard");
        let descriptions: Vec<&str> = carousel["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["description"].as_str().unwrap())
            .collect();
        assert!(descriptions[0].starts_with("12,345원\n"));
        assert!(descriptions[1].starts_with("$19.99\n"));
        assert!(descriptions[2].starts_with("가격다양\n"));
        assert!(descriptions[3].starts_with("무료\n"));
        assert!(descriptions[4].starts_with("가격 정보 없음\n"));
        assert!(
            descriptions
                .iter()
                .all(|d| !d.contains("0원\n") || d.starts_with("12,345"))
        );
    }

    #[test]
    fn buttons_lead_to_the_post_and_to_the_shop_when_known() {
        let json = render(&view(&["1,000원", "2,000원", "3,000원", "4,000원"]), 0);
        let items = &json["template"]["outputs"][0]["carousel"]["items"];
        assert_eq!(
            items[0]["buttons"][0]["webLinkUrl"],
            "https://deals.example.com/0"
        );
        assert_eq!(items[0]["buttons"][1]["webLinkUrl"], "https://shop.example.com/0");
        assert_eq!(items[1]["buttons"].as_array().unwrap().len(), 1);
        assert_eq!(
            items[1]["thumbnails"][0]["imageUrl"],
            "https://bot.example.com/static/no-photo.png"
        );
    }

    #[test]
    fn more_appears_only_when_a_next_page_exists() {
        let prices = ["1,000원"; 7];
        let first = render(&view(&prices), 0);
        let labels = |json: &serde_json::Value| -> Vec<String> {
            json["template"]["quickReplies"]
                .as_array()
                .unwrap()
                .iter()
                .map(|q| q["label"].as_str().unwrap().to_owned())
                .collect()
        };
        assert_eq!(
            first["template"]["outputs"][0]["carousel"]["items"]
                .as_array()
                .unwrap()
                .len(),
            PAGE_SIZE
        );
        assert!(labels(&first).contains(&"더보기".to_owned()));
        let second = render(&view(&prices), PAGE_SIZE);
        assert!(!labels(&second).contains(&"더보기".to_owned()));
        let past = render(&view(&prices), 20);
        assert_eq!(
            past["template"]["outputs"][0]["simpleText"]["text"],
            "더 볼 핫딜이 없어요."
        );
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(age_text(Duration::from_secs(5)), "5초");
        assert_eq!(age_text(Duration::from_secs(150)), "2분");
        assert_eq!(age_text(Duration::from_secs(7_300)), "2시간");
        assert_eq!(age_text(Duration::from_secs(200_000)), "2일");
    }
}
