//! Links as the boards write them, turned into plain http(s) URLs a button may open.
//!
//! Boards rarely link a shop directly. 루리웹 sends shop links through its redirector
//! (`web.ruliweb.com/link.php?ol=<url>`), and 퀘이사존's purchase link is a script call,
//! `javascript:goToLink('<base64 of the shop URL>')`, whose anchor text is the URL itself. A button leading
//! to the redirector would work but count as the board's traffic and break when the redirector changes; a
//! `javascript:` URL would not work at all. So [`shop_url`] unwraps both, falls back to the anchor's text,
//! and keeps only http(s) URLs with a host: nothing else ever becomes a button.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use url::Url;

/// Query parameters of a `link.php` redirector that carry the target.
const REDIRECT_PARAMS: [&str; 2] = ["ol", "url"];
/// Redirectors wrapped in redirectors are unwrapped this many times at most.
const MAX_UNWRAPS: usize = 3;

/// The http(s) URL `value` (an attribute, relative to `page`) leads to, with redirectors and script calls
/// unwrapped; else `text` (the anchor's text) when it is a whole http(s) URL. `None` when neither is.
pub fn shop_url(value: &str, text: Option<&str>, page: &Url) -> Option<String> {
    target(value.trim(), page)
        .or_else(|| text.and_then(|t| whole_url(t.trim())))
        .map(String::from)
}

/// An absolute http(s) URL for a link on `page` (relative, root-relative and protocol-relative links
/// resolved), without the fragment and without an empty `?`, so one post has one URL.
pub fn page_url(value: &str, page: &Url) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let mut url = http(page.join(value).ok()?)?;
    url.set_fragment(None);
    if url.query() == Some("") {
        url.set_query(None);
    }
    Some(url.into())
}

fn target(value: &str, page: &Url) -> Option<Url> {
    if value.is_empty() {
        return None;
    }
    let mut url = match script_argument(value) {
        Some(argument) => decoded_url(argument)?,
        None => http(page.join(value).ok()?)?,
    };
    for _ in 0..MAX_UNWRAPS {
        match redirect_target(&url) {
            Some(inner) => url = inner,
            None => break,
        }
    }
    Some(url)
}

/// The first quoted argument of a `javascript:fn('…')` link.
fn script_argument(value: &str) -> Option<&str> {
    let scheme = value.get(..11)?;
    if !scheme.eq_ignore_ascii_case("javascript:") {
        return None;
    }
    let call = &value[11..];
    let open = call.find('(')?;
    let args = call[open + 1..].trim_start();
    let quote = args.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = &args[1..];
    Some(&inner[..inner.find(quote)?])
}

/// A script argument that is an http(s) URL, or base64 of one.
fn decoded_url(argument: &str) -> Option<Url> {
    if let Some(url) = whole_url(argument) {
        return Some(url);
    }
    [STANDARD, URL_SAFE, STANDARD_NO_PAD, URL_SAFE_NO_PAD]
        .iter()
        .filter_map(|engine| engine.decode(argument.trim()).ok())
        .filter_map(|bytes| String::from_utf8(bytes).ok())
        .find_map(|text| whole_url(text.trim()))
}

/// The target of a `…/link.php?ol=<url>` redirector: the rest of the query after `ol=` when it is a raw
/// URL (its own `&` belong to it), or the decoded parameter when it is percent-encoded.
fn redirect_target(url: &Url) -> Option<Url> {
    let last_segment = url.path_segments()?.next_back()?;
    if !last_segment.eq_ignore_ascii_case("link.php") {
        return None;
    }
    let query = url.query()?;
    let mut offset = 0;
    for pair in query.split('&') {
        let value = REDIRECT_PARAMS
            .iter()
            .find_map(|name| pair.strip_prefix(name)?.strip_prefix('='));
        if let Some(value) = value {
            let raw = &query[offset + pair.len() - value.len()..];
            return match whole_url(raw) {
                Some(inner) => Some(inner),
                None => url::form_urlencoded::parse(pair.as_bytes())
                    .next()
                    .and_then(|(_, decoded)| whole_url(&decoded)),
            };
        }
        offset += pair.len() + 1;
    }
    None
}

/// `text` when it is a complete absolute http(s) URL (not one a list or page shortened with `…`).
fn whole_url(text: &str) -> Option<Url> {
    if text.is_empty() || text.ends_with("...") || text.ends_with('…') || text.contains(char::is_whitespace)
    {
        return None;
    }
    http(Url::parse(text).ok()?)
}

