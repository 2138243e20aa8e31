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

    /// Sets `key` only when it holds nothing (`SET NX PX`): a lock with an expiry. True when it was set.
    pub async fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> Result<bool, redis::RedisError> {
        match self {
            Self::Memory(mem) => Ok(mem.set_nx(key, value, ttl)),
            Self::Redis(conn) => {
                let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
                let set: Option<String> = redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis)
                    .query_async(&mut conn.clone())
                    .await?;
                Ok(set.is_some())
            }
        }
    }

    /// Deletes `key` only while it still holds `value`, in one step, so a lock that expired and was taken
    /// by someone else is not released by its former owner. True when it was deleted.
    pub async fn delete_if(&self, key: &str, value: &[u8]) -> Result<bool, redis::RedisError> {
        match self {
            Self::Memory(mem) => Ok(mem.delete_if(key, value)),
            Self::Redis(conn) => {
                let deleted: i64 = redis::cmd("EVAL")
                    .arg(DELETE_IF_SCRIPT)
                    .arg(1)
                    .arg(key)
                    .arg(value)
                    .query_async(&mut conn.clone())
                    .await?;
                Ok(deleted == 1)
            }
        }
    }

    /// Adds `delta` to the counter at `key`, a fixed-window rate counter: a missing or expired counter
    /// starts at 0 and lives `window` from its first addition; later additions keep that expiry. Returns
    /// the new value and the time left in the window, in one atomic step (racing callers each see their
    /// own count).
    pub async fn incr(
        &self,
        key: &str,
        delta: i64,
        window: Duration,
    ) -> Result<(i64, Duration), redis::RedisError> {
        match self {
            Self::Memory(mem) => Ok(mem.incr(key, delta, window)),
            Self::Redis(conn) => {
                let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
                let (value, left_ms): (i64, i64) = redis::cmd("EVAL")
                    .arg(INCR_SCRIPT)
                    .arg(1)
                    .arg(key)
                    .arg(delta)
                    .arg(millis)
                    .query_async(&mut conn.clone())
                    .await?;
                Ok((value, Duration::from_millis(u64::try_from(left_ms).unwrap_or(0))))
            }
        }
    }
}

/// Compare-and-delete, atomic on the Redis server.
const DELETE_IF_SCRIPT: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Add, and start the window when the counter has no expiry yet (it was just created), atomically.
const INCR_SCRIPT: &str = "local n = redis.call('INCRBY', KEYS[1], ARGV[1]) \
     local t = redis.call('PTTL', KEYS[1]) \
     if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) t = tonumber(ARGV[2]) end \
     return {n, t}";

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

    fn set_nx(&self, key: &str, value: &[u8], ttl: Duration) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if entries.get(key).is_some_and(|(_, expires)| *expires > now) {
            return false;
        }
        entries.insert(key.to_owned(), (value.to_vec(), now + ttl));
        true
    }

    fn delete_if(&self, key: &str, value: &[u8]) -> bool {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let held = entries
            .get(key)
            .is_some_and(|(v, expires)| v == value && *expires > Instant::now());
        if held {
            entries.remove(key);
        }
        held
    }

    /// Like Redis: the count is kept as decimal text, so `get` reads it alike on both variants.
    /// Public for counters that must keep counting in this process when Redis fails (login throttling).
    pub fn incr(&self, key: &str, delta: i64, window: Duration) -> (i64, Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if entries.len() >= MEMORY_SWEEP_THRESHOLD {
            entries.retain(|_, (_, expires)| *expires > now);
        }
        let (value, expires) = match entries.get(key).filter(|(_, expires)| *expires > now) {
            Some((text, expires)) => {
                let count: i64 = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0);
                (count + delta, *expires)
            }
            None => (delta, now + window),
        };
        entries.insert(key.to_owned(), (value.to_string().into_bytes(), expires));
        (value, expires - now)
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

    #[tokio::test]
    async fn the_memory_cache_locks_like_redis() {
        let cache = Cache::memory();
        let ttl = Duration::from_millis(40);
        assert!(cache.set_nx("lock", b"a", ttl).await.unwrap());
        assert!(!cache.set_nx("lock", b"b", ttl).await.unwrap());
        assert!(
            !cache.delete_if("lock", b"b").await.unwrap(),
            "only the owner releases"
        );
        assert!(cache.delete_if("lock", b"a").await.unwrap());
        assert!(cache.set_nx("lock", b"b", ttl).await.unwrap());
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(
            !cache.delete_if("lock", b"b").await.unwrap(),
            "an expired lock is not held"
        );
        assert!(
            cache.set_nx("lock", b"c", ttl).await.unwrap(),
            "an expired lock can be taken"
        );
    }

    #[tokio::test]
    async fn the_memory_counter_counts_within_its_window_like_redis() {
        let cache = Cache::memory();
        let window = Duration::from_millis(60);
        assert_eq!(cache.incr("n", 1, window).await.unwrap().0, 1);
        let (value, left) = cache.incr("n", 1, window).await.unwrap();
        assert_eq!(value, 2);
        assert!(left <= window && left > Duration::ZERO);
        assert_eq!(cache.incr("n", -1, window).await.unwrap().0, 1);
        assert_eq!(cache.get("n").await.unwrap().as_deref(), Some(&b"1"[..]));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(
            cache.incr("n", 1, window).await.unwrap().0,
            1,
            "a new window starts at zero"
        );
    }
}
