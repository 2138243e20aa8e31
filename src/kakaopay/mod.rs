//! A client for Kakao Pay's online single payment API (`ready`, `approve`, `cancel`, `order`), the
//! building block of trade flow B (pay through Kakao Pay, confirm, complete).
//!
//! # The API
//!
//! Base `https://open-api.kakaopay.com/online/v1/payment/{ready|approve|cancel|order}`, `POST` with a JSON
//! body, header `Authorization: SECRET_KEY {secret}`. One [`KakaoPay`] per process (it is `Clone`, and
//! clones share one connection pool); it adds the merchant id `cid` to every request.
//!
//! 1. [`KakaoPay::ready`] with a [`ReadyRequest`] → a [`ReadyResponse`]: store its `tid` with the order,
//!    then send the buyer's browser to [`redirect_for`]`(user_agent, &ready)`.
//! 2. The buyer authenticates on Kakao's page; Kakao redirects the browser to `approval_url?pg_token=…`
//!    (or to `cancel_url` / `fail_url` — which anyone can open, so confirm those with `order`).
//! 3. [`KakaoPay::approve`] with the `pg_token` → an [`Approval`]: the money is taken.
//! 4. [`KakaoPay::cancel`] refunds; [`KakaoPay::order`] says where a `tid` stands ([`PaymentState`]).
//!
//! The client never retries by itself: whether a retry is safe depends on what the caller has recorded.
//!
//! # Why errors are sorted by what the caller must do
//!
//! The system this replaces called Kakao Pay and then wrote to its database with no recovery in between:
//! a refund could happen without the database knowing, or the database could record one that
//! never happened. Every outcome of a call here is one of:
//!
//! - `Ok(answer)` — it happened; record it.
//! - [`PayError::Rejected`] — Kakao answered 4xx with its error body: it did **not** happen. Definitive.
//! - [`PayError::InvalidRequest`] — our request broke a documented limit and was never sent. Definitive;
//!   a bug on our side.
//! - [`PayError::Unavailable`] — Kakao was never reached (connection refused, DNS, connect timeout), or
//!   answered 408/429, or answered 5xx to `ready` or `order` (which move no money). Nothing happened; retry
//!   later.
//! - [`PayError::Ambiguous`] — the request was sent and no trustworthy answer came back: a timeout or lost
//!   connection after sending, a 2xx whose body cannot be read, or a 5xx from `approve` or `cancel` (a
//!   server error does not prove the money did not move, and a retried approve would then be refused as
//!   "already approved" — a refusal that lies about the payment). The outcome is **unknown**: record that
//!   it is unknown, then settle it by asking [`KakaoPay::order`] (now, or later from a reconciler) and
//!   trusting its `status`. Never guess.
//!
//! So the payment flow can always write down *before* the call what it is about to do, and *after* it
//! exactly one of: done, refused, not attempted, or unknown-ask-`order`.
//!
//! An `Ambiguous` `ready` leaves at worst a `tid` we never learned; nobody can pay it because no buyer was
//! sent to it, so it can be treated as failed. An `Ambiguous` `order` is simply asked again.
//!
//! # Secrets
//!
//! The secret key is held as a [`SecretString`]; it appears only in the `Authorization` header (marked
//! sensitive). [`KakaoPaySettings`]' and [`KakaoPay`]'s `Debug` redact it, errors and logs never contain
//! it, and anything Kakao echoes back is scrubbed of it. Logs carry the endpoint, `tid`, HTTP status and
//! latency — no buyer data.
//!
//! # Configuration
//!
//! `config` will read these (this module does not read the environment):
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `KAKAOPAY_BASE_URL` | `https://open-api.kakaopay.com` | scheme and host of the API (tests point it at a fake) |
//! | `KAKAOPAY_SECRET_KEY` | — (required to enable payments) | the `SECRET_KEY` (test: `DEV…`, live: `PRD…`) |
//! | `KAKAOPAY_CID` | `TC0ONETIME` | merchant id; `TC0ONETIME` is Kakao's test merchant |
//! | `KAKAOPAY_TIMEOUT_MS` | `3000` | total time for one call; connecting gets at most 2 s of it |

mod error;
mod model;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::PayError;
pub use model::{
    Amount, Approval, ApproveRequest, CancelRequest, Cancellation, MAX_ID_CHARS, MAX_TOKEN_CHARS,
    MAX_URL_CHARS, OrderStatus, PaymentMethod, PaymentState, ReadyRequest, ReadyResponse,
};

