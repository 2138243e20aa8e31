//! Hot deals (핫딜): boards read in the background into the shared cache, and a skill that answers from
//! memory in microseconds.
//!
//! The original scraped one board inside the skill call (one list and five detail requests with sleeps
//! between them: 4–5 s, into Kakao's 5 s limit), with its selectors compiled into the code. Here no skill
//! call ever waits on a board:
//!
//! - [`crate::deal_sources`]: boards are *data* (`deals/sources.toml`, or the file named by `DEALS_SOURCES_FILE`): URL
//!   template, CSS selectors, skip rules and politeness settings. When a site changes its markup an operator
//!   edits the file — no recompiling — and [`load_sources`] refuses a file whose selectors do not compile,
//!   naming the source and the field.
//! - [`extract`]: list pages (HTML with selectors, or an RSS feed) and detail pages → owned rows
//!   ([`DealRow`], [`DealDetail`]), with every skipped row and why. A list page whose row selector matches
//!   nothing is [`ExtractError::LayoutChanged`], so the last good data is kept and reported.
//! - [`title`]: what a title says besides the name: the price written in it, a cut, an ended tag.
//! - [`links`]: post and shop links as plain http(s) URLs, redirectors and `javascript:` calls unwrapped.
//! - [`price`]: price text → [`DealPrice`]; a price that cannot be read is shown as written, never as `0원`.
//! - [`fetch`]: the one HTTP client: HTTP/2 and a browser's headers, one request at a time per host with a
//!   minimum delay, timeouts, retries with backoff, `429`/`Retry-After`, a size cap, blocks told apart.
//! - [`breaker`]: a circuit breaker per source, so a failing board is left alone longer and longer.
//! - [`refresh`]: one read of one board (list pages, then a bounded number of deal pages, parsed in
//!   `spawn_blocking`).
//! - [`shelf`]: snapshots, health records and the per-source lock in the shared cache.
//! - [`mirror`] and [`view`]: this process's copy, and what one skill call sees of it.
//! - [`service`]: [`Deals`], the handle in `AppState`: refreshers, single-flight, stale-while-revalidate,
//!   the admin hooks ([`Deals::refresh_now`], [`Deals::health`]).
//! - `POST /skill/deals` and how deals look in KakaoTalk are in [`crate::kakao::deals`].
//! - [`trial`]: `junggye deals try`: what a board would show, for an operator, before it is enabled.

pub mod breaker;
pub mod extract;
pub mod fetch;
pub mod links;
pub mod mirror;
pub mod price;
pub mod refresh;
pub mod service;
pub mod shelf;
pub mod title;
pub mod trial;
pub mod view;

pub use crate::deal_sources::{
    DealSettings, DealSource, SHIPPED_SOURCES, SourceError, load_sources, shipped_sources,
};
pub use extract::{
    DealDetail, DealRow, ExtractError, LayoutProblem, ListReport, SkipReason, Skipped, dedup, extract_detail,
    extract_list, read_list,
};
pub use price::{DealPrice, parse_price};
pub use service::{Deals, DealsError, DealsOptions, RefreshOutcome, SourceHealth, UnknownSource};
pub use shelf::{Deal, FailureKind, Health, Snapshot};
