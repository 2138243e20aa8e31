//! Deal sources as data: which board to read, where its rows and fields are, and how gently to read it.
//!
//! A board's markup changes without notice. Keeping its URL template and CSS selectors in
//! `deals/sources.toml` lets an operator fix a broken source by editing a file instead of shipping a new
//! build. The file is checked completely when it is loaded: unknown keys are refused (a typo would otherwise
//! silently disable a field), every selector must compile (the error names the source and the field), keys
//! must be unique and usable in cache keys, and list URLs must be http(s) templates containing `{page}`.

use std::collections::HashSet;
use std::time::Duration;

use scraper::Selector;
use serde::Deserialize;

/// The sources shipped with the project (`deals/sources.toml`).
pub const SHIPPED_SOURCES: &str = include_str!("../../deals/sources.toml");

/// The shipped sources, loaded and checked.
pub fn shipped_sources() -> Result<Vec<DealSource>, SourceError> {
    load_sources(SHIPPED_SOURCES)
}

/// Why a sources file was refused.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("deal sources file is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("deal sources file lists no sources")]
    Empty,
    #[error("deal source {source_key:?}: {field} selector {selector:?} does not compile: {message}")]
    Selector {
        source_key: String,
        field: String,
        selector: String,
        message: String,
    },
    #[error("deal source {source_key:?}: {field} is not valid: {reason}")]
    Invalid {
        source_key: String,
        field: &'static str,
        reason: String,
    },
    #[error("deal source key {0:?} is used twice")]
    DuplicateKey(String),
}

/// A compiled CSS selector, with the text it was written as (for logs and error reports).
#[derive(Debug, Clone)]
pub struct Css {
    pub text: String,
    pub selector: Selector,
}

/// A selector and the attribute to read from the first element it matches (`img.maxImg` / `src`).
#[derive(Debug, Clone)]
pub struct AttrCss {
    pub css: Css,
    pub attr: String,
}

/// Where the detail page keeps what the list page does not show.
#[derive(Debug, Clone)]
pub struct DetailSelectors {
    pub purchase_url: Option<AttrCss>,
    pub brand: Option<Css>,
}

/// How gently a source is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Politeness {
    /// Least time between two requests to the site (the original was blocked for fast repeats).
    pub min_delay_ms: u64,
    /// Limit for one request.
    pub timeout_ms: u64,
    /// How often the list is read again.
    pub refresh_secs: u64,
    /// How many list pages one refresh reads.
    pub max_pages: u32,
    /// How many deal pages one refresh may read for purchase links and brands. Pages read before are
    /// reused, so a board is not asked for the same post twice.
    pub max_details: u32,
}

impl Default for Politeness {
    fn default() -> Self {
        Self {
            min_delay_ms: 1_000,
            timeout_ms: 5_000,
            refresh_secs: 600,
            max_pages: 2,
            max_details: 10,
        }
    }
}

impl Politeness {
    pub fn min_delay(&self) -> Duration {
        Duration::from_millis(self.min_delay_ms)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_millis(self.timeout_ms)
    }

    pub fn refresh(&self) -> Duration {
        Duration::from_secs(self.refresh_secs)
    }
}

/// One deal board, checked and with its selectors compiled.
#[derive(Debug, Clone)]
pub struct DealSource {
    /// Short id, `[a-z0-9_-]`, used in cache keys and logs.
    pub key: String,
    /// Shown to users and operators.
    pub name: String,
    /// Sources may be shipped switched off (the example layout is).
    pub enabled: bool,
    /// An http(s) URL template containing `{page}`.
    pub list_url: String,
    /// One element per deal on the list page; the field selectors below are matched inside it.
    pub row: Css,
    pub title: Css,
    pub price: Css,
    pub category: Option<Css>,
    pub label: Option<Css>,
    pub thumbnail: Option<AttrCss>,
    pub brand_logo: Option<AttrCss>,
    pub link: AttrCss,
    /// Rows whose label is one of these (exactly, after trimming) are skipped (`종료`).
    pub skip_labels: Vec<String>,
    /// Rows whose text contains one of these are skipped (`블라인드 처리된 글입니다.`).
    pub skip_texts: Vec<String>,
    pub detail: Option<DetailSelectors>,
    pub politeness: Politeness,
}

impl DealSource {
    /// The list page's URL for a page number (boards count from 1).
    pub fn list_url(&self, page: u32) -> String {
        self.list_url.replace("{page}", &page.to_string())
    }
}

