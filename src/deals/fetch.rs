//! Reading deal boards over HTTP, gently, the way a browser asks.
//!
//! The original was blocked by its board for fast repeats, and some boards refuse clients that do not look
//! like a browser: 퀘이사존 answers 403 to HTTP/1.1 clients. Every request here goes through one [`Fetcher`]
//! with one user agent (`DEALS_USER_AGENT`), HTTP/2 where the site offers it (ALPN), compressed pages
//! (gzip, brotli), and a browser's header set ([`BROWSER_HEADERS`], and a `Referer` on deal pages). Per
//! host:
//!
//! - one request at a time, at least the source's `min_delay_ms` after the previous one finished;
//! - a time limit per request (`timeout_ms`, the body included) and a size cap on the body;
//! - retries with a doubling backoff for what may pass (5xx, timeouts, refused connections), never for
//!   other 4xx answers;
//! - a `429` is honoured: its `Retry-After` (seconds or an HTTP date) is waited out when it is short,
//!   otherwise the fetch fails with the wait the site asked for, so the breaker stays open that long;
//! - a `403`, or a bot challenge (Cloudflare's "Just a moment…"), is [`FetchError::Blocked`]: not retried,
//!   reported as such rather than as a layout change, and it opens the breaker like any failure.
//!
//! Pages are decoded as UTF-8 (lossily): the shipped boards serve UTF-8.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, REFERER, RETRY_AFTER};
use url::Url;

use crate::deal_sources::Politeness;

/// Limits that are the same for every source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Further attempts after a failure that may pass.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest `Retry-After` waited out; a longer one fails the fetch (and opens the breaker that long).
    pub retry_after_cap: Duration,
    /// Largest page accepted, in bytes.
    pub max_body_bytes: usize,
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
}

impl Default for FetchPolicy {
    /// Two retries from 1 s, `Retry-After` up to 30 s, pages up to 2 MiB (a board's list page is ~200 KB).
    fn default() -> Self {
        Self {
            retries: 2,
            backoff: Duration::from_secs(1),
            retry_after_cap: Duration::from_secs(30),
            max_body_bytes: 2 * 1024 * 1024,
            connect_timeout: Duration::from_secs(3),
        }
    }
}

/// Why a page could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error("timed out")]
    Timeout,
    #[error("HTTP {0}")]
    Status(u16),
    #[error("rate limited (HTTP 429){}", .retry_after.map(|d| format!(", asked to wait {} s", d.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    #[error("page larger than {0} bytes")]
    TooLarge(usize),
    #[error("network: {0}")]
    Network(String),
    /// The site refused us (`403`) or answered a bot challenge instead of the page.
    #[error("blocked by the site ({0})")]
    Blocked(String),
}

impl FetchError {
    /// How long the site asked us to stay away, if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// What a browser sends with a page request, besides its user agent (and `Accept-Encoding`, which the
/// client sets for the encodings it decodes).
pub const BROWSER_HEADERS: [(&str, &str); 6] = [
    (
        "accept",
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    ),
    ("accept-language", "ko-KR,ko;q=0.9,en-US;q=0.8,en;q=0.7"),
    ("upgrade-insecure-requests", "1"),
    ("sec-fetch-dest", "document"),
    ("sec-fetch-mode", "navigate"),
    ("sec-fetch-user", "?1"),
];

/// What a bot challenge page says, where a board's own page never would.
const CHALLENGE_MARKS: [&str; 5] = [
    "<title>Just a moment...</title>",
    "<title>Attention Required! | Cloudflare</title>",
    "window._cf_chl_opt",
    "id=\"challenge-form\"",
    "cf-browser-verification",
];

/// True when `body` is a bot challenge page rather than the board's page.
pub fn is_challenge(body: &str) -> bool {
    CHALLENGE_MARKS.iter().any(|mark| body.contains(mark))
}

/// The one HTTP client of the deal readers, with its per-host pacing.
pub struct Fetcher {
    client: reqwest::Client,
    policy: FetchPolicy,
    /// When the last request to each host finished; the async mutex is what makes it one at a time.
    hosts: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Instant>>>>>,
}

impl Fetcher {
    pub fn new(user_agent: &str, policy: FetchPolicy) -> Result<Self, reqwest::Error> {
        Self::with_roots(user_agent, policy, Vec::new())
    }

