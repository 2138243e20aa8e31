//! A small key-value cache with expiry: Redis when `REDIS_URL` is set (shared by every instance),
//! otherwise a map in this process. Callers see one interface and treat every cache error as a miss,
//! because a cache outage must never become a failed skill call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// A Redis command that takes longer than this is treated as a failure.
const REDIS_RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
const REDIS_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Clone)]
pub enum Cache {
    Memory(Arc<MemoryCache>),
    Redis(ConnectionManager),
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.backend())
    }
}

impl Cache {
    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// A Redis-backed cache. Connects lazily: the server starts (and reports not-ready) while Redis is down.
    pub fn redis(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_CONNECT_TIMEOUT))
            .set_response_timeout(Some(REDIS_RESPONSE_TIMEOUT))
            .set_number_of_retries(2);
        Ok(Self::Redis(ConnectionManager::new_lazy_with_config(
            client, config,
        )?))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Memory(_) => "memory",
            Self::Redis(_) => "redis",
        }
    }

    /// A round trip to the cache, for readiness checks.
    pub async fn ping(&self) -> Result<(), redis::RedisError> {
        match self {
            Self::Memory(_) => Ok(()),
            Self::Redis(conn) => redis::cmd("PING").query_async::<()>(&mut conn.clone()).await,
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, redis::RedisError> {
        match self {
            Self::Memory(mem) => Ok(mem.get(key)),
            Self::Redis(conn) => conn.clone().get(key).await,
        }
    }

    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), redis::RedisError> {
        match self {
            Self::Memory(mem) => {
                mem.set(key, value, ttl);
                Ok(())
            }
            Self::Redis(conn) => {
                let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(millis)
                    .query_async::<()>(&mut conn.clone())
                    .await
            }
        }
    }
}

/// The in-process variant: a map with per-entry expiry, swept of expired entries as it grows.
#[derive(Default)]
pub struct MemoryCache {
    entries: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
}

/// Above this many entries a write first drops the expired ones.
const MEMORY_SWEEP_THRESHOLD: usize = 10_000;

impl MemoryCache {
    fn get(&self, key: &str) -> Option<Vec<u8>> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(key)
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(v, _)| v.clone())
    }

    fn set(&self, key: &str, value: &[u8], ttl: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if entries.len() >= MEMORY_SWEEP_THRESHOLD {
            entries.retain(|_, (_, expires)| *expires > now);
        }
        entries.insert(key.to_owned(), (value.to_vec(), now + ttl));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_memory_cache_forgets_expired_entries() {
        let cache = Cache::memory();
        cache.set("a", b"1", Duration::from_millis(30)).await.unwrap();
        assert_eq!(cache.get("a").await.unwrap().as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(cache.get("a").await.unwrap(), None);
    }
}
