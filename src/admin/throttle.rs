//! Login throttling: at most [`PER_USERNAME`] failed logins per username and [`PER_IP`] per client
//! address in a [`WINDOW`], counted in the shared cache (Redis when configured, so every instance counts
//! together; in-process otherwise).
//!
//! An attempt is counted *before* its password is checked, atomically, so a burst of parallel guesses
//! cannot all pass a check made before any of them is counted; a successful login takes its count back.
//! The client address is [`crate::client_addr::ClientAddr`]: the TCP peer, or the address a trusted
//! reverse proxy (`TRUSTED_PROXIES`) forwarded for. Behind a proxy that is not listed there, the
//! per-address limit counts all clients together, and the per-username limit still holds.
//! While the shared cache fails (Redis down or unreachable), attempts are counted in this process
//! instead (logged): the limits still hold, per instance, rather than letting every guess through, and
//! a success still takes its own count back. When Redis answers again, counting goes back to it.

use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::cache::{Cache, MemoryCache};

/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures allowed per username in a window.
pub const PER_USERNAME: i64 = 5;
/// Failures allowed per client address in a window (an office shares one address).
pub const PER_IP: i64 = 20;

/// The client's address, when the server was started with connection info (tests calling the router
/// in-process have none; they then share one bucket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<crate::client_addr::ClientAddr>()
                .map(|addr| addr.0),
        ))
    }
}

/// Where one count of an attempt was kept, so a success takes it back from there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Counter {
    /// The shared cache (Redis when configured).
    Shared,
    /// This process's own counters, while the shared cache failed.
    Local,
}

/// An attempt that was counted; give it back with [`LoginThrottle::succeeded`].
#[derive(Debug)]
pub struct Attempt {
    counted: [(String, Counter); 2],
}

/// The two login limits over a [`Cache`], with this process's own counters to fall back on.
#[derive(Clone)]
pub struct LoginThrottle {
    cache: Cache,
    local: Arc<MemoryCache>,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl LoginThrottle {
    pub fn new(cache: Cache) -> Self {
        Self {
            cache,
            local: Arc::default(),
        }
    }

    /// Counts an attempt for `username` from `ip`; refuses it (429, with the wait) when either limit is
    /// already used up.
    pub async fn begin(&self, username: &str, ip: Option<IpAddr>) -> Result<Attempt, ApiError> {
        let mut counted = [
            (username_key(username), Counter::Shared),
            (ip_key(ip), Counter::Shared),
        ];
        let mut wait = Duration::ZERO;
        for ((key, counter), limit) in counted.iter_mut().zip([PER_USERNAME, PER_IP]) {
            let (kept, (count, left)) = self.add(key, 1).await;
            *counter = kept;
            if count > limit {
                wait = wait.max(left);
            }
        }
        if wait > Duration::ZERO {
            return Err(ApiError::TooManyRequests { retry_after: wait });
        }
        Ok(Attempt { counted })
    }

    /// A successful login is not a failure: its count is taken back where it was kept.
    pub async fn succeeded(&self, attempt: Attempt) {
        for (key, counter) in &attempt.counted {
            match counter {
                Counter::Shared => {
                    if let Err(err) = self.cache.incr(key, -1, WINDOW).await {
                        tracing::warn!(%err, "login throttle unavailable; success not taken back");
                    }
                }
                Counter::Local => {
                    self.local.incr(key, -1, WINDOW);
                }
            }
        }
    }

    /// Adds `delta` to the counter `key` in the shared cache, or in this process's counters when the
    /// shared cache fails: an outage must not switch the limit off. Returns where it was counted, the
    /// new count and the time left in its window.
    async fn add(&self, key: &str, delta: i64) -> (Counter, (i64, Duration)) {
        match self.cache.incr(key, delta, WINDOW).await {
            Ok(counted) => (Counter::Shared, counted),
            Err(err) => {
                tracing::warn!(%err, "login throttle: the cache is unavailable; counting in this process");
                (Counter::Local, self.local.incr(key, delta, WINDOW))
            }
        }
    }
}

/// Usernames are hashed into the key: any length or character a client sends stays a short, safe key.
fn username_key(username: &str) -> String {
    let normalised = username.trim().to_lowercase();
    let digest = Sha256::digest(normalised.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("admin:login:user:{hex}")
}

/// IPv6 clients usually hold a whole /64, so the limit is per /64, not per address.
fn ip_key(ip: Option<IpAddr>) -> String {
    match ip.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => format!("admin:login:ip:{v4}"),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            format!("admin:login:ip:{}/64", Ipv6Addr::from(prefix))
        }
        None => "admin:login:ip:unknown".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_share_a_key_whatever_their_case_and_ipv6_counts_per_64() {
        assert_eq!(username_key("Kim "), username_key("kim"));
        assert_ne!(username_key("kim"), username_key("lee"));
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        assert_eq!(ip_key(Some(a)), ip_key(Some(b)));
        assert_eq!(ip_key(Some(a)), "admin:login:ip:2001:db8:1:2::/64");
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_key(Some(mapped)), "admin:login:ip:192.0.2.7");
        assert_eq!(ip_key(None), "admin:login:ip:unknown");
    }

    #[tokio::test]
    async fn the_sixth_failure_for_a_username_is_refused_with_the_time_left() {
        let throttle = LoginThrottle::new(Cache::memory());
        for _ in 0..PER_USERNAME {
            throttle.begin("kim", None).await.unwrap();
        }
        let Err(ApiError::TooManyRequests { retry_after }) = throttle.begin("kim", None).await else {
            panic!("the sixth attempt passed");
        };
        assert!(retry_after > Duration::from_secs(14 * 60) && retry_after <= WINDOW);
        assert!(
            throttle.begin("lee", None).await.is_ok(),
            "another username is not affected"
        );
    }

    #[tokio::test]
    async fn while_the_cache_fails_attempts_are_counted_and_given_back_in_process() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let throttle = LoginThrottle::new(Cache::redis(&format!("redis://127.0.0.1:{port}")).unwrap());
        // Successes give their counts back, so they never add up to the limit.
        for _ in 0..2 {
            let attempt = throttle.begin("kim", None).await.unwrap();
            assert_eq!(attempt.counted[0].1, Counter::Local);
            throttle.succeeded(attempt).await;
        }
        for _ in 0..PER_USERNAME {
            throttle.begin("kim", None).await.unwrap();
        }
        assert!(matches!(
            throttle.begin("kim", None).await,
            Err(ApiError::TooManyRequests { .. })
        ));
    }

    #[tokio::test]
    async fn successful_logins_do_not_count() {
        let throttle = LoginThrottle::new(Cache::memory());
        for _ in 0..PER_USERNAME * 3 {
            let attempt = throttle.begin("kim", None).await.unwrap();
            throttle.succeeded(attempt).await;
        }
        assert!(throttle.begin("kim", None).await.is_ok());
    }
}
