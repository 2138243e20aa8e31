//! Hot deals (핫딜): the pure, synchronous pieces that read deal-sharing boards.
//!
//! The original scraped one board inside the skill call, with its selectors compiled into the code. Here the
//! pieces are split so a background task can fetch pages and a skill can answer from cache:
//!
//! - [`source`]: boards are *data* (`deals/sources.toml`): URL template, CSS selectors, skip rules and
//!   politeness settings. When a site changes its markup an operator edits the file — no recompiling — and
//!   [`load_sources`] refuses a file whose selectors do not compile, naming the source and the field.
//! - [`extract`]: list and detail pages → owned rows ([`DealRow`], [`DealDetail`]). `scraper::Html` is not
//!   `Send`, so callers run these in `spawn_blocking` and get plain data back. A list page whose row selector
//!   matches nothing is [`ExtractError::LayoutChanged`], so the caller keeps the last good data and reports it.
//! - [`price`]: price text → [`DealPrice`]; a price that cannot be read is shown as written, never as `0원`.

pub mod extract;
pub mod price;
pub mod source;

pub use extract::{DealDetail, DealRow, ExtractError, LayoutProblem, dedup, extract_detail, extract_list};
pub use price::{DealPrice, parse_price};
pub use source::{DealSource, SHIPPED_SOURCES, SourceError, load_sources, shipped_sources};