/// Environment variable for [`KakaoPaySettings::base_url`].
pub const ENV_BASE_URL: &str = "KAKAOPAY_BASE_URL";
/// Environment variable for [`KakaoPaySettings::secret_key`].
pub const ENV_SECRET_KEY: &str = "KAKAOPAY_SECRET_KEY";
/// Environment variable for [`KakaoPaySettings::cid`].
pub const ENV_CID: &str = "KAKAOPAY_CID";
/// Environment variable for [`KakaoPaySettings::timeout`], in milliseconds.
pub const ENV_TIMEOUT_MS: &str = "KAKAOPAY_TIMEOUT_MS";

/// The production API host.
pub const DEFAULT_BASE_URL: &str = "https://open-api.kakaopay.com";
/// Kakao's test merchant id for one-time payments.
pub const TEST_CID: &str = "TC0ONETIME";
/// Default total time for one call.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(3000);
/// The path under the base URL; the endpoint name follows it.
pub const API_PATH: &str = "/online/v1/payment/";
/// Longest connect phase, whatever the total timeout.
pub const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest answer read; Kakao's are a few kilobytes.
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// Longest excerpt of a non-Kakao error body kept in a [`PayError::Rejected`] message.
const MAX_EXCERPT_CHARS: usize = 200;

/// Where and how to reach Kakao Pay. See the module docs for the environment variables.
#[derive(Clone)]
pub struct KakaoPaySettings {
    /// Scheme and host (and port), without the API path: `https://open-api.kakaopay.com`.
    pub base_url: String,
    /// The `SECRET_KEY` of the Kakao Pay developer app.
    pub secret_key: SecretString,
    /// Merchant id.
    pub cid: String,
    /// Total time for one call (connect, send, answer).
    pub timeout: Duration,
}

impl KakaoPaySettings {
    /// Production host, test merchant `TC0ONETIME`, 3 s timeout.
    pub fn new(secret_key: SecretString) -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            secret_key,
            cid: TEST_CID.to_owned(),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// For tests against a fake at `base_url`: secret key `DEV_TEST_SECRET_KEY`, merchant `TC0ONETIME`,
    /// 1 s timeout. Override fields with struct update syntax.
    pub fn for_tests(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            secret_key: SecretString::from("DEV_TEST_SECRET_KEY"),
            cid: TEST_CID.to_owned(),
            timeout: Duration::from_secs(1),
        }
    }
}

impl fmt::Debug for KakaoPaySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KakaoPaySettings")
            .field("base_url", &self.base_url)
            .field("secret_key", &"[redacted]")
            .field("cid", &self.cid)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The settings cannot make a working client (empty key, malformed base URL, …). Never contains the key.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("Kakao Pay settings: {0}")]
pub struct SettingsError(String);

/// The four calls a payment needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Endpoint {
    Ready,
    Approve,
    Cancel,
    Order,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Approve => "approve",
            Self::Cancel => "cancel",
            Self::Order => "order",
        }
    }

    /// Whether a server error might hide a completed money movement.
    fn moves_money(self) -> bool {
        matches!(self, Self::Approve | Self::Cancel)
    }
}

/// A Kakao Pay client. Cheap to clone; all clones share one HTTP client (connection pool, timeouts, no
/// redirects, no proxy).
#[derive(Clone)]
pub struct KakaoPay {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    cid: String,
    authorization: HeaderValue,
    secret_key: SecretString,
    timeout: Duration,
}

impl fmt::Debug for KakaoPay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KakaoPay")
            .field("base_url", &self.inner.base_url)
            .field("cid", &self.inner.cid)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct WithCid<'a, T: Serialize> {
    cid: &'a str,
    #[serde(flatten)]
    request: &'a T,
}

#[derive(Serialize)]
struct OrderQuery<'a> {
    tid: &'a str,
}

impl KakaoPay {
    /// Builds the client once: connect timeout `min(timeout, 2 s)`, total `timeout`, no redirects, no proxy.
    pub fn new(settings: KakaoPaySettings) -> Result<Self, SettingsError> {
        let key = settings.secret_key.expose_secret();
        if key.trim().is_empty() {
            return Err(SettingsError(format!("{ENV_SECRET_KEY} is empty")));
        }
        if !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(SettingsError(format!(
                "{ENV_SECRET_KEY} must be printable ASCII without spaces"
            )));
        }
        let mut authorization = HeaderValue::from_str(&format!("SECRET_KEY {key}"))
            .map_err(|_| SettingsError(format!("{ENV_SECRET_KEY} is not a valid header value")))?;
        authorization.set_sensitive(true);

