//! Deal sources as data: which board to read, where its rows and fields are, and how gently to read it.
//! This is the deal reader's configuration (`DEALS_*`, `deals/sources.toml`), so it sits with
//! [`crate::config`] below the market core; the reader itself is [`crate::deals`].
//!
//! A board's markup changes without notice. Keeping its URL template and CSS selectors in
//! `deals/sources.toml` lets an operator fix a broken source by editing a file instead of shipping a new
//! build. The file is checked completely when it is loaded: unknown keys are refused (a typo would otherwise
//! silently disable a field), every selector must compile (the error names the source and the field), keys
//! must be unique and usable in cache keys, and list URLs must be http(s) templates containing `{page}`.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Duration;

use scraper::Selector;
use serde::Deserialize;

/// The sources shipped with the project (`deals/sources.toml`).
pub const SHIPPED_SOURCES: &str = include_str!("../deals/sources.toml");

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

/// Where one field's value is on a page.
///
/// In `sources.toml` a field is a selector (`"span.title"`), a list of selectors tried in order (a board
/// with two templates: the first that gives a value wins), or a table that adds:
/// - `drop`: elements left out of the text (the comment count inside a title's anchor, icons);
/// - `rows` and `header`: the value is in the row whose header cell (`th`) reads `header` — "the cell
///   whose header is 판매처" — so reordered or added rows do not shift it; `selector` is then matched
///   inside that row.
#[derive(Debug, Clone)]
pub struct Field {
    pub selectors: Vec<Css>,
    pub drop: Vec<Css>,
    pub header: Option<HeaderRow>,
}

/// Rows named by their header cell.
#[derive(Debug, Clone)]
pub struct HeaderRow {
    pub rows: Css,
    /// The header cell's text (whitespace collapsed, a trailing `:` ignored).
    pub text: String,
}

/// A field read from an attribute of the first element that has it (`img.maxImg` / `src`).
#[derive(Debug, Clone)]
pub struct AttrField {
    pub field: Field,
    pub attr: String,
}

/// How a board's list is published.
#[derive(Debug, Clone)]
pub enum ListFormat {
    /// An HTML page read with selectors.
    Html(Box<HtmlList>),
    /// An RSS 2.0 feed: each `<item>`'s own title, link, category and image; no selectors.
    Rss,
}

/// Where the deals are on an HTML list page.
#[derive(Debug, Clone)]
pub struct HtmlList {
    /// One element per deal; the fields below are matched inside it.
    pub row: Css,
    pub title: Field,
    /// Without a price field, or where it is empty, the price is read from the title.
    pub price: Option<Field>,
    pub category: Option<Field>,
    /// Status marks (`종료`, `진행중`, `인기`); every match counts, not only the first.
    pub label: Option<Field>,
    pub thumbnail: Option<AttrField>,
    pub brand_logo: Option<AttrField>,
    pub link: AttrField,
    /// Rows containing an element one of these match are skipped (locked posts: `.fa-lock`).
    pub skip_rows_with: Vec<Css>,
}

/// Where the detail page keeps what the list page does not show.
#[derive(Debug, Clone)]
pub struct DetailSelectors {
    /// The whole title, for lists that cut long ones.
    pub title: Option<Field>,
    /// The shop's page; redirectors and `javascript:` calls are unwrapped (see `links`).
    pub purchase_url: Option<AttrField>,
    pub brand: Option<Field>,
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
    /// An http(s) URL template containing `{page}` (a feed's URL needs none).
    pub list_url: String,
    pub list: ListFormat,
    /// Deals marked with one of these (a label, or a tag in front of the title: `[종료]`) are over.
    /// Compared without the brackets around them and trimmed.
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

    /// How many list pages one refresh reads: a feed is one document.
    pub fn pages(&self) -> u32 {
        match self.list {
            ListFormat::Html(_) => self.politeness.max_pages,
            ListFormat::Rss => 1,
        }
    }

    /// Whether a label (`종료`, `[종료]`) says the deal is over.
    pub fn marks_ended(&self, label: &str) -> bool {
        let label = label
            .trim()
            .trim_start_matches(['[', '(', '【'])
            .trim_end_matches([']', ')', '】'])
            .trim();
        self.skip_labels.iter().any(|s| s == label)
    }

    /// Whether the title starts with a tag saying the deal is over (`[종료] [쿠팡] …`).
    pub fn title_marks_ended(&self, title: &str) -> bool {
        leading_tags(title).into_iter().any(|tag| self.marks_ended(tag))
    }
}

