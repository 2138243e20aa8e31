//! What the refreshers keep in the shared cache (Redis, or the in-process map without `REDIS_URL`), and
//! the lock that lets one instance read a board while the others only read the cache.
//!
//! Keys, for a source `key` (all under an optional prefix, so tests can share one Redis):
//!
//! | key | value | expiry |
//! |---|---|---|
//! | `deals:v1:{key}` | [`Snapshot`] as JSON: the deals and `fetched_at_ms` | 7 days |
//! | `deals:v1:{key}:health` | [`Health`] as JSON: last success, last error, item count | 30 days |
//! | `deals:v1:{key}:lock` | a random token of the instance reading the board | the lock's TTL |
//!
//! A snapshot outlives many refresh intervals on purpose: when a board is down, old deals shown with
//! their age beat no deals. `v1` changes when the JSON shape does, so an old instance and a new one never
//! read each other's data. The lock is `SET NX PX`, released by compare-and-delete with its token, so an
//! instance whose lock expired never releases the next owner's.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::extract::{DealDetail, DealRow};
use super::title;
use crate::cache::Cache;

/// How long a snapshot is kept after its last refresh.
const SNAPSHOT_TTL: Duration = Duration::from_secs(7 * 24 * 3_600);
/// How long a health record is kept after its last write.
const HEALTH_TTL: Duration = Duration::from_secs(30 * 24 * 3_600);

/// One deal: its row on the list page and what its own page added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deal {
    pub row: DealRow,
    /// Absolute http(s) URL of the shop's page, when the deal's page named one.
    pub purchase_url: Option<String>,
    pub brand: Option<String>,
    /// The whole title from the deal's page, when the list cut it (`row.title` is then this title).
    #[serde(default)]
    pub full_title: Option<String>,
    /// Whether the deal's page was read (so later refreshes reuse it instead of asking again).
    #[serde(default)]
    pub detail_read: bool,
}

impl Deal {
    /// A row with what its deal page added (`None`: the page was not read). When the list cut the title
    /// and the page gives it whole, the row shows the whole title, and a price the cut title could not
    /// give is read from it.
    pub fn new(mut row: DealRow, detail: Option<DealDetail>) -> Self {
        let Some(detail) = detail else {
            return Self {
                row,
                purchase_url: None,
                brand: None,
                full_title: None,
                detail_read: false,
            };
        };
        let full_title = detail
            .title
            .as_deref()
            .and_then(|page_title| title::completed(&row.title, page_title));
        if let Some(full) = &full_title {
            row.title = full.clone();
            if row.price.is_unknown() {
                row.price = title::price_in(full);
            }
        }
        Self {
            row,
            purchase_url: detail.purchase_url,
            brand: detail.brand,
            full_title,
            detail_read: true,
        }
    }

    /// What the deal's page said, for a later refresh that finds the same deal (its list title cut again).
    pub fn detail(&self) -> DealDetail {
        DealDetail {
            purchase_url: self.purchase_url.clone(),
            brand: self.brand.clone(),
            title: self.full_title.clone(),
        }
    }
}

/// Why a source's last refresh failed, in a word an operator can act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// `403` or a bot challenge: the board refuses this client (not a redesign; selectors are fine).
    Blocked,
    /// The page no longer has the configured rows: fix the selectors.
    LayoutChanged,
    /// `429` with a wait too long to sit out.
    RateLimited,
    /// Timeouts, refused connections, 5xx answers, a page over the size cap.
    Unreachable,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blocked => "blocked",
            Self::LayoutChanged => "layout_changed",
            Self::RateLimited => "rate_limited",
            Self::Unreachable => "unreachable",
        }
    }
}

/// The deals of one source as read at `fetched_at_ms`, in the board's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub source: String,
    /// Unix milliseconds when the list was read.
    pub fetched_at_ms: i64,
    pub deals: Vec<Deal>,
}

/// How a source has been doing, for operators (`Deals::health`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub source: String,
    /// Unix milliseconds of the last refresh that read the board.
    pub last_success_ms: Option<i64>,
    /// Unix milliseconds of the last refresh that tried to.
    pub last_attempt_ms: Option<i64>,
    /// Why the last failed refresh failed (kept after later successes, with its time).
    pub last_error: Option<String>,
    /// The kind of that failure.
    #[serde(default)]
    pub last_error_kind: Option<FailureKind>,
    pub last_error_ms: Option<i64>,
    /// Deals in the snapshot being served.
    pub item_count: usize,
    /// Failed refreshes since the last success (0 while the source is healthy).
    pub consecutive_failures: u32,
}

