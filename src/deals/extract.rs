//! Reading deals out of a board's list (an HTML page or an RSS feed) and a deal's own page.
//!
//! Everything here is synchronous and returns owned data: `scraper::Html` is not `Send`, so an async caller
//! parses inside `spawn_blocking` and gets plain [`DealRow`]s back. Fetching, pacing and caching belong to the
//! caller; this module only reads markup.
//!
//! What a user needs is not always what the markup says: a title anchor may also hold the comment count
//! (left out with the field's `drop` selectors), a deal may be marked over by a label or by a `[종료]` tag
//! in front of its title (left out either way), and a board without a price field writes the price into the
//! title (read by [`title::price_in`]). Every row that is left out is reported with its reason
//! ([`ListReport::skipped`]), so an operator trying a board sees why.
//!
//! A site that changes its markup must not look like a board with no deals. When the row selector matches
//! nothing, or rows match but none of them yields a title and a link (skipped rows aside), the page is
//! reported as [`ExtractError::LayoutChanged`], so the caller keeps the previous good data and tells an
//! operator. Rows that match but are all skipped on purpose (ended, blinded) are an ordinary empty list.

use std::collections::HashSet;

use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};
use url::Url;

use super::links::{page_url, shop_url};
use super::price::{DealPrice, parse_price};
use super::title;
use crate::deal_sources::{AttrField, Css, DealSource, Field, HtmlList, ListFormat, header_text};

/// One deal from a list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRow {
    pub title: String,
    pub price: DealPrice,
    pub category: Option<String>,
    /// Every status mark the row carries (`인기`, `진행중`), in page order; kept so that a deal whose
    /// mark is added to `skip_labels` later is hidden from snapshots read before.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Absolute http(s) URL.
    pub thumbnail: Option<String>,
    /// Absolute http(s) URL.
    pub brand_logo: Option<String>,
    /// Absolute http(s) URL of the deal's page on the board, without a fragment.
    pub detail_url: String,
}

/// What a deal's own page adds to its row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDetail {
    /// Absolute http(s) URL of the shop's page.
    pub purchase_url: Option<String>,
    pub brand: Option<String>,
    /// The post's whole title (a list may cut it).
    #[serde(default)]
    pub title: Option<String>,
}

/// What one list page gave: the deals in page order, and every row left out with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListReport {
    /// Rows (or feed items) the page had.
    pub matched: usize,
    pub deals: Vec<DealRow>,
    pub skipped: Vec<Skipped>,
}

/// A row that is not a deal to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The row's place on the page, from 1.
    pub position: usize,
    pub reason: SkipReason,
    /// The row's text, shortened, for the operator to recognise it.
    pub text: String,
}

/// Why a row was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Marked over by this label or title tag (`skip_labels`).
    Ended(String),
    /// Contains this `skip_texts` entry.
    Text(String),
    /// Contains an element this `skip_rows_with` selector matches.
    Marked(String),
    /// No title where the title field points.
    NoTitle,
    /// No http(s) link where the link field points (what was there instead, if anything).
    NoLink(Option<String>),
    /// The same post again, earlier on the page.
    Repeat,
}

impl SkipReason {
    /// Skipped on purpose: the page is as expected, the row is just not a live deal.
    fn on_purpose(&self) -> bool {
        !matches!(self, Self::NoTitle | Self::NoLink(_))
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ended(label) => write!(f, "ended ({label})"),
            Self::Text(text) => write!(f, "skip text {text:?}"),
            Self::Marked(selector) => write!(f, "has {selector}"),
            Self::NoTitle => f.write_str("no title"),
            Self::NoLink(Some(value)) => write!(f, "no http(s) link ({value:?})"),
            Self::NoLink(None) => f.write_str("no link"),
            Self::Repeat => f.write_str("repeat of an earlier row"),
        }
    }
}

/// Why a list page gave no deals when it should have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    #[error("deal source {source_key:?}: the page layout changed: {problem}")]
    LayoutChanged {
        source_key: String,
        problem: LayoutProblem,
    },
    #[error("deal source {source_key:?}: page URL {page_url:?} is not an absolute URL")]
    BadPageUrl { source_key: String, page_url: String },
}

/// How a layout change showed itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutProblem {
    /// The row selector matched nothing (a feed: no items).
    NoRows,
    /// Rows matched, but none that was not skipped on purpose had both a title and a link.
    NoUsableRows { rows: usize },
    /// The feed's URL did not answer an RSS document.
    NotAFeed,
}