/// The hot-deal settings from the environment (`DEALS_*`).
#[derive(Clone, Debug)]
pub struct DealSettings {
    /// `false` turns the refreshers off and the skill answers that deals are unavailable.
    pub enabled: bool,
    /// Where the sources were read from (`None`: the shipped file, embedded in the binary).
    pub sources_file: Option<PathBuf>,
    /// Every source in the file, enabled or not.
    pub sources: Vec<DealSource>,
    pub user_agent: String,
}

/// The texts of the bracketed tags a title starts with: `[종료] [쿠팡] 라면` → `종료`, `쿠팡`.
pub fn leading_tags(title: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let mut rest = title.trim_start();
    while let Some((open, close)) = [('[', ']'), ('(', ')'), ('【', '】')]
        .into_iter()
        .find(|(open, _)| rest.starts_with(*open))
    {
        let Some(end) = rest.find(close) else { break };
        tags.push(rest[open.len_utf8()..end].trim());
        rest = rest[end + close.len_utf8()..].trim_start();
    }
    tags
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

#[derive(Deserialize, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Kind {
    #[default]
    Html,
    Rss,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    key: String,
    name: String,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    kind: Kind,
    list_url: String,
    row: Option<String>,
    title: Option<RawField>,
    price: Option<RawField>,
    category: Option<RawField>,
    label: Option<RawField>,
    thumbnail: Option<RawAttr>,
    brand_logo: Option<RawAttr>,
    link: Option<RawAttr>,
    #[serde(default)]
    skip_labels: Vec<String>,
    #[serde(default)]
    skip_texts: Vec<String>,
    #[serde(default)]
    skip_rows_with: Vec<String>,
    detail: Option<RawDetail>,
    #[serde(default)]
    politeness: Politeness,
}

fn yes() -> bool {
    true
}

/// One selector, or several tried in order.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum RawSelectors {
    One(String),
    Many(Vec<String>),
}