/// The cache could not be read or written; callers fall back to what they hold in memory.
#[derive(Debug, thiserror::Error)]
#[error("deal cache: {0}")]
pub struct ShelfError(#[from] redis::RedisError);

/// The deal keys in the shared cache.
#[derive(Clone, Debug)]
pub struct Shelf {
    cache: Cache,
    prefix: String,
}

impl Shelf {
    /// `prefix` goes in front of every key (empty in production).
    pub fn new(cache: Cache, prefix: &str) -> Self {
        Self {
            cache,
            prefix: format!("{prefix}deals:v1:"),
        }
    }

    pub fn snapshot_key(&self, source: &str) -> String {
        format!("{}{source}", self.prefix)
    }

    fn health_key(&self, source: &str) -> String {
        format!("{}{source}:health", self.prefix)
    }

    fn lock_key(&self, source: &str) -> String {
        format!("{}{source}:lock", self.prefix)
    }

    pub async fn snapshot(&self, source: &str) -> Result<Option<Snapshot>, ShelfError> {
        self.read(&self.snapshot_key(source)).await
    }

    pub async fn put_snapshot(&self, snapshot: &Snapshot) -> Result<(), ShelfError> {
        self.write(&self.snapshot_key(&snapshot.source), snapshot, SNAPSHOT_TTL)
            .await
    }

    pub async fn health(&self, source: &str) -> Result<Option<Health>, ShelfError> {
        self.read(&self.health_key(source)).await
    }

    pub async fn put_health(&self, health: &Health) -> Result<(), ShelfError> {
        self.write(&self.health_key(&health.source), health, HEALTH_TTL)
            .await
    }

    /// Takes the source's lock for `ttl` unless another instance holds it. True when taken.
    pub async fn try_lock(&self, source: &str, token: &str, ttl: Duration) -> Result<bool, ShelfError> {
        Ok(self
            .cache
            .set_nx(&self.lock_key(source), token.as_bytes(), ttl)
            .await?)
    }

    /// Releases the lock if this token still holds it.
    pub async fn unlock(&self, source: &str, token: &str) -> Result<bool, ShelfError> {
        Ok(self
            .cache
            .delete_if(&self.lock_key(source), token.as_bytes())
            .await?)
    }

    /// A value that does not parse (another version's, or damaged) reads as absent: it is replaced by the
    /// next refresh.
    async fn read<T: for<'de> Deserialize<'de>>(&self, key: &str) -> Result<Option<T>, ShelfError> {
        let Some(bytes) = self.cache.get(key).await? else {
            return Ok(None);
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(Some(value)),
            Err(error) => {
                tracing::warn!(key, %error, "deal cache entry does not parse; ignored");
                Ok(None)
            }
        }
    }

    async fn write<T: Serialize>(&self, key: &str, value: &T, ttl: Duration) -> Result<(), ShelfError> {
        let bytes = serde_json::to_vec(value).expect("deal records serialise");
        Ok(self.cache.set(key, &bytes, ttl).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deals::price::DealPrice;

    fn snapshot() -> Snapshot {
        Snapshot {
            source: "board".into(),
            fetched_at_ms: 1_795_275_000_000,
            deals: vec![Deal {
                row: DealRow {
                    title: "딜".into(),
                    price: DealPrice::Won(1_000),
                    category: None,
                    labels: vec![],
                    thumbnail: None,
                    brand_logo: None,
                    detail_url: "https://deals.example.com/1".into(),
                },
                purchase_url: Some("https://shop.example.com/1".into()),
                brand: None,
                full_title: None,
                detail_read: true,
            }],
        }
    }

    #[tokio::test]
    async fn snapshots_and_health_round_trip_under_their_prefix() {
        let cache = Cache::memory();
        let store = Shelf::new(cache.clone(), "t1:");
        assert_eq!(store.snapshot_key("board"), "t1:deals:v1:board");
        assert_eq!(store.snapshot("board").await.unwrap(), None);
        store.put_snapshot(&snapshot()).await.unwrap();
        assert_eq!(store.snapshot("board").await.unwrap(), Some(snapshot()));
        assert_eq!(
            Shelf::new(cache.clone(), "t2:").snapshot("board").await.unwrap(),
            None
        );
        let health = Health {
            source: "board".into(),
            item_count: 1,
            ..Health::default()
        };
        store.put_health(&health).await.unwrap();
        assert_eq!(store.health("board").await.unwrap(), Some(health));
    }

    #[tokio::test]
    async fn a_damaged_entry_reads_as_absent() {
        let cache = Cache::memory();
        let store = Shelf::new(cache.clone(), "");
        cache
            .set("deals:v1:board", b"{not json", Duration::from_secs(5))
            .await
            .unwrap();
        assert_eq!(store.snapshot("board").await.unwrap(), None);
    }

    #[tokio::test]
    async fn only_the_owner_releases_the_lock() {
        let store = Shelf::new(Cache::memory(), "");
        let ttl = Duration::from_secs(5);
        assert!(store.try_lock("board", "a", ttl).await.unwrap());
        assert!(!store.try_lock("board", "b", ttl).await.unwrap());
        assert!(!store.unlock("board", "b").await.unwrap());
        assert!(store.unlock("board", "a").await.unwrap());
        assert!(store.try_lock("board", "b", ttl).await.unwrap());
    }
}
