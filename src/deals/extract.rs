//! Reading deals out of a board's HTML with a [`DealSource`]'s selectors.
//!
//! Everything here is synchronous and returns owned data: `scraper::Html` is not `Send`, so an async caller
//! parses inside `spawn_blocking` and gets plain [`DealRow`]s back. Fetching, pacing and caching belong to the
//! caller; this module only reads markup.
//!
//! A site that changes its markup must not look like a board with no deals. When the row selector matches
//! nothing, or rows match but none of them yields a title and a link (skipped rows aside), the page is
//! reported as [`ExtractError::LayoutChanged`], so the caller keeps the previous good data and tells an
//! operator. Rows that match but are all skipped on purpose (ended, blinded) are an ordinary empty list.

use std::collections::HashSet;

use scraper::{ElementRef, Html};
use serde::{Deserialize, Serialize};
use url::Url;

use super::price::{DealPrice, parse_price};
use super::source::{AttrCss, Css, DealSource};

/// One deal from a list page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealRow {
    pub title: String,
    pub price: DealPrice,
    pub category: Option<String>,
    pub label: Option<String>,
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
    /// The row selector matched nothing.
    NoRows,
    /// Rows matched, but none that was not skipped on purpose had both a title and a link.
    NoUsableRows { rows: usize },
}

impl std::fmt::Display for LayoutProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NoRows => f.write_str("the row selector matches nothing"),
            Self::NoUsableRows { rows } => write!(f, "{rows} rows matched but none has a title and a link"),
        }
    }
}

/// Reads the deals on one list page, in page order. Skips rows labelled with a `skip_labels` entry, rows
/// containing a `skip_texts` entry, and rows without a title or an http(s) link.
pub fn extract_list(source: &DealSource, html: &str, page_url: &str) -> Result<Vec<DealRow>, ExtractError> {
    let base = Url::parse(page_url).map_err(|_| ExtractError::BadPageUrl {
        source_key: source.key.clone(),
        page_url: page_url.to_owned(),
    })?;
    let document = Html::parse_document(html);
    let skip_texts: Vec<String> = source
        .skip_texts
        .iter()
        .map(|t| collapse(t.split_whitespace()))
        .collect();
    let mut matched = 0;
    let mut skipped = 0;
    let mut deals = Vec::new();
    for row in document.select(&source.row.selector) {
        matched += 1;
        let label = source.label.as_ref().and_then(|css| text(row, css));
        let is_skipped_label = label
            .as_ref()
            .is_some_and(|l| source.skip_labels.iter().any(|s| s == l));
        let row_text = collapse(row.text().flat_map(str::split_whitespace));
        if is_skipped_label || skip_texts.iter().any(|t| row_text.contains(t.as_str())) {
            skipped += 1;
            continue;
        }
        let (Some(title), Some(detail_url)) = (text(row, &source.title), link(row, &source.link, &base))
        else {
            continue;
        };
        deals.push(DealRow {
            title,
            price: parse_price(&text(row, &source.price).unwrap_or_default()),
            category: source.category.as_ref().and_then(|css| text(row, css)),
            label,
            thumbnail: source.thumbnail.as_ref().and_then(|a| link(row, a, &base)),
            brand_logo: source.brand_logo.as_ref().and_then(|a| link(row, a, &base)),
            detail_url,
        });
    }
    let problem = if matched == 0 {
        Some(LayoutProblem::NoRows)
    } else if deals.is_empty() && skipped < matched {
        Some(LayoutProblem::NoUsableRows { rows: matched })
    } else {
        None
    };
    match problem {
        Some(problem) => Err(ExtractError::LayoutChanged {
            source_key: source.key.clone(),
            problem,
        }),
        None => Ok(deals),
    }
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
        (Some(attr), Ok(base)) => link(root, attr, &base),
        _ => None,
    };
    let brand = selectors.brand.as_ref().and_then(|css| text(root, css));
    DealDetail { purchase_url, brand }
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

/// The whitespace-collapsed text of the first element `css` matches inside `scope`; `None` when empty.
fn text(scope: ElementRef<'_>, css: &Css) -> Option<String> {
    let element = scope.select(&css.selector).next()?;
    let text = collapse(element.text().flat_map(str::split_whitespace));
    (!text.is_empty()).then_some(text)
}