        let base_url = settings.base_url.trim_end_matches('/').to_owned();
        match url::Url::parse(&base_url) {
            Ok(url)
                if matches!(url.scheme(), "http" | "https")
                    && url.host().is_some()
                    && url.path() == "/"
                    && url.query().is_none()
                    && url.username().is_empty() => {}
            _ => {
                return Err(SettingsError(format!(
                    "{ENV_BASE_URL} must be a scheme and host like {DEFAULT_BASE_URL}, got {base_url:?}"
                )));
            }
        }
        if settings.cid.trim().is_empty() || settings.cid.chars().count() > MAX_ID_CHARS {
            return Err(SettingsError(format!(
                "{ENV_CID} must be 1–{MAX_ID_CHARS} characters"
            )));
        }
        if settings.timeout.is_zero() {
            return Err(SettingsError(format!("{ENV_TIMEOUT_MS} must be more than 0")));
        }

        let http = reqwest::Client::builder()
            .user_agent(concat!("junggye/", env!("CARGO_PKG_VERSION"), " (kakaopay)"))
            .connect_timeout(settings.timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| SettingsError(format!("HTTP client: {e}")))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                cid: settings.cid,
                authorization,
                secret_key: settings.secret_key,
                timeout: settings.timeout,
            }),
        })
    }

    /// The total time one call may take.
    pub fn timeout(&self) -> Duration {
        self.inner.timeout
    }

    /// The merchant id sent with every request.
    pub fn cid(&self) -> &str {
        &self.inner.cid
    }

    /// Prepares a payment. Checks `request` first ([`ReadyRequest::validate`]).
    ///
    /// `Unavailable`: retry (a new `tid` comes back; the old one, if any, is never paid). `Ambiguous`:
    /// treat as failed — a `tid` we never saw cannot be paid, as no buyer was sent to it.
    pub async fn ready(&self, request: &ReadyRequest) -> Result<ReadyResponse, PayError> {
        request.validate()?;
        self.call(Endpoint::Ready, None, request).await
    }

    /// Takes the money. Checks `request` first ([`ApproveRequest::validate`]).
    ///
    /// Call at most once per order. `Ambiguous` (timeout, lost connection, 5xx, unreadable answer): the
    /// money may have moved — ask [`order`](Self::order). A `Rejected` retry after an `Ambiguous` approve
    /// proves nothing either: ask `order`.
    pub async fn approve(&self, request: &ApproveRequest) -> Result<Approval, PayError> {
        request.validate()?;
        self.call(Endpoint::Approve, Some(&request.tid), request).await
    }

    /// Refunds. Checks `request` first ([`CancelRequest::validate`]).
    ///
    /// `Ambiguous`: the refund may have happened — ask [`order`](Self::order) (`CANCEL_PAYMENT` or a
    /// smaller `cancel_available_amount`) before trying again. Setting `cancel_available_amount` makes a
    /// repeated refund fail instead of refunding twice.
    pub async fn cancel(&self, request: &CancelRequest) -> Result<Cancellation, PayError> {
        request.validate()?;
        self.call(Endpoint::Cancel, Some(&request.tid), request).await
    }

    /// Where the payment `tid` stands. Read-only: any failure can simply be retried.
    pub async fn order(&self, tid: &str) -> Result<OrderStatus, PayError> {
        model::validate_tid(tid)?;
        self.call(Endpoint::Order, Some(tid), &OrderQuery { tid }).await
    }

    async fn call<B: Serialize, T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        tid: Option<&str>,
        request: &B,
    ) -> Result<T, PayError> {
        let started = Instant::now();
        let result = self.exchange(endpoint, request).await;
        let elapsed_ms = started.elapsed().as_millis() as u64;
        let tid = tid.unwrap_or("");
        match &result {
            Ok((status, _)) => {
                tracing::info!(
                    endpoint = endpoint.name(),
                    tid,
                    status,
                    elapsed_ms,
                    "kakaopay call"
                )
            }
            Err(error) => tracing::warn!(
                endpoint = endpoint.name(),
                tid,
                status = error.status(),
                elapsed_ms,
                error = %error,
                "kakaopay call failed"
            ),
        }
        result.map(|(_, answer)| answer)
    }

    /// Sends one request and classifies everything that can come back.
    async fn exchange<B: Serialize, T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        request: &B,
    ) -> Result<(u16, T), PayError> {
        let inner = &self.inner;
        let url = format!("{}{API_PATH}{}", inner.base_url, endpoint.name());
        let body = WithCid {
            cid: &inner.cid,
            request,
        };
        let response = inner
            .http
            .post(url)
            .header(AUTHORIZATION, inner.authorization.clone())
            .json(&body)
            .send()
            .await
            .map_err(|e| self.transport_error(endpoint, &e))?;
        let status = response.status();
        let answer = read_capped(response).await;

        if status.is_success() {
            let bytes = answer.map_err(|e| self.transport_error(endpoint, &e))?;
            return serde_json::from_slice(&bytes)
                .map(|t| (status.as_u16(), t))
                .map_err(|e| {
                    PayError::Ambiguous(self.scrub(&format!(
                        "{}: HTTP {status} with an unreadable answer: {e}",
                        endpoint.name()
                    )))
                });
        }
        // The status alone decides from here; an unreadable error body only loses detail.
        let bytes = answer.unwrap_or_default();
        Err(self.failure(endpoint, status, &bytes))
    }

    fn failure(&self, endpoint: Endpoint, status: StatusCode, body: &[u8]) -> PayError {
        let name = endpoint.name();
        if status == StatusCode::REQUEST_TIMEOUT || status == StatusCode::TOO_MANY_REQUESTS {
            return PayError::Unavailable(format!("{name}: HTTP {status}"));
        }
        if status.is_client_error() {
            return self.rejection(status.as_u16(), body);
        }
        let excerpt = self.scrub(&excerpt(body));
        if status.is_server_error() && !endpoint.moves_money() {
            return PayError::Unavailable(format!("{name}: HTTP {status} {excerpt}").trim_end().to_owned());
        }
        PayError::Ambiguous(format!("{name}: HTTP {status} {excerpt}").trim_end().to_owned())
    }

    /// A 4xx answer: Kakao's `{error_code, error_message, extras}` (or the legacy `{code, msg, extras}`).
    fn rejection(&self, status: u16, body: &[u8]) -> PayError {
        let json: Option<serde_json::Value> = serde_json::from_slice(body).ok();
        let json = json.as_ref().filter(|j| j.is_object());
        let field = |names: &[&str]| json.and_then(|j| names.iter().find_map(|n| j.get(*n)));
        let error_code = field(&["error_code", "code"]).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        });
        let message = match field(&["error_message", "msg"]) {
            Some(v) => value_text(v),
            None if body.is_empty() => format!("HTTP {status} without a body"),
            None => excerpt(body),
        };
        let extras = field(&["extras"]);
        let extra = |name: &str| extras.and_then(|e| e.get(name)).map(value_text);
        PayError::Rejected {
            status,
            error_code,
            message: self.scrub(&message),
            method_result_code: extra("method_result_code").map(|s| self.scrub(&s)),
            method_result_message: extra("method_result_message").map(|s| self.scrub(&s)),
        }
    }

    fn transport_error(&self, endpoint: Endpoint, error: &reqwest::Error) -> PayError {
        let name = endpoint.name();
        let detail = self.scrub(&crate::telemetry::error_chain(error));
        if error.is_connect() {
            // No connection, so no request reached Kakao.
            PayError::Unavailable(format!("{name}: cannot connect: {detail}"))
        } else if error.is_timeout() {
            PayError::Ambiguous(format!(
                "{name}: no answer within {} ms: {detail}",
                self.inner.timeout.as_millis()
            ))
        } else {
            PayError::Ambiguous(format!("{name}: connection failed after sending: {detail}"))
        }
    }

    /// Removes the secret key from text that came from elsewhere (an echoing server, an error chain).
    fn scrub(&self, text: &str) -> String {
        let key = self.inner.secret_key.expose_secret();
        if key.is_empty() {
            text.to_owned()
        } else {
            text.replace(key, "[redacted]")
        }
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER_BYTES - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= MAX_ANSWER_BYTES {
            break;
        }
    }
    Ok(body)
}