/// Loads and checks a sources file (the format of `deals/sources.toml`).
pub fn load_sources(toml: &str) -> Result<Vec<DealSource>, SourceError> {
    let file: RawFile = toml::from_str(toml)?;
    if file.sources.is_empty() {
        return Err(SourceError::Empty);
    }
    let mut keys = HashSet::new();
    let mut sources = Vec::with_capacity(file.sources.len());
    for raw in file.sources {
        let source = raw.check()?;
        if !keys.insert(source.key.clone()) {
            return Err(SourceError::DuplicateKey(source.key));
        }
        sources.push(source);
    }
    Ok(sources)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default, rename = "source")]
    sources: Vec<RawSource>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    key: String,
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    list_url: String,
    row: String,
    title: String,
    price: String,
    category: Option<String>,
    label: Option<String>,
    thumbnail: Option<RawAttr>,
    brand_logo: Option<RawAttr>,
    link: RawAttr,
    #[serde(default)]
    skip_labels: Vec<String>,
    #[serde(default)]
    skip_texts: Vec<String>,
    detail: Option<RawDetail>,
    #[serde(default)]
    politeness: Politeness,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttr {
    selector: String,
    attr: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetail {
    purchase_url: Option<RawAttr>,
    brand: Option<String>,
}

impl RawSource {
    fn check(self) -> Result<DealSource, SourceError> {
        let key = self.key;
        let invalid = |field: &'static str, reason: &str| SourceError::Invalid {
            source_key: key.clone(),
            field,
            reason: reason.to_owned(),
        };
        let key_ok = !key.is_empty()
            && key.len() <= 32
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !key_ok {
            return Err(invalid("key", "use 1-32 characters of a-z, 0-9, _ and -"));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        check_list_url(&self.list_url).map_err(|reason| invalid("list_url", reason))?;
        let p = self.politeness;
        if p.timeout_ms == 0 || p.refresh_secs == 0 || p.max_pages == 0 {
            return Err(invalid(
                "politeness",
                "timeout_ms, refresh_secs and max_pages must be above 0",
            ));
        }
        if self
            .skip_labels
            .iter()
            .chain(&self.skip_texts)
            .any(|s| s.trim().is_empty())
        {
            return Err(invalid(
                "skip_labels/skip_texts",
                "an empty entry would skip every row",
            ));
        }
        let css = |field: &str, text: &str| compile(&key, field, text);
        let attr = |field: &str, raw: &RawAttr| compile_attr(&key, field, raw);
        let detail = match &self.detail {
            Some(d) => Some(DetailSelectors {
                purchase_url: d
                    .purchase_url
                    .as_ref()
                    .map(|a| attr("detail.purchase_url", a))
                    .transpose()?,
                brand: d.brand.as_deref().map(|b| css("detail.brand", b)).transpose()?,
            }),
            None => None,
        };
        Ok(DealSource {
            row: css("row", &self.row)?,
            title: css("title", &self.title)?,
            price: css("price", &self.price)?,
            category: self.category.as_deref().map(|c| css("category", c)).transpose()?,
            label: self.label.as_deref().map(|l| css("label", l)).transpose()?,
            thumbnail: self
                .thumbnail
                .as_ref()
                .map(|a| attr("thumbnail", a))
                .transpose()?,
            brand_logo: self
                .brand_logo
                .as_ref()
                .map(|a| attr("brand_logo", a))
                .transpose()?,
            link: attr("link", &self.link)?,
            detail,
            name: self.name,
            enabled: self.enabled,
            list_url: self.list_url,
            skip_labels: self
                .skip_labels
                .into_iter()
                .map(|s| s.trim().to_owned())
                .collect(),
            skip_texts: self.skip_texts,
            politeness: self.politeness,
            key,
        })
    }
}

fn check_list_url(template: &str) -> Result<(), &'static str> {
    if !template.contains("{page}") {
        return Err("must contain {page}");
    }
    let url = url::Url::parse(&template.replace("{page}", "1")).map_err(|_| "is not a URL")?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("must be an http(s) URL with a host");
    }
    Ok(())
}

fn compile(key: &str, field: &str, text: &str) -> Result<Css, SourceError> {
    let error = |message: String| SourceError::Selector {
        source_key: key.to_owned(),
        field: field.to_owned(),
        selector: text.to_owned(),
        message,
    };
    if text.trim().is_empty() {
        return Err(error("is empty".to_owned()));
    }
    let selector = Selector::parse(text).map_err(|e| error(e.to_string()))?;
    Ok(Css {
        text: text.to_owned(),
        selector,
    })
}

