//! A short-lived cache of what browsing reads: list pages and product details.
//!
//! Browsing is most of the traffic and the same pages are asked for again and again (the newest products,
//! popular searches), so each page or product read from the database is kept for a moment (`CATALOG_CACHE_MS`,
//! two seconds by default). Any product change made through this process bumps a version and so retires every
//! entry at once: on one instance a reader never sees a page older than the last change. With several
//! instances, a change made elsewhere shows here within the time-to-live.
//!
//! The cache is retired in one place: the store functions that change what browsing shows (a product's
//! status or existence, its photos, its seller's membership) take the `Catalog` and retire it themselves
//! once their write has committed and applied. Every write path, whichever face or background task it
//! starts from (skills, payment pages, the admin API, the reconciler, photo downloads), passes through
//! one of them, and only they know whether their conditional update changed anything; a new write cannot
//! compile without the catalog, so it cannot forget it (`tests/architecture.rs` refuses retiring by hand).
//!
//! Only public reads are cached. A seller's own list and every read that decides a write (status changes,
//! registration) go to the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::OnceCell;

use super::model::{Category, ListCursor, Page, Product, ProductSummary};
use super::store::{self, Listing};
use crate::db::Db;
use crate::domain::ids::ProductId;

/// Entries kept at most per kind; past this the cache starts over (it refills within one time-to-live).
const MAX_ENTRIES: usize = 4096;

/// A list page's identity: what is listed and from where.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PageKey {
    All(Option<ListCursor>),
    Category(Category, Option<ListCursor>),
    Search(String, Option<ListCursor>),
}

struct Entry<T> {
    stored_at: Instant,
    version: u64,
    /// Filled once by the first reader; readers arriving meanwhile wait for it instead of each asking
    /// the database (when a popular page expires, sixty-four callers would otherwise all miss at once).
    value: Arc<OnceCell<Arc<T>>>,
}

struct Shelf<K, T> {
    /// The shelf's name in the hit/miss metrics.
    name: &'static str,
    entries: Mutex<HashMap<K, Entry<T>>>,
}

impl<K: Hash + Eq, T> Shelf<K, T> {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The live slot for `key`, or a new empty one replacing an expired or outdated slot.
    fn slot(&self, key: K, version: u64, ttl: Duration) -> Arc<OnceCell<Arc<T>>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = entries.get(&key)
            && entry.version == version
            && entry.stored_at.elapsed() < ttl
        {
            return entry.value.clone();
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        let value = Arc::new(OnceCell::new());
        entries.insert(
            key,
            Entry {
                stored_at: Instant::now(),
                version,
                value: value.clone(),
            },
        );
        value
    }

    /// The cached value, or `load`'s result (shared with every caller waiting on the same slot).
    /// A failed load leaves the slot empty, so the next caller tries again.
    async fn get_or_load<F, Fut>(
        &self,
        key: K,
        version: u64,
        ttl: Duration,
        load: F,
    ) -> Result<Arc<T>, sqlx::Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, sqlx::Error>>,
    {
        if ttl.is_zero() {
            return Ok(Arc::new(load().await?));
        }
        let slot = self.slot(key, version, ttl);
        let mut loaded = false;
        let value = slot
            .get_or_try_init(|| {
                loaded = true;
                async { load().await.map(Arc::new) }
            })
            .await
            .cloned();
        // A caller that waited for another's load counts as a hit: it did not reach the database.
        crate::metrics::global().cache_lookup(self.name, !loaded);
        value
    }
}

/// The browse cache. Cheap to share (`Arc`).
pub struct Catalog {
    ttl: Duration,
    version: AtomicU64,
    pages: Shelf<PageKey, Page<ProductSummary, ListCursor>>,
    products: Shelf<ProductId, Option<Product>>,
}

impl Catalog {
    /// A cache keeping entries for `ttl`; zero turns caching off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            version: AtomicU64::new(0),
            pages: Shelf::new("catalog_pages"),
            products: Shelf::new("catalog_products"),
        }
    }

    /// Retires everything cached. Every store function that changes products, their photos or their
    /// sellers' membership does this itself, after its write committed ([`Catalog::retire_if`]); only a
    /// write made outside the stores (a test's own SQL) needs to call it by hand.
    pub fn changed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    /// Retires every entry when a write `changed` something, and hands `changed` back.
    pub(crate) fn retire_if(&self, changed: bool) -> bool {
        if changed {
            self.changed();
        }
        changed
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// A page of a public listing (a seller's own list is never cached).
    pub async fn list(
        &self,
        db: &Db,
        listing: Listing<'_>,
        cursor: Option<ListCursor>,
    ) -> Result<Arc<Page<ProductSummary, ListCursor>>, sqlx::Error> {
        let key = match listing {
            Listing::All => PageKey::All(cursor),
            Listing::Category(category) => PageKey::Category(category, cursor),
            Listing::Search(text) => PageKey::Search(text.to_owned(), cursor),
            Listing::Seller { .. } => return Ok(Arc::new(store::list(db, listing, cursor).await?)),
        };
        // Read the version before the database: a change landing in between leaves the entry already stale.
        let version = self.version();
        self.pages
            .get_or_load(key, version, self.ttl, || store::list(db, listing, cursor))
            .await
    }

    /// A product with its photos, as the detail view shows it.
    pub async fn product(&self, db: &Db, id: ProductId) -> Result<Arc<Option<Product>>, sqlx::Error> {
        let version = self.version();
        self.products
            .get_or_load(id, version, self.ttl, || store::get(db, id))
            .await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    async fn load_counting(
        shelf: &Shelf<i64, usize>,
        version: u64,
        ttl: Duration,
        loads: &AtomicUsize,
    ) -> usize {
        let value = shelf
            .get_or_load(1, version, ttl, || async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                Ok(loads.fetch_add(1, Ordering::SeqCst) + 1)
            })
            .await
            .unwrap();
        *value
    }

    #[tokio::test]
    async fn concurrent_readers_of_one_key_share_one_load() {
        let shelf = Arc::new(Shelf::new("test"));
        let loads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..32)
            .map(|_| {
                let (shelf, loads) = (shelf.clone(), loads.clone());
                tokio::spawn(async move { load_counting(&shelf, 0, Duration::from_secs(5), &loads).await })
            })
            .collect();
        for reader in readers {
            assert_eq!(reader.await.unwrap(), 1);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_change_or_expiry_makes_the_next_reader_load_again() {
        let shelf = Shelf::new("test");
        let loads = AtomicUsize::new(0);
        assert_eq!(load_counting(&shelf, 0, Duration::from_secs(5), &loads).await, 1);
        assert_eq!(
            load_counting(&shelf, 0, Duration::from_secs(5), &loads).await,
            1,
            "cached"
        );
        assert_eq!(
            load_counting(&shelf, 1, Duration::from_secs(5), &loads).await,
            2,
            "a newer version"
        );
        assert_eq!(
            load_counting(&shelf, 1, Duration::ZERO, &loads).await,
            3,
            "caching off"
        );
    }

    #[test]
    fn the_shelf_starts_over_when_full() {
        let shelf: Shelf<usize, usize> = Shelf::new("test");
        for i in 0..=MAX_ENTRIES {
            shelf.slot(i, 0, Duration::from_secs(5));
        }
        assert!(shelf.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