impl std::fmt::Display for LayoutProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoRows => f.write_str("the row selector matches nothing"),
            Self::NoUsableRows { rows } => write!(f, "{rows} rows matched but none has a title and a link"),
            Self::NotAFeed => f.write_str("the feed is not an RSS document"),
        }
    }
}

/// Reads the deals on one list page (or feed), in page order (see the module documentation).
pub fn extract_list(source: &DealSource, body: &str, page_url: &str) -> Result<Vec<DealRow>, ExtractError> {
    read_list(source, body, page_url).map(|report| report.deals)
}

/// Reads one list page (or feed) into its deals and the rows left out.
pub fn read_list(source: &DealSource, body: &str, page_url: &str) -> Result<ListReport, ExtractError> {
    let base = Url::parse(page_url).map_err(|_| ExtractError::BadPageUrl {
        source_key: source.key.clone(),
        page_url: page_url.to_owned(),
    })?;
    let rows = match &source.list {
        ListFormat::Html(list) => html_rows(source, list, body, &base),
        ListFormat::Rss => feed_rows(source, body, &base),
    };
    let layout = |problem| ExtractError::LayoutChanged {
        source_key: source.key.clone(),
        problem,
    };
    let report = collect(rows.map_err(layout)?);
    let problem = if report.matched == 0 {
        Some(LayoutProblem::NoRows)
    } else if report.deals.is_empty() && !report.skipped.iter().all(|s| s.reason.on_purpose()) {
        Some(LayoutProblem::NoUsableRows { rows: report.matched })
    } else {
        None
    };
    match problem {
        Some(problem) => Err(layout(problem)),
        None => Ok(report),
    }
}

/// One row's outcome, with the row's text for the report.
type RowResult = (Result<DealRow, SkipReason>, String);

/// Puts the rows in a report; a post seen earlier on the page is a repeat.
fn collect(rows: Vec<RowResult>) -> ListReport {
    let mut report = ListReport {
        matched: rows.len(),
        ..ListReport::default()
    };
    let mut seen = HashSet::new();
    for (index, (row, text)) in rows.into_iter().enumerate() {
        let outcome = row.and_then(|row| {
            if seen.insert(row.detail_url.clone()) {
                Ok(row)
            } else {
                Err(SkipReason::Repeat)
            }
        });
        match outcome {
            Ok(row) => report.deals.push(row),
            Err(reason) => report.skipped.push(Skipped {
                position: index + 1,
                reason,
                text: shorten(&text, 60),
            }),
        }
    }
    report
}

fn html_rows(
    source: &DealSource,
    list: &HtmlList,
    html: &str,
    base: &Url,
) -> Result<Vec<RowResult>, LayoutProblem> {
    let document = Html::parse_document(html);
    let skip_texts: Vec<String> = source
        .skip_texts
        .iter()
        .map(|t| collapse(t.split_whitespace()))
        .collect();
    Ok(document
        .select(&list.row.selector)
        .map(|row| {
            let text = collapse(row.text().flat_map(str::split_whitespace));
            (html_row(source, list, row, base, &skip_texts, &text), text)
        })
        .collect())
}

fn html_row(
    source: &DealSource,
    list: &HtmlList,
    row: ElementRef<'_>,
    base: &Url,
    skip_texts: &[String],
    row_text: &str,
) -> Result<DealRow, SkipReason> {
    let labels = list.label.as_ref().map(|f| all_texts(row, f)).unwrap_or_default();
    if let Some(ended) = labels.iter().find(|l| source.marks_ended(l)) {
        return Err(SkipReason::Ended(ended.clone()));
    }
    if let Some(text) = skip_texts.iter().find(|t| row_text.contains(t.as_str())) {
        return Err(SkipReason::Text(text.clone()));
    }
    if let Some(css) = list
        .skip_rows_with
        .iter()
        .find(|css| row.select(&css.selector).next().is_some())
    {
        return Err(SkipReason::Marked(css.text.clone()));
    }
    let title = text(row, &list.title).ok_or(SkipReason::NoTitle)?;
    if let Some(tag) = title::leading_tags(&title)
        .into_iter()
        .find(|t| source.marks_ended(t))
    {
        return Err(SkipReason::Ended(format!("[{tag}]")));
    }
    let href = attr(row, &list.link).map(|(value, _)| value);
    let detail_url = href
        .as_deref()
        .and_then(|value| page_url(value, base))
        .ok_or(SkipReason::NoLink(href))?;
    let price = match list.price.as_ref().and_then(|f| text(row, f)) {
        Some(written) => parse_price(&written),
        None => title::price_in(&title),
    };
    let image = |field: &Option<AttrField>| {
        field
            .as_ref()
            .and_then(|f| attr(row, f))
            .and_then(|(value, _)| page_url(&value, base))
    };
    Ok(DealRow {
        price,
        category: list.category.as_ref().and_then(|f| text(row, f)),
        labels,
        thumbnail: image(&list.thumbnail),
        brand_logo: image(&list.brand_logo),
        title,
        detail_url,
    })
}