/// The start of a body as one line of text.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_EXCERPT_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Which of ready's three pages to send the buyer's browser to, from its `User-Agent`:
///
/// - a phone or tablet inside the KakaoTalk app (the in-app browser says `KAKAOTALK`, as when the buyer
///   taps our "카카오페이 결제" link in the chat) → `next_redirect_app_url`, Kakao's page for a request
///   from a mobile app;
/// - any other phone or tablet browser (`Android`, `iPhone`, `iPad`, `iPod`, `Mobile`) →
///   `next_redirect_mobile_url`, which opens the payment in KakaoTalk;
/// - anything else (desktop browsers, KakaoTalk for PC, an empty or unknown agent) →
///   `next_redirect_pc_url`, the QR-code page to scan with the phone.
///
/// Kakao documents what each URL is for, not how to recognise the client; matching is case-insensitive.
pub fn redirect_for<'a>(user_agent: &str, ready: &'a ReadyResponse) -> &'a str {
    let agent = user_agent.to_ascii_lowercase();
    let mobile = ["android", "iphone", "ipad", "ipod", "mobile"]
        .iter()
        .any(|word| agent.contains(word));
    if mobile && agent.contains("kakaotalk") {
        &ready.next_redirect_app_url
    } else if mobile {
        &ready.next_redirect_mobile_url
    } else {
        &ready.next_redirect_pc_url
    }
}
