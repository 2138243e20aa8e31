//! Logging: `tracing` with an `EnvFilter` from `RUST_LOG`, as text or JSON lines.
//!
//! Request spans carry the route template (never the raw path), the Kakao block name, the outcome and
//! the latency; never payload bodies, names or phone numbers.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// The filter when `RUST_LOG` is unset: our info, and only warnings from the database driver.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber (once; later calls are ignored so tests may call it freely).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
