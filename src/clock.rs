//! The one clock: every stored time is Unix milliseconds (UTC), read here.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds (UTC) — the one time format stored.
pub fn now_ms() -> i64 {
    let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
