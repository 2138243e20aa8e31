//! Logging: `tracing` with an `EnvFilter` from `RUST_LOG`, as text or JSON lines.
//!
//! Request spans carry the route template (never the raw path), the Kakao block name, the outcome and
//! the latency; never payload bodies, names or phone numbers.

use tracing_subscriber::EnvFilter;

/// The filter when `RUST_LOG` is unset: our info, and only warnings from the database driver.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// How many bytes of log lines one write to stdout may carry.
const LOG_BUFFER_BYTES: usize = 64 * 1024;

/// Keeps the background log writer alive; lines still buffered are flushed when it is dropped, so `main`
/// holds it until the server has stopped.
pub type LogGuard = tracing_appender::non_blocking::WorkerGuard;

/// How log lines are written: for people (`text`) or for a log collector (`json`, `LOG_FORMAT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Installs the global subscriber.
///
/// Lines go to stdout through a background thread, so a request never waits on a slow terminal or pipe.
/// That thread drains every line queued and writes them in one buffered write before flushing, so under
/// load one system call carries many lines. If the reader cannot keep up and the queue fills, lines are
/// dropped rather than slowing requests.
pub fn init(format: LogFormat) -> LogGuard {
    let stdout = std::io::BufWriter::with_capacity(LOG_BUFFER_BYTES, std::io::stdout());
    let (writer, guard) = tracing_appender::non_blocking(stdout);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(writer);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    guard
}

/// An error and its causes on one line, for logs (reqwest's and the S3 SDK's own `Display` say only
/// "error sending request" or "service error").
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}