fn http(url: Url) -> Option<Url> {
    (matches!(url.scheme(), "http" | "https") && url.host_str().is_some()).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://bbs.ruliweb.com/market/board/1020/read/101206").unwrap()
    }

    fn shop(value: &str, text: Option<&str>) -> Option<String> {
        shop_url(value, text, &page())
    }

    const SHOP: &str = "https://www.11st.co.kr/products/7712345678";

    #[test]
    fn a_link_php_redirector_is_unwrapped_raw_or_encoded() {
        assert_eq!(
            shop(
                "https://web.ruliweb.com/link.php?ol=https://shop.example.com/item?id=1&ref=rw",
                None
            )
            .as_deref(),
            Some("https://shop.example.com/item?id=1&ref=rw"),
            "a raw target keeps its own parameters"
        );
        assert_eq!(
            shop(
                "https://web.ruliweb.com/link.php?ol=https%3A%2F%2Fshop.example.com%2Fitem%3Fid%3D1&t=9",
                None
            )
            .as_deref(),
            Some("https://shop.example.com/item?id=1")
        );
        assert_eq!(
            shop(
                "//web.ruliweb.com/link.php?x=1&url=https://shop.example.com/a",
                None
            )
            .as_deref(),
            Some("https://shop.example.com/a")
        );
        assert_eq!(
            shop("https://web.ruliweb.com/link.php?ol=javascript:alert(1)", None).as_deref(),
            Some("https://web.ruliweb.com/link.php?ol=javascript:alert(1)"),
            "a target that is not http(s) is not followed"
        );
    }

    #[test]
    fn a_go_to_link_script_is_decoded_from_its_base64() {
        let value = "javascript:goToLink('aHR0cHM6Ly93d3cuMTFzdC5jby5rci9wcm9kdWN0cy83NzEyMzQ1Njc4')";
        assert_eq!(shop(value, None).as_deref(), Some(SHOP));
        assert_eq!(
            shop(value, Some("https://www.11st.co.kr/prod…")).as_deref(),
            Some(SHOP),
            "the base64 wins over a shortened text"
        );
        assert_eq!(
            shop("JavaScript:goToLink(\"https://shop.example.com/x\")", None).as_deref(),
            Some("https://shop.example.com/x")
        );
    }

    #[test]
    fn the_anchor_text_stands_in_when_the_href_is_unusable() {
        assert_eq!(
            shop("javascript:goToLink('bm90IGEgdXJs')", Some(SHOP)).as_deref(),
            Some(SHOP)
        );
        assert_eq!(shop("javascript:void(0)", Some(SHOP)).as_deref(), Some(SHOP));
        assert_eq!(
            shop("javascript:void(0)", Some("https://www.11st.co.kr/prod...")),
            None
        );
        assert_eq!(shop("javascript:void(0)", Some("바로가기")), None);
    }

    #[test]
    fn only_http_links_ever_come_out() {
        let base64_of_script = STANDARD.encode("javascript:alert(document.cookie)");
        for value in [
            "javascript:alert(1)".to_owned(),
            format!("javascript:goToLink('{base64_of_script}')"),
            "data:text/html,hi".to_owned(),
            "mailto:deals@example.com".to_owned(),
            String::new(),
        ] {
            assert_eq!(shop(&value, Some("ftp://files.example.com/x")), None, "{value}");
        }
        assert_eq!(
            shop("/market/board/1020/read/1", None).as_deref(),
            Some("https://bbs.ruliweb.com/market/board/1020/read/1")
        );
    }

    #[test]
    fn post_links_are_absolute_without_fragment_or_empty_query() {
        let page = Url::parse("https://bbs.ruliweb.com/market/board/1020?page=1").unwrap();
        assert_eq!(
            page_url("https://bbs.ruliweb.com/market/board/1020/read/106212?", &page).as_deref(),
            Some("https://bbs.ruliweb.com/market/board/1020/read/106212")
        );
        assert_eq!(
            page_url("1020/read/5?#cmt", &page).as_deref(),
            Some("https://bbs.ruliweb.com/market/board/1020/read/5")
        );
        assert_eq!(
            page_url("view.php?no=5#c", &page).as_deref(),
            Some("https://bbs.ruliweb.com/market/board/view.php?no=5")
        );
        assert_eq!(page_url("javascript:void(0)", &page), None);
        assert_eq!(page_url("  ", &page), None);
    }
}
