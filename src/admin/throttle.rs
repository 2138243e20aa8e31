//! Login throttling: at most [`PER_USERNAME`] failed logins per username and [`PER_IP`] per client
//! address in a [`WINDOW`], counted in the shared cache (Redis when configured, so every instance counts
//! together; in-process otherwise).
//!
//! An attempt is counted *before* its password is checked, atomically, so a burst of parallel guesses
//! cannot all pass a check made before any of them is counted; a successful login takes its count back.
//! The client address is [`crate::client_addr::ClientAddr`]: the TCP peer, or the address a trusted
//! reverse proxy (`TRUSTED_PROXIES`) forwarded for. Behind a proxy that is not listed there, the
//! per-address limit counts all clients together, and the per-username limit still holds.
//! A cache outage lets logins through (logged): argon2's cost still bounds guessing, and the admins are
//! not locked out because Redis is down.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use sha2::{Digest, Sha256};

use super::error::ApiError;
use crate::cache::Cache;

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

/// An attempt that was counted; give it back with [`LoginThrottle::succeeded`].
#[derive(Debug)]
pub struct Attempt {
    keys: [String; 2],
}

/// The two login limits over a [`Cache`].
#[derive(Clone, Debug)]
pub struct LoginThrottle {
    cache: Cache,
}

impl LoginThrottle {
    pub fn new(cache: Cache) -> Self {
        Self { cache }
    }

    /// Counts an attempt for `username` from `ip`; refuses it (429, with the wait) when either limit is
    /// already used up.
    pub async fn begin(&self, username: &str, ip: Option<IpAddr>) -> Result<Attempt, ApiError> {
        let keys = [username_key(username), ip_key(ip)];
        let mut wait = Duration::ZERO;
        for (key, limit) in keys.iter().zip([PER_USERNAME, PER_IP]) {
            match self.cache.incr(key, 1, WINDOW).await {
                Ok((count, left)) if count > limit => wait = wait.max(left),
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "login throttle unavailable; attempt not counted"),
            }
        }
        if wait > Duration::ZERO {
            return Err(ApiError::TooManyRequests { retry_after: wait });
        }
        Ok(Attempt { keys })
    }

    /// A successful login is not a failure: its count is taken back.
    pub async fn succeeded(&self, attempt: Attempt) {
        for key in &attempt.keys {
            if let Err(err) = self.cache.incr(key, -1, WINDOW).await {
                tracing::warn!(%err, "login throttle unavailable; success not taken back");
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
    async fn successful_logins_do_not_count() {
        let throttle = LoginThrottle::new(Cache::memory());
        for _ in 0..PER_USERNAME * 3 {
            let attempt = throttle.begin("kim", None).await.unwrap();
            throttle.succeeded(attempt).await;
        }
        assert!(throttle.begin("kim", None).await.is_ok());
    }
}
