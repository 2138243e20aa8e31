//! One read of one board: its list pages (or feed), then the pages of deals not read before.
//!
//! The first list page decides: if it cannot be fetched, or its layout changed, the refresh fails and the
//! caller keeps the previous snapshot. Later list pages and deal pages only add: a failure there ends that
//! part of the read politely (no further requests) and the deals read so far are kept. Deal pages are read
//! only on the list's own host (a link to elsewhere is not the board's post), at most `max_details` per
//! refresh, and never again once read: their purchase link, brand and whole title are carried over from the
//! previous snapshot. HTML is parsed in `spawn_blocking`: `scraper::Html` is not `Send`, and a parse takes
//! milliseconds of CPU a request handler should not wait behind.

use std::collections::HashMap;
use std::sync::Arc;

use url::Url;

use super::extract::{DealDetail, DealRow, ExtractError, dedup, extract_detail, extract_list};
use super::fetch::{FetchError, Fetcher};
use super::shelf::{Deal, FailureKind, Snapshot};
use crate::deal_sources::DealSource;

/// Why a refresh read nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefreshError {
    #[error("list page: {0}")]
    Fetch(#[from] FetchError),
    #[error("{0}")]
    Layout(#[from] ExtractError),
    #[error("the refresh took longer than its budget")]
    Budget,
    #[error("parser task failed: {0}")]
    Parser(String),
}

impl RefreshError {
    /// What kind of failure this is, for the source's health: a refusal is not a redesign.
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::Fetch(FetchError::Blocked(_)) => FailureKind::Blocked,
            Self::Fetch(FetchError::RateLimited { .. }) => FailureKind::RateLimited,
            Self::Fetch(_) | Self::Budget => FailureKind::Unreachable,
            Self::Layout(_) | Self::Parser(_) => FailureKind::LayoutChanged,
        }
    }

    /// How long the board asked us to stay away, if it did.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            Self::Fetch(error) => error.retry_after(),
            _ => None,
        }
    }
}

/// Reads `source` and returns its deals, reusing what `previous` learned from deal pages.
pub async fn scrape(
    fetcher: &Fetcher,
    source: &Arc<DealSource>,
    previous: Option<&Snapshot>,
) -> Result<Vec<Deal>, RefreshError> {
    let rows = read_lists(fetcher, source).await?;
    Ok(add_details(fetcher, source, dedup(rows), previous).await)
}

async fn read_lists(fetcher: &Fetcher, source: &Arc<DealSource>) -> Result<Vec<DealRow>, RefreshError> {
    let mut rows = Vec::new();
    for page in 1..=source.pages() {
        let url = source.list_url(page);
        let result = match Url::parse(&url) {
            Ok(parsed) => read_list(fetcher, source, &parsed).await,
            Err(_) => Err(RefreshError::Layout(ExtractError::BadPageUrl {
                source_key: source.key.clone(),
                page_url: url.clone(),
            })),
        };
        match result {
            Ok(found) => rows.extend(found),
            Err(error) if page == 1 => return Err(error),
            Err(error) => {
                tracing::info!(source = %source.key, page, %error, "deal list: stopped before this page");
                break;
            }
        }
    }
    Ok(rows)
}

async fn read_list(
    fetcher: &Fetcher,
    source: &Arc<DealSource>,
    url: &Url,
) -> Result<Vec<DealRow>, RefreshError> {
    let body = fetcher.get(url, &source.politeness, None).await?;
    let source = source.clone();
    let page_url = url.to_string();
    let parsed = tokio::task::spawn_blocking(move || extract_list(&source, &body, &page_url))
        .await
        .map_err(|e| RefreshError::Parser(e.to_string()))?;
    Ok(parsed?)
}

/// Adds to each row what its deal page says: read now (within the budget), or earlier.
pub(crate) async fn add_details(
    fetcher: &Fetcher,
    source: &Arc<DealSource>,
    rows: Vec<DealRow>,
    previous: Option<&Snapshot>,
) -> Vec<Deal> {
    let known: HashMap<&str, &Deal> = previous
        .into_iter()
        .flat_map(|s| &s.deals)
        .filter(|d| d.detail_read)
        .map(|d| (d.row.detail_url.as_str(), d))
        .collect();
    let list_page = Url::parse(&source.list_url(1)).ok();
    let list_host = list_page.as_ref().and_then(|u| u.host_str().map(str::to_owned));
    let mut budget = if source.detail.is_some() {
        source.politeness.max_details
    } else {
        0
    };
    let mut deals = Vec::with_capacity(rows.len());
    for row in rows {
        if let Some(old) = known.get(row.detail_url.as_str()) {
            deals.push(Deal::new(row, Some(old.detail())));
            continue;
        }
        let readable = Url::parse(&row.detail_url)
            .ok()
            .filter(|u| u.host_str().map(str::to_owned) == list_host);
        let detail = match readable {
            Some(url) if budget > 0 => {
                budget -= 1;
                match read_detail(fetcher, source, &url, list_page.as_ref()).await {
                    Ok(detail) => Some(detail),
                    Err(error) => {
                        tracing::info!(source = %source.key, %url, %error, "deal page: stopped reading deal pages");
                        budget = 0;
                        None
                    }
                }
            }
            _ => None,
        };
        deals.push(Deal::new(row, detail));
    }
    deals
}

async fn read_detail(
    fetcher: &Fetcher,
    source: &Arc<DealSource>,
    url: &Url,
    list_page: Option<&Url>,
) -> Result<DealDetail, RefreshError> {
    let body = fetcher.get(url, &source.politeness, list_page).await?;
    let source = source.clone();
    let page_url = url.to_string();
    tokio::task::spawn_blocking(move || extract_detail(&source, &body, &page_url))
        .await
        .map_err(|e| RefreshError::Parser(e.to_string()))
}