/// The attribute of the first element `attr` matches inside `scope`, resolved against `base`
/// (relative, root-relative and protocol-relative links); only http(s) URLs are kept.
fn link(scope: ElementRef<'_>, attr: &AttrCss, base: &Url) -> Option<String> {
    let value = scope.select(&attr.css.selector).next()?.attr(&attr.attr)?.trim();
    if value.is_empty() {
        return None;
    }
    let mut url = base.join(value).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::source::shipped_sources;

    const QUASAR_LIST: &str = include_str!("../../tests/fixtures/deals/quasarzone_list.html");
    const QUASAR_DETAIL: &str = include_str!("../../tests/fixtures/deals/quasarzone_detail.html");
    const EXAMPLE_LIST: &str = include_str!("../../tests/fixtures/deals/example_board_list.html");
    const EXAMPLE_DETAIL: &str = include_str!("../../tests/fixtures/deals/example_board_detail.html");
    const CHANGED: &str = include_str!("../../tests/fixtures/deals/changed_layout.html");

    const QUASAR_PAGE: &str = "https://quasarzone.com/bbs/qb_saleinfo?page=1";
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
                "[11번가] 삼성전자 990 PRO 2TB NVMe SSD",
            ]
        );
        assert_eq!(
            rows[0],
            DealRow {
                title: "[11번가] 삼성전자 990 PRO 2TB NVMe SSD".to_owned(),
                price: DealPrice::Won(189_000),
                category: some("PC/하드웨어"),
                label: some("인기"),
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
                label: None,
                thumbnail: some("https://img2.quasarzone.com/qb_saleinfo/2026/11/22/thumb_1571003.jpg"),
                brand_logo: None,
                detail_url: "https://quasarzone.com/bbs/qb_saleinfo/views/1571003".to_owned(),
            }
        );
        assert_eq!(rows[2].price, DealPrice::Text("가격다양".to_owned()));
        assert_eq!(rows[2].category, some("먹거리"));
        assert_eq!(rows[2].thumbnail, None, "a data: placeholder is not a thumbnail");
        assert_eq!(rows[3].price, DealPrice::Free);
        assert_eq!(rows[3].category, some("게임/SW"));
        assert_eq!(
            rows[4].price,
            DealPrice::Range {
                min: 12_000,
                max: 15_000
            }
        );
        assert_eq!(rows[4].label, some("인기"));
    }

    #[test]
    fn ended_blinded_and_linkless_rows_are_skipped() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        assert!(rows.iter().all(|r| r.label.as_deref() != Some("종료")));
        assert!(
            rows.iter()
                .all(|r| !r.title.contains("블라인드") && !r.title.contains("종료된"))
        );
        assert!(
            rows.iter()
                .all(|r| !r.title.contains("링크 없는") && !r.title.contains("자바스크립트"))
        );
    }

    #[test]
    fn relative_absolute_and_protocol_relative_links_become_absolute() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        // Root-relative `/bbs/…`, absolute `https://…`, and a `#comments` fragment dropped.
        assert_eq!(
            rows[0].detail_url,
            "https://quasarzone.com/bbs/qb_saleinfo/views/1571001"
        );
        assert_eq!(
            rows[1].detail_url,
            "https://quasarzone.com/bbs/qb_saleinfo/views/1571003"
        );
        assert_eq!(rows[5].detail_url, rows[0].detail_url);
        // Protocol-relative `//img2…` logo.
        assert_eq!(
            rows[0].brand_logo,
            some("https://img2.quasarzone.com/brand/11st.png")
        );
        // Path-relative `view.php?…` against `…/board/list?…`.
        let rows = extract_list(&source("example_board"), EXAMPLE_LIST, EXAMPLE_PAGE).unwrap();
        assert_eq!(
            rows[0].detail_url,
            "https://hotdeal.example.com/board/view.php?id=hotdeal&no=48213"
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
                label: None,
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
        assert_eq!(rows[1].label, some("인기"));
        assert_eq!(rows[1].brand_logo, None);
        assert_eq!(
            rows[1].detail_url,
            "https://hotdeal.example.com/board/view.php?id=hotdeal&no=48210"
        );
    }

    #[test]
    fn the_ruliweb_list_skips_notices_ads_best_repeats_and_deleted_posts() {
        const LIST: &str = include_str!("../../tests/fixtures/deals/ruliweb_list.html");
        let page = "https://bbs.ruliweb.com/market/board/1020?page=1";
        let rows = extract_list(&source("ruliweb"), LIST, page).unwrap();
        let urls: Vec<&str> = rows.iter().map(|r| r.detail_url.as_str()).collect();
        assert_eq!(
            urls,
            [
                // Root-relative, absolute, path-relative, root-relative.
                "https://bbs.ruliweb.com/market/board/1020/read/101205",
                "https://bbs.ruliweb.com/market/board/1020/read/101204",
                "https://bbs.ruliweb.com/market/board/1020/read/101202",
                "https://bbs.ruliweb.com/market/board/1020/read/101201",
            ]
        );
        assert_eq!(rows[0].title, "[스팀] 엘든 링 60% 할인 (26,400원)");
        assert_eq!(rows[0].category, some("게임S/W"));
        assert_eq!(
            rows[0].price,
            DealPrice::Text(String::new()),
            "no price column: unknown, not 0"
        );
        assert_eq!(rows[0].price.display(), "가격 정보 없음");
        assert_eq!((rows[0].thumbnail.as_ref(), rows[0].label.as_ref()), (None, None));
    }

    #[test]
    fn the_ruliweb_detail_gives_the_source_link() {
        const DETAIL: &str = include_str!("../../tests/fixtures/deals/ruliweb_detail.html");
        let page = "https://bbs.ruliweb.com/market/board/1020/read/101205";
        let detail = extract_detail(&source("ruliweb"), DETAIL, page);
        assert_eq!(
            detail,
            DealDetail {
                purchase_url: some("https://store.steampowered.com/app/1245620/ELDEN_RING/"),
                brand: None,
            }
        );
    }

    #[test]
    fn the_quasarzone_detail_gives_purchase_url_and_brand() {
        let page = "https://quasarzone.com/bbs/qb_saleinfo/views/1571001";
        let detail = extract_detail(&source("quasarzone"), QUASAR_DETAIL, page);
        assert_eq!(
            detail,
            DealDetail {
                purchase_url: some("https://www.11st.co.kr/products/7712345678"),
                brand: some("11번가"),
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
        assert_eq!(rows.len(), 6);
        let unique = dedup(rows.clone());
        assert_eq!(unique, rows[..5]);
        // Across pages too: page 2 repeating page 1's deals adds nothing.
        let both: Vec<DealRow> = rows.iter().chain(&rows).cloned().collect();
        assert_eq!(dedup(both), rows[..5]);
    }

    #[test]
    fn rows_survive_a_json_round_trip_for_the_cache() {
        let rows = extract_list(&source("quasarzone"), QUASAR_LIST, QUASAR_PAGE).unwrap();
        let json = serde_json::to_string(&rows).unwrap();
        assert_eq!(serde_json::from_str::<Vec<DealRow>>(&json).unwrap(), rows);
    }
}
