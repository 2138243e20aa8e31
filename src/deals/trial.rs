//! `junggye deals try <source-key> [--file page.html]`: what a board would show, for an operator to check
//! a source before enabling it or after editing its selectors.
//!
//! The source is looked up among all sources in the file, enabled or not (trying one is how it gets
//! enabled). With `--file` the list page is read from a saved copy and nothing is fetched; otherwise page
//! one is fetched as the refresher would (same client, headers and politeness), and so are the deal pages
//! (up to `max_details`) for the shop links and whole titles. The result lists every deal as the skill
//! would show it and every skipped row with the reason.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use url::Url;

use super::extract::{ExtractError, ListReport, read_list};
use super::fetch::{FetchError, FetchPolicy, Fetcher};
use super::refresh::add_details;
use super::shelf::Deal;
use crate::deal_sources::DealSettings;
use crate::deal_sources::{DealSource, ListFormat};

/// Why a board could not be tried.
#[derive(Debug, thiserror::Error)]
pub enum TrialError {
    #[error("no deal source is called {key:?} (the sources file has: {known})")]
    UnknownSource { key: String, known: String },
    #[error("cannot read {path}: {error}")]
    File { path: String, error: std::io::Error },
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("{url}: {error}")]
    Fetch { url: String, error: FetchError },
    #[error("{0}")]
    Layout(#[from] ExtractError),
}

/// What trying a board found.
pub struct Trial {
    pub source: Arc<DealSource>,
    pub page_url: String,
    /// The saved page read instead of fetching, if any.
    pub file: Option<String>,
    pub report: ListReport,
    /// The deals as shown, with what their pages added (`detail_read` false when not read).
    pub deals: Vec<Deal>,
}

/// Tries the source `key` of `settings` (see the module documentation).
pub async fn try_source(
    settings: &DealSettings,
    key: &str,
    file: Option<&Path>,
) -> Result<Trial, TrialError> {
    let source = settings
        .sources
        .iter()
        .find(|s| s.key == key)
        .cloned()
        .map(Arc::new)
        .ok_or_else(|| TrialError::UnknownSource {
            key: key.to_owned(),
            known: settings
                .sources
                .iter()
                .map(|s| s.key.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    let page_url = source.list_url(1);
    let fetcher = Fetcher::new(&settings.user_agent, FetchPolicy::default())?;
    let body = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|error| TrialError::File {
            path: path.display().to_string(),
            error,
        })?,
        None => {
            let url = Url::parse(&page_url).map_err(|_| ExtractError::BadPageUrl {
                source_key: source.key.clone(),
                page_url: page_url.clone(),
            })?;
            fetcher
                .get(&url, &source.politeness, None)
                .await
                .map_err(|error| TrialError::Fetch {
                    url: page_url.clone(),
                    error,
                })?
        }
    };
    let report = read_list(&source, &body, &page_url)?;
    let deals = match file {
        Some(_) => report
            .deals
            .iter()
            .cloned()
            .map(|row| Deal::new(row, None))
            .collect(),
        None => add_details(&fetcher, &source, report.deals.clone(), None).await,
    };
    Ok(Trial {
        file: file.map(|p| p.display().to_string()),
        source,
        page_url,
        report,
        deals,
    })
}

impl fmt::Display for Trial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let source = &self.source;
        let kind = match source.list {
            ListFormat::Html(_) => "HTML list",
            ListFormat::Rss => "RSS feed",
        };
        let enabled = if source.enabled { "enabled" } else { "not enabled" };
        writeln!(f, "{} ({}, {kind}, {enabled})", source.name, source.key)?;
        match &self.file {
            Some(file) => writeln!(f, "page: {} (read from {file})", self.page_url)?,
            None => writeln!(f, "page: {}", self.page_url)?,
        }
        let report = &self.report;
        writeln!(
            f,
            "{} rows: {} deals, {} skipped, {} with a price, {} with a shop link",
            report.matched,
            self.deals.len(),
            report.skipped.len(),
            self.deals.iter().filter(|d| !d.row.price.is_unknown()).count(),
            self.deals.iter().filter(|d| d.purchase_url.is_some()).count(),
        )?;
        writeln!(f, "\ndeals, as the skill would show them:")?;
        for (n, deal) in self.deals.iter().enumerate() {
            self.write_deal(f, n + 1, deal)?;
        }
        if !report.skipped.is_empty() {
            writeln!(f, "\nskipped rows:")?;
            for skipped in &report.skipped {
                writeln!(
                    f,
                    "  row {}: {} — {}",
                    skipped.position, skipped.reason, skipped.text
                )?;
            }
        }
        Ok(())
    }
}

impl Trial {
    fn write_deal(&self, f: &mut fmt::Formatter<'_>, n: usize, deal: &Deal) -> fmt::Result {
        let row = &deal.row;
        writeln!(f, "{n:>3}. {}", row.title)?;
        let mut about = vec![format!("price: {}", row.price.display())];
        about.extend(row.category.as_ref().map(|c| format!("category: {c}")));
        about.extend(deal.brand.as_ref().map(|b| format!("shop: {b}")));
        if !row.labels.is_empty() {
            about.push(format!("labels: {}", row.labels.join(", ")));
        }
        writeln!(f, "     {}", about.join(" · "))?;
        writeln!(f, "     post: {}", row.detail_url)?;
        let shop = match (&deal.purchase_url, deal.detail_read) {
            (Some(url), _) => url.clone(),
            (None, true) => "(none on the deal page)".to_owned(),
            (None, false) if self.file.is_some() => "(deal pages are not read with --file)".to_owned(),
            (None, false) if self.source.detail.is_none() => "(no [source.detail] selectors)".to_owned(),
            (None, false) => "(deal page not read: another host, max_details, or an error)".to_owned(),
        };
        writeln!(f, "     shop link: {shop}")
    }
}
