//! A short-lived cache of what browsing reads: list pages and product details.
//!
//! Browsing is most of the traffic and the same pages are asked for again and again (the newest products,
//! popular searches), so each page or product read from the database is kept for a moment (`CATALOG_CACHE_MS`,
//! two seconds by default). Any product change made through this process bumps a version and so retires every
//! entry at once: on one instance a reader never sees a page older than the last change. With several
//! instances, a change made elsewhere shows here within the time-to-live.
//!
//! Only public reads are cached. A seller's own list and every read that decides a write (status changes,
//! registration) go to the database.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::model::{Category, Page, Product, ProductSummary};
use super::store::{self, Listing};
use crate::db::Db;

/// Entries kept at most per kind; past this the cache starts over (it refills within one time-to-live).
const MAX_ENTRIES: usize = 4096;

/// A list page's identity: what is listed and from where.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum PageKey {
    All(Option<i64>),
    Category(Category, Option<i64>),
    Search(String, Option<i64>),
}

struct Entry<T> {
    stored_at: Instant,
    version: u64,
    value: Arc<T>,
}

struct Shelf<K, T> {
    entries: Mutex<HashMap<K, Entry<T>>>,
}

impl<K: Hash + Eq, T> Shelf<K, T> {
    fn new() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, key: &K, version: u64, ttl: Duration) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(key)?;
        (entry.version == version && entry.stored_at.elapsed() < ttl).then(|| entry.value.clone())
    }

    fn put(&self, key: K, version: u64, value: Arc<T>) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(
            key,
            Entry {
                stored_at: Instant::now(),
                version,
                value,
            },
        );
    }
}

/// The browse cache. Cheap to share (`Arc`).
pub struct Catalog {
    ttl: Duration,
    version: AtomicU64,
    pages: Shelf<PageKey, Page<ProductSummary>>,
    products: Shelf<i64, Option<Product>>,
}

impl Catalog {
    /// A cache keeping entries for `ttl`; zero turns caching off.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            version: AtomicU64::new(0),
            pages: Shelf::new(),
            products: Shelf::new(),
        }
    }

    /// Retires everything cached: call after any change to products or their photos.
    pub fn changed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
    }

    fn version(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// A page of a public listing (a seller's own list is never cached).
    pub async fn list(
        &self,
        db: &Db,
        listing: Listing<'_>,
        cursor: Option<i64>,
        per_page: usize,
    ) -> Result<Arc<Page<ProductSummary>>, sqlx::Error> {
        let key = match listing {
            Listing::All => PageKey::All(cursor),
            Listing::Category(category) => PageKey::Category(category, cursor),
            Listing::Search(text) => PageKey::Search(text.to_owned(), cursor),
            Listing::Seller { .. } => return Ok(Arc::new(store::list(db, listing, cursor, per_page).await?)),
        };
        // Read the version before the database: a change landing in between leaves the entry already stale.
        let version = self.version();
        if let Some(page) = self.pages.get(&key, version, self.ttl) {
            return Ok(page);
        }
        let page = Arc::new(store::list(db, listing, cursor, per_page).await?);
        if !self.ttl.is_zero() {
            self.pages.put(key, version, page.clone());
        }
        Ok(page)
    }

    /// A product with its photos, as the detail view shows it.
    pub async fn product(&self, db: &Db, id: i64) -> Result<Arc<Option<Product>>, sqlx::Error> {
        let version = self.version();
        if let Some(product) = self.products.get(&id, version, self.ttl) {
            return Ok(product);
        }
        let product = Arc::new(store::get(db, id).await?);
        if !self.ttl.is_zero() {
            self.products.put(id, version, product.clone());
        }
        Ok(product)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_a_change_retires_them() {
        let shelf: Shelf<i64, &str> = Shelf::new();
        shelf.put(1, 0, Arc::new("a"));
        assert!(shelf.get(&1, 0, Duration::from_secs(5)).is_some());
        assert!(
            shelf.get(&1, 1, Duration::from_secs(5)).is_none(),
            "a newer version retires it"
        );
        assert!(shelf.get(&1, 0, Duration::ZERO).is_none(), "expired");
    }

    #[test]
    fn the_shelf_starts_over_when_full() {
        let shelf: Shelf<usize, usize> = Shelf::new();
        for i in 0..=MAX_ENTRIES {
            shelf.put(i, 0, Arc::new(i));
        }
        assert!(shelf.entries.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