/// The items of an RSS 2.0 feed: `title`, `link` (else a permalink `guid`), the first `category`, and an
/// image from `enclosure` or `media:thumbnail`/`media:content`.
fn feed_rows(source: &DealSource, xml: &str, base: &Url) -> Result<Vec<RowResult>, LayoutProblem> {
    let document = roxmltree::Document::parse(xml).map_err(|_| LayoutProblem::NotAFeed)?;
    if !document.root_element().has_tag_name("rss") {
        return Err(LayoutProblem::NotAFeed);
    }
    Ok(document
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == "item")
        .map(|item| {
            let title = child_text(item, "title").unwrap_or_default();
            (feed_item(source, item, &title, base), title)
        })
        .collect())
}

fn feed_item(
    source: &DealSource,
    item: roxmltree::Node<'_, '_>,
    title: &str,
    base: &Url,
) -> Result<DealRow, SkipReason> {
    if let Some(text) = source.skip_texts.iter().find(|t| title.contains(t.trim())) {
        return Err(SkipReason::Text(text.clone()));
    }
    if title.is_empty() {
        return Err(SkipReason::NoTitle);
    }
    if let Some(tag) = title::leading_tags(title)
        .into_iter()
        .find(|t| source.marks_ended(t))
    {
        return Err(SkipReason::Ended(format!("[{tag}]")));
    }
    let permalink = children(item, "guid")
        .find(|g| g.attribute("isPermaLink") != Some("false"))
        .map(node_text);
    let link = child_text(item, "link").or(permalink);
    let detail_url = link
        .as_deref()
        .and_then(|l| page_url(l, base))
        .ok_or(SkipReason::NoLink(link))?;
    let image = item
        .children()
        .filter(|n| n.is_element())
        .find_map(|n| {
            let name = n.tag_name().name();
            let is_image = n.attribute("type").is_none_or(|t| t.starts_with("image/"))
                && n.attribute("medium").is_none_or(|m| m == "image");
            let carries = matches!(name, "enclosure" | "thumbnail" | "content");
            (carries && is_image).then(|| n.attribute("url")).flatten()
        })
        .and_then(|u| page_url(u, base));
    Ok(DealRow {
        title: title.to_owned(),
        price: title::price_in(title),
        category: child_text(item, "category"),
        labels: Vec::new(),
        thumbnail: image,
        brand_logo: None,
        detail_url,
    })
}

fn children<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'i>> {
    node.children()
        .filter(move |n| n.is_element() && n.tag_name().name() == name && n.tag_name().namespace().is_none())
}

/// The collapsed text of the first `name` child; `None` when absent or empty.
fn child_text(node: roxmltree::Node<'_, '_>, name: &'static str) -> Option<String> {
    children(node, name).map(node_text).find(|t| !t.is_empty())
}

fn node_text(node: roxmltree::Node<'_, '_>) -> String {
    collapse(
        node.descendants()
            .filter(|d| d.is_text())
            .filter_map(|d| d.text())
            .flat_map(str::split_whitespace),
    )
}

/// Reads a deal's own page. Missing selectors, elements or a bad `page_url` give `None` fields: the row
/// from the list page is still worth showing without them.
pub fn extract_detail(source: &DealSource, html: &str, page_url: &str) -> DealDetail {
    let Some(selectors) = &source.detail else {
        return DealDetail::default();
    };
    let document = Html::parse_document(html);
    let root = document.root_element();
    let purchase_url = match (&selectors.purchase_url, Url::parse(page_url)) {
        (Some(field), Ok(base)) => {
            attr(root, field).and_then(|(value, text)| shop_url(&value, Some(&text), &base))
        }
        _ => None,
    };
    DealDetail {
        purchase_url,
        brand: selectors.brand.as_ref().and_then(|f| text(root, f)),
        title: selectors.title.as_ref().and_then(|f| text(root, f)),
    }
}

/// Drops rows whose detail URL was already seen (the same deal pinned twice, or on two pages), keeping the
/// first and the order.
pub fn dedup(rows: Vec<DealRow>) -> Vec<DealRow> {
    let mut seen = HashSet::new();
    rows.into_iter()
        .filter(|row| seen.insert(row.detail_url.clone()))
        .collect()
}

fn collapse<'a>(words: impl Iterator<Item = &'a str>) -> String {
    words.collect::<Vec<_>>().join(" ")
}

fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Where a field is looked for: `scope` itself, or the rows under it whose header cell names the field.
fn scopes<'a>(scope: ElementRef<'a>, field: &Field) -> Vec<ElementRef<'a>> {
    let Some(header) = &field.header else {
        return vec![scope];
    };
    scope
        .select(&header.rows.selector)
        .filter(|row| {
            row.child_elements()
                .find(|cell| cell.value().name() == "th")
                .is_some_and(|th| header_text(&th.text().collect::<String>()) == header.text)
        })
        .collect()
}

/// The text of the first match of the field's selectors, in their order, that has any: whitespace
/// collapsed, `drop` elements left out; `None` when nothing matches or all is empty.
fn text(scope: ElementRef<'_>, field: &Field) -> Option<String> {
    let scopes = scopes(scope, field);
    field.selectors.iter().find_map(|css| {
        scopes
            .iter()
            .flat_map(|s| s.select(&css.selector))
            .map(|element| element_text(element, &field.drop))
            .find(|t| !t.is_empty())
    })
}

/// The texts of every match of the field (labels: a row may carry several).
fn all_texts(scope: ElementRef<'_>, field: &Field) -> Vec<String> {
    let scopes = scopes(scope, field);
    field
        .selectors
        .iter()
        .flat_map(|css| scopes.iter().flat_map(move |s| s.select(&css.selector)))
        .map(|element| element_text(element, &field.drop))
        .filter(|t| !t.is_empty())
        .collect()
}

/// An element's text without the text inside `drop` matches.
fn element_text(element: ElementRef<'_>, drop: &[Css]) -> String {
    let dropped: HashSet<_> = drop
        .iter()
        .flat_map(|css| element.select(&css.selector))
        .map(|e| e.id())
        .collect();
    let kept = element.descendants().filter_map(|node| {
        let text = node.value().as_text()?;
        let inside_dropped = node
            .ancestors()
            .take_while(|a| a.id() != element.id())
            .any(|a| dropped.contains(&a.id()));
        (!inside_dropped).then_some(&**text)
    });
    collapse(kept.flat_map(str::split_whitespace))
}