    /// A fetcher that also trusts `roots` (a board behind a private certificate authority).
    pub fn with_roots(
        user_agent: &str,
        policy: FetchPolicy,
        roots: Vec<reqwest::Certificate>,
    ) -> Result<Self, reqwest::Error> {
        let headers: HeaderMap = BROWSER_HEADERS
            .iter()
            .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect();
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .default_headers(headers)
            .tls_certs_merge(roots)
            .connect_timeout(policy.connect_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()?;
        Ok(Self {
            client,
            policy,
            hosts: Mutex::default(),
        })
    }

    /// The page at `url`, read as `politeness` says (see the module documentation). `referer` is the page
    /// a browser would have come from (the list, for a deal's page).
    pub async fn get(
        &self,
        url: &Url,
        politeness: &Politeness,
        referer: Option<&Url>,
    ) -> Result<String, FetchError> {
        let gate = self.gate(url);
        let mut last = gate.lock().await;
        let mut attempt = 0;
        loop {
            if let Some(previous) = *last {
                tokio::time::sleep_until((previous + politeness.min_delay()).into()).await;
            }
            let result = self.once(url, politeness.timeout(), referer).await;
            *last = Some(Instant::now());
            let error = match result {
                Ok(body) => return Ok(body),
                Err(error) => error,
            };
            let Some(wait) = self.retry_wait(&error, attempt) else {
                return Err(error);
            };
            tracing::debug!(%url, %error, attempt, wait_ms = wait.as_millis() as u64, "deal page: retrying");
            attempt += 1;
            tokio::time::sleep(wait).await;
        }
    }

    fn gate(&self, url: &Url) -> Arc<tokio::sync::Mutex<Option<Instant>>> {
        let host = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port_or_known_default().unwrap_or_default()
        );
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts.entry(host).or_default().clone()
    }

    /// How long to wait before attempt `attempt + 1`, or `None` when the error is final.
    fn retry_wait(&self, error: &FetchError, attempt: u32) -> Option<Duration> {
        if attempt >= self.policy.retries {
            return None;
        }
        let backoff = self.policy.backoff.saturating_mul(2u32.saturating_pow(attempt));
        match error {
            FetchError::Timeout | FetchError::Network(_) => Some(backoff),
            FetchError::Status(status) if *status >= 500 => Some(backoff),
            FetchError::RateLimited { retry_after: None } => Some(backoff),
            FetchError::RateLimited {
                retry_after: Some(asked),
            } => (*asked <= self.policy.retry_after_cap).then_some((*asked).max(backoff)),
            FetchError::Status(_) | FetchError::TooLarge(_) | FetchError::Blocked(_) => None,
        }
    }

    async fn once(&self, url: &Url, timeout: Duration, referer: Option<&Url>) -> Result<String, FetchError> {
        let mut request = self.client.get(url.clone()).timeout(timeout);
        request = match referer.and_then(|r| HeaderValue::from_str(r.as_str()).ok()) {
            Some(referer) => request
                .header(REFERER, referer)
                .header("sec-fetch-site", "same-origin"),
            None => request.header("sec-fetch-site", "none"),
        };
        let response = request.send().await.map_err(classify)?;
        let status = response.status();
        let challenged = response
            .headers()
            .get("cf-mitigated")
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"challenge"));
        if status == StatusCode::FORBIDDEN || challenged {
            return Err(FetchError::Blocked(format!("HTTP {}", status.as_u16())));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            return Err(FetchError::RateLimited {
                retry_after: retry_after(response.headers(), SystemTime::now()),
            });
        }
        if !status.is_success() {
            let body = self.body(response).await.unwrap_or_default();
            return Err(if is_challenge(&body) {
                FetchError::Blocked(format!("challenge page, HTTP {}", status.as_u16()))
            } else {
                FetchError::Status(status.as_u16())
            });
        }
        let body = self.body(response).await?;
        if is_challenge(&body) {
            return Err(FetchError::Blocked("challenge page".to_owned()));
        }
        Ok(body)
    }

    /// The body, decoded, up to the size cap.
    async fn body(&self, mut response: reqwest::Response) -> Result<String, FetchError> {
        let cap = self.policy.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|length| length > cap as u64)
        {
            return Err(FetchError::TooLarge(cap));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > cap {
                return Err(FetchError::TooLarge(cap));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }
}