impl RawSelectors {
    fn texts(&self) -> Vec<&str> {
        match self {
            Self::One(one) => vec![one.as_str()],
            Self::Many(many) => many.iter().map(String::as_str).collect(),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawField {
    Selectors(RawSelectors),
    Table(RawFieldTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFieldTable {
    selector: RawSelectors,
    #[serde(default)]
    drop: Vec<String>,
    rows: Option<String>,
    header: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttr {
    selector: RawSelectors,
    attr: String,
    rows: Option<String>,
    header: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetail {
    title: Option<RawField>,
    purchase_url: Option<RawAttr>,
    brand: Option<RawField>,
}

/// Compiles one source's selectors, naming the source and field in every error.
struct Compiler<'a> {
    key: &'a str,
}

impl Compiler<'_> {
    fn invalid(&self, field: &'static str, reason: &str) -> SourceError {
        SourceError::Invalid {
            source_key: self.key.to_owned(),
            field,
            reason: reason.to_owned(),
        }
    }

    fn css(&self, field: &str, text: &str) -> Result<Css, SourceError> {
        compile(self.key, field, text)
    }

    fn all(&self, field: &str, texts: &[&str]) -> Result<Vec<Css>, SourceError> {
        if texts.is_empty() {
            return Err(SourceError::Selector {
                source_key: self.key.to_owned(),
                field: field.to_owned(),
                selector: String::new(),
                message: "lists no selector".to_owned(),
            });
        }
        texts.iter().map(|t| self.css(field, t)).collect()
    }

    fn header(
        &self,
        field: &str,
        rows: Option<&str>,
        header: Option<&str>,
    ) -> Result<Option<HeaderRow>, SourceError> {
        match (rows, header) {
            (None, None) => Ok(None),
            (Some(rows), Some(text)) if !text.trim().is_empty() => Ok(Some(HeaderRow {
                rows: self.css(&format!("{field}.rows"), rows)?,
                text: header_text(text),
            })),
            _ => Err(SourceError::Selector {
                source_key: self.key.to_owned(),
                field: format!("{field}.header"),
                selector: rows.unwrap_or_default().to_owned(),
                message: "`rows` and a non-empty `header` go together".to_owned(),
            }),
        }
    }

    fn field(&self, field: &str, raw: &RawField) -> Result<Field, SourceError> {
        match raw {
            RawField::Selectors(selectors) => Ok(Field {
                selectors: self.all(field, &selectors.texts())?,
                drop: Vec::new(),
                header: None,
            }),
            RawField::Table(table) => Ok(Field {
                selectors: self.all(field, &table.selector.texts())?,
                drop: table
                    .drop
                    .iter()
                    .map(|d| self.css(&format!("{field}.drop"), d))
                    .collect::<Result<_, _>>()?,
                header: self.header(field, table.rows.as_deref(), table.header.as_deref())?,
            }),
        }
    }

    fn optional(&self, field: &str, raw: Option<&RawField>) -> Result<Option<Field>, SourceError> {
        raw.map(|r| self.field(field, r)).transpose()
    }

    fn attr(&self, field: &str, raw: &RawAttr) -> Result<AttrField, SourceError> {
        let attr = raw.attr.trim();
        if attr.is_empty() || attr.contains(char::is_whitespace) {
            return Err(SourceError::Selector {
                source_key: self.key.to_owned(),
                field: format!("{field}.attr"),
                selector: raw.selector.texts().join(", "),
                message: format!("attribute {:?} is not a name", raw.attr),
            });
        }
        Ok(AttrField {
            field: Field {
                selectors: self.all(field, &raw.selector.texts())?,
                drop: Vec::new(),
                header: self.header(field, raw.rows.as_deref(), raw.header.as_deref())?,
            },
            attr: attr.to_owned(),
        })
    }

    fn optional_attr(&self, field: &str, raw: Option<&RawAttr>) -> Result<Option<AttrField>, SourceError> {
        raw.map(|r| self.attr(field, r)).transpose()
    }
}

/// A header cell's text as compared: whitespace collapsed, a trailing `:` left out.
pub(crate) fn header_text(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.trim_end_matches([':', '：']).trim_end().to_owned()
}

impl RawSource {
    fn check(self) -> Result<DealSource, SourceError> {
        let key = self.key.clone();
        let c = Compiler { key: &key };
        let key_ok = !key.is_empty()
            && key.len() <= 32
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !key_ok {
            return Err(c.invalid("key", "use 1-32 characters of a-z, 0-9, _ and -"));
        }
        if self.name.trim().is_empty() {
            return Err(c.invalid("name", "must not be empty"));
        }
        check_list_url(&self.list_url, self.kind).map_err(|reason| c.invalid("list_url", reason))?;
        let p = self.politeness;
        if p.timeout_ms == 0 || p.refresh_secs == 0 || p.max_pages == 0 {
            return Err(c.invalid(
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
            return Err(c.invalid("skip_labels/skip_texts", "an empty entry would skip every row"));
        }
        let list = match self.kind {
            Kind::Html => ListFormat::Html(Box::new(self.html_list(&c)?)),
            Kind::Rss => {
                self.refuse_selectors(&c)?;
                ListFormat::Rss
            }
        };
        let detail = match &self.detail {
            Some(d) => Some(DetailSelectors {
                title: c.optional("detail.title", d.title.as_ref())?,
                purchase_url: c.optional_attr("detail.purchase_url", d.purchase_url.as_ref())?,
                brand: c.optional("detail.brand", d.brand.as_ref())?,
            }),
            None => None,
        };
        Ok(DealSource {
            list,
            detail,
            name: self.name,
            enabled: self.enabled,
            list_url: self.list_url,
            skip_labels: self
                .skip_labels
                .iter()
                .map(|s| s.trim().trim_matches(['[', ']', '(', ')']).trim().to_owned())
                .collect(),
            skip_texts: self.skip_texts,
            politeness: self.politeness,
            key,
        })
    }

    fn html_list(&self, c: &Compiler<'_>) -> Result<HtmlList, SourceError> {
        let required =
            |field: &'static str| c.invalid(field, "is required for an HTML list (kind = \"html\")");
        let row = self.row.as_deref().ok_or_else(|| required("row"))?;
        let title = self.title.as_ref().ok_or_else(|| required("title"))?;
        let link = self.link.as_ref().ok_or_else(|| required("link"))?;
        Ok(HtmlList {
            row: c.css("row", row)?,
            title: c.field("title", title)?,
            price: c.optional("price", self.price.as_ref())?,
            category: c.optional("category", self.category.as_ref())?,
            label: c.optional("label", self.label.as_ref())?,
            thumbnail: c.optional_attr("thumbnail", self.thumbnail.as_ref())?,
            brand_logo: c.optional_attr("brand_logo", self.brand_logo.as_ref())?,
            link: c.attr("link", link)?,
            skip_rows_with: self
                .skip_rows_with
                .iter()
                .map(|s| c.css("skip_rows_with", s))
                .collect::<Result<_, _>>()?,
        })
    }

    /// A feed has its own fields: a selector given for one would silently do nothing.
    fn refuse_selectors(&self, c: &Compiler<'_>) -> Result<(), SourceError> {
        let given = [
            ("row", self.row.is_some()),
            ("title", self.title.is_some()),
            ("price", self.price.is_some()),
            ("category", self.category.is_some()),
            ("label", self.label.is_some()),
            ("thumbnail", self.thumbnail.is_some()),
            ("brand_logo", self.brand_logo.is_some()),
            ("link", self.link.is_some()),
            ("skip_rows_with", !self.skip_rows_with.is_empty()),
        ];
        match given.iter().find(|(_, set)| *set) {
            Some((field, _)) => Err(c.invalid(
                field,
                "is not used by a feed (kind = \"rss\"): its items' own fields are read",
            )),
            None => Ok(()),
        }
    }
}

fn check_list_url(template: &str, kind: Kind) -> Result<(), &'static str> {
    if kind == Kind::Html && !template.contains("{page}") {
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
        assert_eq!(
            html(quasar).thumbnail.as_ref().map(|t| t.attr.as_str()),
            Some("src")
        );
        let detail = quasar.detail.as_ref().expect("detail selectors");
        assert!(detail.purchase_url.is_some() && detail.brand.is_some() && detail.title.is_some());
        let brand = detail.brand.as_ref().unwrap().header.as_ref().expect("by header");
        assert_eq!(brand.text, "판매처");
        assert!(
            sources[1..].iter().any(|s| !s.enabled),
            "the example layout ships switched off"
        );
    }

    fn html(source: &DealSource) -> &HtmlList {
        match &source.list {
            ListFormat::Html(list) => list,
            ListFormat::Rss => panic!("{} is a feed", source.key),
        }
    }

    #[test]
    fn fields_take_one_selector_a_list_or_a_table() {
        let toml = replaced(
            r#"title = "a.title""#,
            r#"title = { selector = ["h3", "a.title"], drop = ["em.count"] }
            category = ["span.cat", "td.cat"]
            thumbnail = { selector = ["img.lazy", "img"], attr = "data-src" }"#,
        );
        let source = load_sources(&format!(
            "{toml}\n[source.detail]\nbrand = {{ rows = \"table.info tr\", header = \" 판매처 : \", selector = \"td\" }}\n"
        ))
        .unwrap()
        .remove(0);
        let list = html(&source);
        let texts = |f: &Field| f.selectors.iter().map(|c| c.text.clone()).collect::<Vec<_>>();
        assert_eq!(texts(&list.title), ["h3", "a.title"]);
        assert_eq!(list.title.drop[0].text, "em.count");
        assert_eq!(texts(list.category.as_ref().unwrap()), ["span.cat", "td.cat"]);
        assert_eq!(list.thumbnail.as_ref().unwrap().attr, "data-src");
        let header = source.detail.unwrap().brand.unwrap().header.unwrap();
        assert_eq!(
            (header.rows.text.as_str(), header.text.as_str()),
            ("table.info tr", "판매처")
        );
    }

    #[test]
    fn a_bad_field_table_names_the_field() {
        for (field, expected) in [
            (r#"title = { selector = "a", drop = ["em..x"] }"#, "title.drop"),
            (r#"title = { selector = "a", rows = "tr" }"#, "title.header"),
            (r#"title = { selector = [] }"#, "title"),
            (r#"title = { selector = "a", attr = "href" }"#, ""),
        ] {
            let toml = replaced(r#"title = "a.title""#, field);
            match load_sources(&toml) {
                Err(SourceError::Selector { field, .. }) => assert_eq!(field, expected),
                Err(SourceError::Toml(_)) => assert_eq!(expected, "", "{field}"),
                other => panic!("{field}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_feed_needs_no_selectors_and_refuses_them() {
        let feed = r#"
            [[source]]
            key = "feed"
            name = "피드"
            kind = "rss"
            list_url = "https://deals.example.com/rss"
        "#;
        let source = load_sources(feed).unwrap().remove(0);
        assert!(matches!(source.list, ListFormat::Rss));
        assert_eq!(source.pages(), 1);
        let with_row = feed.replace("kind = \"rss\"", "kind = \"rss\"\nrow = \"tr\"");
        assert!(matches!(
            load_sources(&with_row),
            Err(SourceError::Invalid { field: "row", .. })
        ));
        let html_without_row = MINIMAL.replace("row = \"tr\"", "");
        assert!(matches!(
            load_sources(&html_without_row),
            Err(SourceError::Invalid { field: "row", .. })
        ));
    }

    #[test]
    fn ended_marks_are_compared_without_brackets() {
        let source = load_sources(&with(r#"skip_labels = ["[종료]", "품절"]"#))
            .unwrap()
            .remove(0);
        assert_eq!(source.skip_labels, ["종료", "품절"]);
        for label in ["종료", "[종료]", " (품절) ", "【종료】"] {
            assert!(source.marks_ended(label), "{label}");
        }
        assert!(!source.marks_ended("종료 임박"));
        assert!(source.title_marks_ended("[종료] [쿠팡] 라면"));
        assert!(source.title_marks_ended("[쿠팡][품절] 라면"));
        assert!(!source.title_marks_ended("[쿠팡] 라면 [종료]"));
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
        assert!(sources[0].detail.is_none() && html(&sources[0]).category.is_none());
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