/// The attribute of the first match that has a non-empty one, with that element's text.
fn attr(scope: ElementRef<'_>, field: &AttrField) -> Option<(String, String)> {
    let scopes = scopes(scope, &field.field);
    field.field.selectors.iter().find_map(|css| {
        scopes
            .iter()
            .flat_map(|s| s.select(&css.selector))
            .find_map(|element| {
                let value = element.attr(&field.attr)?.trim();
                (!value.is_empty()).then(|| {
                    (
                        value.to_owned(),
                        collapse(element.text().flat_map(str::split_whitespace)),
                    )
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deal_sources::{load_sources, shipped_sources};

    const QUASAR_LIST: &str = include_str!("../../tests/fixtures/deals/quasarzone_list.html");
    const QUASAR_DETAIL: &str = include_str!("../../tests/fixtures/deals/quasarzone_detail.html");
    const QUASAR_DETAIL_V2: &str = include_str!("../../tests/fixtures/deals/quasarzone_detail_v2.html");
    const RULIWEB_LIST: &str = include_str!("../../tests/fixtures/deals/ruliweb_list.html");
    const RULIWEB_DETAIL: &str = include_str!("../../tests/fixtures/deals/ruliweb_detail.html");
    const RULIWEB_RSS: &str = include_str!("../../tests/fixtures/deals/ruliweb_rss.xml");
    const EXAMPLE_LIST: &str = include_str!("../../tests/fixtures/deals/example_board_list.html");
    const EXAMPLE_DETAIL: &str = include_str!("../../tests/fixtures/deals/example_board_detail.html");
    const CHANGED: &str = include_str!("../../tests/fixtures/deals/changed_layout.html");

    const QUASAR_PAGE: &str = "https://quasarzone.com/bbs/qb_saleinfo?page=1";
    const RULIWEB_PAGE: &str = "https://bbs.ruliweb.com/market/board/1020?page=1";
    const EXAMPLE_PAGE: &str = "https://hotdeal.example.com/board/list?id=hotdeal&page=1";

    fn source(key: &str) -> DealSource {
        shipped_sources()
            .unwrap()
            .into_iter()
            .find(|s| s.key == key)
            .unwrap()
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    fn skipped(report: &ListReport) -> Vec<(usize, SkipReason)> {
        report
            .skipped
            .iter()
            .map(|s| (s.position, s.reason.clone()))
            .collect()
    }

    #[test]
    fn the_quasarzone_list_gives_every_field_of_every_live_deal() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        let titles: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "[11번가] 삼성전자 990 PRO 2TB NVMe SSD",
                "[아마존] Logitech MX Master 3S 마우스",
                "[G마켓] 농심 신라면 40봉 (가격 다양)",
                "[쿠팡] 스팀 기프트카드 무료 쿠폰",
                "[옥션] 제주 삼다수 2L 24병",
            ]
        );
        assert_eq!(
            rows[0],
            DealRow {
                title: "[11번가] 삼성전자 990 PRO 2TB NVMe SSD".to_owned(),
                price: DealPrice::Won(189_000),
                category: some("PC/하드웨어"),
                labels: vec!["인기".into()],
                thumbnail: some("https://img2.quasarzone.com/qb_saleinfo/2026/11/22/thumb_1571001.jpg"),
                brand_logo: some("https://img2.quasarzone.com/brand/11st.png"),
                detail_url: "https://quasarzone.com/bbs/qb_saleinfo/views/1571001".to_owned(),
            }
        );
        assert_eq!(
            rows[1],
            DealRow {
                title: "[아마존] Logitech MX Master 3S 마우스".to_owned(),
                price: DealPrice::Foreign {
                    currency: "USD".to_owned(),
                    minor_units: 7_999,
                    text: "$79.99".to_owned()
                },
                category: some("PC/하드웨어"),
                labels: vec!["진행중".into()],
                thumbnail: some("https://img2.quasarzone.com/qb_saleinfo/2026/11/22/thumb_1571003.jpg"),
                brand_logo: None,
                detail_url: "https://quasarzone.com/bbs/qb_saleinfo/views/1571003".to_owned(),
            }
        );
        assert_eq!(rows[2].price, DealPrice::Text("가격다양".to_owned()));
        assert_eq!(rows[2].thumbnail, None, "a data: placeholder is not a thumbnail");
        assert_eq!(rows[3].price, DealPrice::Free);
        assert_eq!(
            rows[4].price,
            DealPrice::Range {
                min: 12_000,
                max: 15_000
            }
        );
    }

    #[test]
    fn quasarzone_rows_that_are_over_locked_blinded_linkless_or_repeated_are_reported() {
        let report = read_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        assert_eq!(report.matched, 12);
        assert_eq!(
            skipped(&report),
            [
                (2, SkipReason::Ended("종료".into())),
                (4, SkipReason::Text("블라인드 처리된 글입니다.".into())),
                (7, SkipReason::NoLink(None)),
                (8, SkipReason::NoLink(Some("javascript:void(0)".into()))),
                (10, SkipReason::Repeat),
                // `인기` comes first; the `종료` after it still ends the deal.
                (11, SkipReason::Ended("종료".into())),
                (12, SkipReason::Marked(".fa-lock".into())),
            ]
        );
        assert!(report.skipped[0].text.contains("캐논 잉크젯 프린터"));
    }

    #[test]
    fn quasarzone_rows_are_found_through_added_wrappers() {
        let wrapped = QUASAR_LIST.replace(
            r#"<div class="market-type-list market-info-type-list relative">"#,
            r#"<div class="board-v2"><div class="market-type-list market-info-type-list relative">"#,
        );
        assert_ne!(wrapped, QUASAR_LIST);
        let rows = extract_list(&source("quasarzone"), &wrapped, QUASAR_PAGE).unwrap();
        assert_eq!(rows.len(), 5);
    }

    #[test]
    fn the_ruliweb_list_gives_clean_titles_prices_from_titles_and_no_ended_deals() {
        let report = read_list(&source("ruliweb"), RULIWEB_LIST, RULIWEB_PAGE).unwrap();
        let deals: Vec<(&str, String, &str)> = report
            .deals
            .iter()
            .map(|r| (r.title.as_str(), r.price.display(), r.detail_url.as_str()))
            .collect();
        let read = |n: u32| format!("https://bbs.ruliweb.com/market/board/1020/read/{n}");
        assert_eq!(
            deals,
            [
                (
                    "[쿠팡] 오뚜기 진라면 순한맛 120g 20봉 (13,520원/무료)",
                    "13,520원".into(),
                    read(101209).as_str()
                ),
                (
                    "[반다이몰] HG 건담 에어리얼 재판 / 21,600원",
                    "21,600원".into(),
                    &read(101207)
                ),
                (
                    "[예판] 닌텐도 스위치 2 본체 + 마리오 카트 월드 번들 한정판 612...",
                    "가격 정보 없음".into(),
                    &read(101206)
                ),
                ("[스팀] 엘든 링 60% 할인 ($23.99)", "$23.99".into(), &read(101205)),
                (
                    "[G마켓] 문화상품권 5만원권 (4.6만원)",
                    "46,000원".into(),
                    &read(101204)
                ),
                (
                    "[에픽게임즈] 인디 퍼즐 게임 모음 (무료)",
                    "무료".into(),
                    &read(101202)
                ),
                (
                    "[쿠팡] 로지텍 G304 무선 마우스 (29,900원/무료)",
                    "29,900원".into(),
                    &read(101201)
                ),
            ]
        );
        assert_eq!(report.deals[0].category, some("음식"));
        assert!(report.deals[0].labels.is_empty());
        assert_eq!(
            skipped(&report),
            [
                (2, SkipReason::Ended("[종료]".into())),
                (7, SkipReason::Text("삭제된 게시물입니다.".into())),
                (10, SkipReason::Ended("[종료]".into())),
            ]
        );
    }

    #[test]
    fn an_ended_tag_in_front_of_a_title_ends_the_deal_without_a_label_selector() {
        let html = r#"<table class="board-list"><tbody>
            <tr class="deal"><td class="subject"><a class="title" href="view.php?no=1">[종료] [쿠팡] 끝난 딜</a></td></tr>
            <tr class="deal"><td class="subject"><a class="title" href="view.php?no=2">(품절) [쿠팡] 다 팔린 딜</a></td></tr>
            <tr class="deal"><td class="subject"><a class="title" href="view.php?no=3">[쿠팡] 진행 중 (종료 임박)</a></td></tr>
        </tbody></table>"#;
        let report = read_list(&source("example_board"), html, EXAMPLE_PAGE).unwrap();
        assert_eq!(report.deals.len(), 1);
        assert_eq!(report.deals[0].title, "[쿠팡] 진행 중 (종료 임박)");
        assert_eq!(
            skipped(&report),
            [
                (1, SkipReason::Ended("[종료]".into())),
                (2, SkipReason::Ended("[품절]".into()))
            ]
        );
    }

    #[test]
    fn a_board_price_field_wins_and_the_title_fills_in_when_it_is_empty() {
        let html = r#"<table class="board-list"><tbody>
            <tr class="deal"><td class="subject"><a class="title" href="?no=1">[쿠팡] 라면 (9,900원)</a></td><td class="price">8,800원</td></tr>
            <tr class="deal"><td class="subject"><a class="title" href="?no=2">[쿠팡] 라면 (9,900원)</a></td><td class="price"> </td></tr>
        </tbody></table>"#;
        let rows = extract_list(&source("example_board"), html, EXAMPLE_PAGE).unwrap();
        assert_eq!(rows[0].price, DealPrice::Won(8_800));
        assert_eq!(rows[1].price, DealPrice::Won(9_900));
    }

    #[test]
    fn a_field_tries_its_selectors_in_order_and_leaves_dropped_text_out() {
        let toml = r#"
            [[source]]
            key = "board"
            name = "게시판"
            list_url = "https://deals.example.com/list?page={page}"
            row = "li.deal"
            title = { selector = ["h3.new-title", "a.old-title"], drop = ["em.count", "i"] }
            link = { selector = ["a.new-link", "a.old-title"], attr = "href" }
        "#;
        let source = load_sources(toml).unwrap().remove(0);
        let html = r#"<ul>
            <li class="deal"><a class="old-title" href="/1">옛 제목 <i>아이콘</i><em class="count">(3)</em></a></li>
            <li class="deal"><h3 class="new-title">새 제목 <em class="count">(7)</em></h3><a class="old-title" href="/2">x</a></li>
            <li class="deal"><h3 class="new-title"> </h3><a class="old-title" href="/3">빈 새 제목 뒤의 옛 제목</a></li>
        </ul>"#;
        let rows = extract_list(&source, html, "https://deals.example.com/list?page=1").unwrap();
        let titles: Vec<&str> = rows.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles, ["옛 제목", "새 제목", "빈 새 제목 뒤의 옛 제목"]);
    }

    #[test]
    fn an_rss_feed_is_read_from_its_own_fields() {
        let mut rss = source("ruliweb_rss");
        rss.enabled = true;
        let report = read_list(&rss, RULIWEB_RSS, "https://bbs.ruliweb.com/market/board/1020/rss").unwrap();
        assert_eq!(report.matched, 6);
        assert_eq!(
            report.deals[0],
            DealRow {
                title: "[쿠팡] 오뚜기 진라면 순한맛 120g 20봉 (13,520원/무료)".into(),
                price: DealPrice::Won(13_520),
                category: some("음식"),
                labels: vec![],
                thumbnail: some("https://i1.ruliweb.com/thumb/26/08/07/101209.jpg"),
                brand_logo: None,
                detail_url: "https://bbs.ruliweb.com/market/board/1020/read/101209".into(),
            }
        );
        assert_eq!(
            report.deals[1].detail_url, "https://bbs.ruliweb.com/market/board/1020/read/101207",
            "a permalink guid stands in for a missing link"
        );
        assert_eq!(
            report.deals[1].thumbnail,
            some("https://i1.ruliweb.com/thumb/26/08/07/101207.jpg")
        );
        assert_eq!(
            report.deals[2].thumbnail, None,
            "an enclosure that is not an image"
        );
        assert_eq!(report.deals.len(), 3);
        assert_eq!(
            skipped(&report),
            [
                (2, SkipReason::Ended("[종료]".into())),
                (4, SkipReason::Text("삭제된 게시물입니다.".into())),
                (6, SkipReason::NoLink(None)),
            ]
        );
    }

    #[test]
    fn a_feed_url_answering_html_is_a_layout_change() {
        let rss = source("ruliweb_rss");
        for body in [RULIWEB_LIST, "<rss><channel></channel></rss>", "not xml"] {
            let problem = match read_list(&rss, body, "https://bbs.ruliweb.com/market/board/1020/rss") {
                Err(ExtractError::LayoutChanged { problem, .. }) => problem,
                other => panic!("{other:?}"),
            };
            assert!(
                matches!(problem, LayoutProblem::NotAFeed | LayoutProblem::NoRows),
                "{problem:?}"
            );
        }
    }

    #[test]
    fn relative_absolute_and_protocol_relative_links_become_absolute() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        // Root-relative `/bbs/…`, absolute `https://…`; protocol-relative `//img2…` logo.
        assert_eq!(
            rows[0].detail_url,
            "https://quasarzone.com/bbs/qb_saleinfo/views/1571001"
        );
        assert_eq!(
            rows[1].detail_url,
            "https://quasarzone.com/bbs/qb_saleinfo/views/1571003"
        );
        assert_eq!(
            rows[0].brand_logo,
            some("https://img2.quasarzone.com/brand/11st.png")
        );
        // Path-relative `view.php?…` against `…/board/list?…`, its `#c5` fragment dropped.
        let rows = extract_list(&source("example_board"), EXAMPLE_LIST, EXAMPLE_PAGE).unwrap();
        assert_eq!(
            rows[1].detail_url,
            "https://hotdeal.example.com/board/view.php?id=hotdeal&no=48210"
        );
    }

    #[test]
    fn the_example_board_list_is_read_with_its_own_selectors() {
        let rows = extract_list(&source("example_board"), EXAMPLE_LIST, EXAMPLE_PAGE).unwrap();
        assert_eq!(rows.len(), 2, "{rows:#?}");
        assert_eq!(
            rows[0],
            DealRow {
                title: "[네이버] 오뚜기 진라면 매운맛 120g x 40".to_owned(),
                price: DealPrice::Won(21_900),
                category: some("[식품]"),
                labels: vec![],
                thumbnail: some("https://cdn.hotdeal.example.com/thumb/48213.jpg"),
                brand_logo: some("https://hotdeal.example.com/img/shop/naver.png"),
                detail_url: "https://hotdeal.example.com/board/view.php?id=hotdeal&no=48213".to_owned(),
            }
        );
        assert_eq!(rows[1].title, "[지마켓] 로지텍 K380 블루투스 키보드");
        assert_eq!(
            rows[1].price,
            DealPrice::Range {
                min: 29_900,
                max: 34_900
            }
        );
        assert_eq!(rows[1].labels, ["인기"]);
    }

    #[test]
    fn the_quasarzone_detail_rows_are_found_by_their_header_and_the_script_link_unwrapped() {
        let page = "https://quasarzone.com/bbs/qb_saleinfo/views/1571001";
        assert_eq!(
            extract_detail(&source("quasarzone"), QUASAR_DETAIL, page),
            DealDetail {
                purchase_url: some("https://www.11st.co.kr/products/7712345678"),
                brand: some("11번가"),
                title: some("[11번가] 삼성전자 990 PRO 2TB NVMe SSD"),
            }
        );
    }

    #[test]
    fn the_second_quasarzone_detail_template_is_read_too() {
        let page = "https://quasarzone.com/bbs/qb_saleinfo/views/1571003";
        assert_eq!(
            extract_detail(&source("quasarzone"), QUASAR_DETAIL_V2, page),
            DealDetail {
                purchase_url: some("https://www.amazon.com/dp/B09HM94VDS"),
                brand: some("아마존"),
                title: some("[아마존] Logitech MX Master 3S 마우스"),
            }
        );
    }

    #[test]
    fn the_ruliweb_detail_gives_the_whole_title_and_the_unwrapped_shop_link() {
        let page = "https://bbs.ruliweb.com/market/board/1020/read/101206";
        assert_eq!(
            extract_detail(&source("ruliweb"), RULIWEB_DETAIL, page),
            DealDetail {
                purchase_url: some(
                    "https://store.nintendo.co.kr/bundle/mario-kart-world?utm_source=ruliweb&ref=hotdeal"
                ),
                brand: None,
                title: some(
                    "[예판] 닌텐도 스위치 2 본체 + 마리오 카트 월드 번들 한정판 612,000원 (무료배송)"
                ),
            }
        );
    }

    #[test]
    fn the_example_board_detail_resolves_its_purchase_link() {
        let page = "https://hotdeal.example.com/board/view.php?id=hotdeal&no=48213";
        let detail = extract_detail(&source("example_board"), EXAMPLE_DETAIL, page);
        assert_eq!(
            detail.purchase_url,
            some("https://smartstore.naver.com/ottogi/products/1234567")
        );
        assert_eq!(detail.brand, some("네이버 스마트스토어"));
    }

    #[test]
    fn a_detail_page_without_the_fields_gives_nothing_rather_than_failing() {
        let detail = extract_detail(&source("quasarzone"), CHANGED, "https://quasarzone.com/x");
        assert_eq!(detail, DealDetail::default());
        let detail = extract_detail(&source("quasarzone"), QUASAR_DETAIL, "not a url");
        assert_eq!(detail.purchase_url, None);
        assert_eq!(detail.brand, some("11번가"));
    }

    #[test]
    fn a_changed_layout_is_reported_not_taken_for_an_empty_board() {
        let err = extract_list(&source("quasarzone"), CHANGED, QUASAR_PAGE).unwrap_err();
        assert_eq!(
            err,
            ExtractError::LayoutChanged {
                source_key: "quasarzone".to_owned(),
                problem: LayoutProblem::NoRows
            }
        );
        assert!(err.to_string().contains("quasarzone"));
        // The other source's page does not fit this one's selectors either.
        assert!(matches!(
            extract_list(&source("quasarzone"), EXAMPLE_LIST, QUASAR_PAGE),
            Err(ExtractError::LayoutChanged {
                problem: LayoutProblem::NoRows,
                ..
            })
        ));
    }

    #[test]
    fn rows_without_titles_or_links_everywhere_are_a_layout_change() {
        let html = r#"<table class="board-list"><tbody>
            <tr class="deal"><td class="subject"><b>renamed title cell</b></td><td class="price">1,000원</td></tr>
            <tr class="deal"><td class="subject"><span class="state">종료</span></td></tr>
        </tbody></table>"#;
        let err = extract_list(&source("example_board"), html, EXAMPLE_PAGE).unwrap_err();
        assert!(matches!(
            err,
            ExtractError::LayoutChanged {
                problem: LayoutProblem::NoUsableRows { rows: 2 },
                ..
            }
        ));
    }

    #[test]
    fn rows_that_are_all_skipped_on_purpose_are_an_empty_list() {
        let html = r#"<table class="board-list"><tbody>
            <tr class="deal"><td class="subject"><span class="state">종료</span>
                <a class="title" href="view.php?no=1">끝난 딜</a></td></tr>
            <tr class="deal"><td class="subject">신고로 블라인드된 게시물입니다.</td></tr>
        </tbody></table>"#;
        assert_eq!(
            extract_list(&source("example_board"), html, EXAMPLE_PAGE),
            Ok(vec![])
        );
    }

    #[test]
    fn a_page_url_that_is_not_absolute_is_refused() {
        let err = extract_list(&source("quasarzone"), QUASAR_LIST, "/bbs/qb_saleinfo").unwrap_err();
        assert!(matches!(err, ExtractError::BadPageUrl { .. }));
    }

    #[test]
    fn dedup_keeps_the_first_row_for_each_detail_url_in_order() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        assert_eq!(rows.len(), 5);
        // Across pages: page 2 repeating page 1's deals adds nothing.
        let both: Vec<DealRow> = rows.iter().chain(&rows).cloned().collect();
        assert_eq!(dedup(both), rows);
    }

    #[test]
    fn rows_survive_a_json_round_trip_for_the_cache() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        let json = serde_json::to_string(&rows).unwrap();
        assert_eq!(serde_json::from_str::<Vec<DealRow>>(&json).unwrap(), rows);
    }
}