fn compile_attr(key: &str, field: &str, raw: &RawAttr) -> Result<AttrCss, SourceError> {
    let css = compile(key, field, &raw.selector)?;
    let attr = raw.attr.trim();
    if attr.is_empty() || attr.contains(char::is_whitespace) {
        return Err(SourceError::Selector {
            source_key: key.to_owned(),
            field: format!("{field}.attr"),
            selector: raw.selector.clone(),
            message: format!("attribute {:?} is not a name", raw.attr),
        });
    }
    Ok(AttrCss {
        css,
        attr: attr.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
        [[source]]
        key = "board"
        name = "게시판"
        list_url = "https://deals.example.com/list?page={page}"
        row = "tr"
        title = "a.title"
        price = "td.price"
        link = { selector = "a.title", attr = "href" }
    "#;

    fn with(line: &str) -> String {
        MINIMAL.replace("[[source]]", &format!("[[source]]\n{line}"))
    }

    fn replaced(from: &str, to: &str) -> String {
        assert!(MINIMAL.contains(from), "{from}");
        MINIMAL.replace(from, to)
    }

    #[test]
    fn the_shipped_file_loads_with_the_original_board_first() {
        let sources = shipped_sources().expect("shipped sources load");
        assert!(sources.len() >= 2);
        let quasar = &sources[0];
        assert_eq!(quasar.key, "quasarzone");
        assert!(quasar.enabled);
        assert_eq!(
            quasar.list_url(3),
            "https://quasarzone.com/bbs/qb_saleinfo?page=3"
        );
        assert_eq!(quasar.skip_labels, ["종료"]);
        assert_eq!(quasar.skip_texts, ["블라인드 처리된 글입니다."]);
        assert_eq!(quasar.thumbnail.as_ref().map(|t| t.attr.as_str()), Some("src"));
        let detail = quasar.detail.as_ref().expect("detail selectors");
        assert!(detail.purchase_url.is_some() && detail.brand.is_some());
        assert!(
            sources[1..].iter().any(|s| !s.enabled),
            "the example layout ships switched off"
        );
    }

    #[test]
    fn politeness_defaults_apply_when_the_table_is_left_out() {
        let sources = load_sources(MINIMAL).unwrap();
        assert_eq!(sources[0].politeness, Politeness::default());
        assert_eq!(sources[0].politeness.min_delay(), Duration::from_secs(1));
        assert_eq!(sources[0].politeness.timeout(), Duration::from_secs(5));
        assert_eq!(sources[0].politeness.refresh(), Duration::from_secs(600));
        assert_eq!(sources[0].politeness.max_pages, 2);
        assert!(sources[0].enabled);
        assert!(sources[0].detail.is_none() && sources[0].category.is_none());
    }

    #[test]
    fn politeness_settings_can_be_partly_overridden() {
        let toml = format!("{MINIMAL}\n[source.politeness]\nmin_delay_ms = 2500\n");
        let p = load_sources(&toml).unwrap()[0].politeness;
        assert_eq!((p.min_delay_ms, p.timeout_ms, p.max_pages), (2_500, 5_000, 2));
        let zero = format!("{MINIMAL}\n[source.politeness]\nmax_pages = 0\n");
        assert!(matches!(
            load_sources(&zero),
            Err(SourceError::Invalid {
                field: "politeness",
                ..
            })
        ));
    }

    #[test]
    fn a_selector_that_does_not_compile_names_the_source_and_field() {
        let err = load_sources(&replaced(r#"price = "td.price""#, r#"price = "td..price""#)).unwrap_err();
        match &err {
            SourceError::Selector {
                source_key,
                field,
                selector,
                ..
            } => {
                assert_eq!(
                    (source_key.as_str(), field.as_str(), selector.as_str()),
                    ("board", "price", "td..price")
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().contains("\"board\"") && err.to_string().contains("price"));

        let detail = format!("{MINIMAL}\n[source.detail]\nbrand = \"td:nth-child(\"\n");
        assert!(matches!(
            load_sources(&detail),
            Err(SourceError::Selector { field, .. }) if field == "detail.brand"
        ));
        let link = replaced(r#"attr = "href""#, r#"attr = """#);
        assert!(
            matches!(load_sources(&link), Err(SourceError::Selector { field, .. }) if field == "link.attr")
        );
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let twice = format!("{MINIMAL}{MINIMAL}");
        assert!(matches!(load_sources(&twice), Err(SourceError::DuplicateKey(k)) if k == "board"));
    }

    #[test]
    fn list_urls_must_be_http_templates_with_a_page() {
        for url in [
            "https://deals.example.com/list",
            "ftp://deals.example.com/{page}",
            "not a url {page}",
        ] {
            let toml = replaced("https://deals.example.com/list?page={page}", url);
            assert!(
                matches!(
                    load_sources(&toml),
                    Err(SourceError::Invalid {
                        field: "list_url",
                        ..
                    })
                ),
                "{url}"
            );
        }
    }

    #[test]
    fn unknown_fields_bad_keys_and_empty_files_are_refused() {
        assert!(matches!(
            load_sources(&with("titel = \"a\"")),
            Err(SourceError::Toml(_))
        ));
        let key = replaced(r#"key = "board""#, r#"key = "Board One""#);
        assert!(matches!(
            load_sources(&key),
            Err(SourceError::Invalid { field: "key", .. })
        ));
        assert!(matches!(load_sources(""), Err(SourceError::Empty)));
        let skip = with(r#"skip_labels = [" "]"#);
        assert!(matches!(load_sources(&skip), Err(SourceError::Invalid { .. })));
    }

    #[test]
    fn sources_can_be_shared_between_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<DealSource>();
    }
}