fn classify(error: reqwest::Error) -> FetchError {
    if error.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Network(error.to_string())
    }
}

/// `Retry-After` as a wait from `now`: delay-seconds, or an HTTP date (a date in the past is no wait).
pub fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = http_date(value)?;
    let now = now.duration_since(UNIX_EPOCH).ok()?.as_secs();
    Some(Duration::from_secs(u64::try_from(at).ok()?.saturating_sub(now)))
}

/// Seconds since the Unix epoch of an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date format
/// servers send.
fn http_date(text: &str) -> Option<i64> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_weekday, day, month, year, clock, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)?;
    let month = time::Month::try_from(u8::try_from(month + 1).ok()?).ok()?;
    let date = time::Date::from_calendar_date(year.parse().ok()?, month, day.parse().ok()?).ok()?;
    let mut hms = clock.split(':').map(|n| n.parse::<u8>().ok());
    let (Some(Some(h)), Some(Some(m)), Some(Some(s)), None) =
        (hms.next(), hms.next(), hms.next(), hms.next())
    else {
        return None;
    };
    let at = date.with_hms(h, m, s).ok()?.assume_utc();
    Some(at.unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        // 1994-11-06T08:49:37Z
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(retry_after(&headers("120"), now), Some(Duration::from_secs(120)));
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:50:07 GMT"), now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:00:00 GMT"), now),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        for junk in [
            "soon",
            "-5",
            "Sun, 06 Nov 1994 08:50:07 PST",
            "Sun, 31 Feb 1994 08:50:07 GMT",
        ] {
            assert_eq!(retry_after(&headers(junk), now), None, "{junk}");
        }
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    fn fetcher() -> Fetcher {
        Fetcher::new("test", FetchPolicy::default()).unwrap()
    }

    #[test]
    fn what_may_pass_is_retried_with_a_doubling_backoff_and_the_rest_is_not() {
        let f = fetcher();
        let second = Duration::from_secs(1);
        assert_eq!(f.retry_wait(&FetchError::Status(503), 0), Some(second));
        assert_eq!(f.retry_wait(&FetchError::Timeout, 1), Some(2 * second));
        assert_eq!(f.retry_wait(&FetchError::Timeout, 2), None, "two retries at most");
        assert_eq!(
            f.retry_wait(&FetchError::Network("refused".into()), 0),
            Some(second)
        );
        assert_eq!(f.retry_wait(&FetchError::Status(404), 0), None);
        assert_eq!(f.retry_wait(&FetchError::Status(403), 0), None);
        assert_eq!(f.retry_wait(&FetchError::TooLarge(10), 0), None);
        assert_eq!(f.retry_wait(&FetchError::Blocked("HTTP 403".into()), 0), None);
    }

    #[test]
    fn challenge_pages_are_told_from_board_pages() {
        assert!(is_challenge(
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"
        ));
        assert!(is_challenge(
            "<script>window._cf_chl_opt={cType: 'managed'}</script>"
        ));
        // Cloudflare also adds its script to ordinary pages; that alone is not a challenge.
        assert!(!is_challenge(
            "<table class=\"board_list_table\"></table><script src=\"/cdn-cgi/challenge-platform/scripts/jsd/main.js\"></script>"
        ));
    }

    #[test]
    fn a_short_retry_after_is_waited_out_and_a_long_one_is_not() {
        let f = fetcher();
        let asked = |s| FetchError::RateLimited {
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(f.retry_wait(&asked(5), 0), Some(Duration::from_secs(5)));
        assert_eq!(
            f.retry_wait(&asked(0), 1),
            Some(Duration::from_secs(2)),
            "never sooner than the backoff"
        );
        assert_eq!(f.retry_wait(&asked(3_600), 0), None);
        assert_eq!(asked(3_600).retry_after(), Some(Duration::from_secs(3_600)));
        assert_eq!(
            f.retry_wait(&FetchError::RateLimited { retry_after: None }, 0),
            Some(Duration::from_secs(1))
        );
    }
}
