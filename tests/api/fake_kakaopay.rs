//! A fake Kakao Pay: a real HTTP server on `127.0.0.1:0` that speaks the online single payment API
//! (`POST /online/v1/payment/{ready|approve|cancel|order}`, `Authorization: SECRET_KEY …`, JSON) and keeps
//! each payment's state by `tid`, so tests can drive a whole payment and break it on purpose.
//!
//! ```ignore
//! let fake = FakeKakaoPay::start().await;
//! let pay = fake.client();                      // a KakaoPay pointed at the fake, with its secret
//! let ready = pay.ready(&request).await?;       // tid created, state READY
//! let pg_token = fake.user_pays(&ready.tid);    // the buyer authenticates on "Kakao's page"
//! pay.approve(&approve_request(pg_token)).await?;
//! assert_eq!(fake.state(&ready.tid), Some(PaymentState::SuccessPayment));
//! fake.fail_next("approve", 1, FailMode::Slow(Duration::from_secs(5)));   // the next approve times out
//! fake.fail_next("approve", 1, FailMode::Deferred);  // the next approve hangs, its work not done yet …
//! fake.complete_deferred("approve");                  // … until now: the payment completes late
//! assert_eq!(fake.calls("ready"), 1);
//! ```
//!
//! What it checks, like Kakao: the secret key (401 otherwise); the merchant id; required fields, their
//! types and documented limits (400, [`codes::INVALID_PARAMETER`]); approve only with the `pg_token` issued
//! for that `tid` by [`FakeKakaoPay::user_pays`], the same `partner_order_id`/`partner_user_id` and the
//! same `total_amount` as ready ([`codes::APPROVAL_FAILURE`] with a [`reason`] in
//! `extras.method_result_code`); approve once per `tid` ([`codes::ALREADY_APPROVED`]); cancel only after
//! approval and only in full ([`codes::CANCEL_FAILURE`]).
//!
//! Error bodies have Kakao's shape: `{"error_code": -780, "error_message": "…", "extras":
//! {"method_result_code": "…", "method_result_message": "…"}}`. Kakao documents -780 ("approval
//! failure"); the other numbers are this fake's choice — compare with the [`codes`] constants, and never
//! make the payment flow depend on a particular number.

#![allow(dead_code)] // Shared with the payment-flow tests; not every helper is used by every file.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use junggye::kakaopay::{KakaoPay, KakaoPaySettings, PaymentState, TEST_CID};
use secrecy::SecretString;
use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The four endpoints, as named in [`FakeKakaoPay::calls`] and [`FakeKakaoPay::fail_next`].
pub const ENDPOINTS: [&str; 4] = ["ready", "approve", "cancel", "order"];

/// `error_code`s the fake answers.
pub mod codes {
    /// A missing, mistyped or out-of-limit field, or a wrong `cid`.
    pub const INVALID_PARAMETER: i64 = -2;
    /// Missing or wrong `Authorization: SECRET_KEY …` (HTTP 401).
    pub const UNAUTHORIZED: i64 = -401;
    /// `approve` on a `tid` already approved (or cancelled).
    pub const ALREADY_APPROVED: i64 = -702;
    /// No payment with this `tid`.
    pub const UNKNOWN_TID: i64 = -721;
    /// `approve` refused; `extras.method_result_code` says why (see [`super::reason`]).
    pub const APPROVAL_FAILURE: i64 = -780;
    /// `cancel` refused; `extras.method_result_code` says why.
    pub const CANCEL_FAILURE: i64 = -798;
}

/// `extras.method_result_code` values of the fake's refusals.
pub mod reason {
    /// The `pg_token` was not issued for this `tid` (never paid, another payment's, or the buyer quit).
    pub const INVALID_PG_TOKEN: &str = "INVALID_PG_TOKEN";
    /// `total_amount` differs from ready's.
    pub const AMOUNT_MISMATCH: &str = "AMOUNT_MISMATCH";
    /// `partner_order_id` or `partner_user_id` differs from ready's.
    pub const PARTNER_MISMATCH: &str = "PARTNER_MISMATCH";
    /// Cancel before approval, or after a full cancel.
    pub const NOT_CANCELLABLE: &str = "NOT_CANCELLABLE";
    /// Cancel of less than the whole amount (the fake only supports full refunds).
    pub const PARTIAL_CANCEL: &str = "PARTIAL_CANCEL";
    /// `cancel_available_amount` differs from what is really left.
    pub const AVAILABLE_MISMATCH: &str = "AVAILABLE_MISMATCH";
}

/// A fault to inject into one call ([`FakeKakaoPay::fail_next`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailMode {
    /// Answer HTTP 500 at once and do nothing (Kakao down before anything happened).
    Status500,
    /// Do the work (approve, cancel, …), then answer HTTP 500: the effect happened, the answer is lost.
    Status500AfterEffect,
    /// Do the work at once, answer normally after this delay (set it past the client's timeout to lose
    /// the answer: the effect happened, the caller timed out).
    Slow(Duration),
    /// Do the work, then answer HTTP 200 with a body that is not JSON.
    Garbled,
    /// Do nothing yet and keep the caller waiting (it times out): the work is done only when
    /// [`FakeKakaoPay::complete_deferred`] is called, so `order` keeps reporting the old status in the
    /// meantime — Kakao Pay still busy with an approve we gave up on, completing it later.
    Deferred,
}

/// How long a [`FailMode::Deferred`] caller is kept waiting at most before it is answered HTTP 500 (the
/// work is still done if [`FakeKakaoPay::complete_deferred`] is called later).
const DEFERRED_PATIENCE: Duration = Duration::from_secs(60);

/// One payment as the fake holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FakePayment {
    pub tid: String,
    pub cid: String,
    pub partner_order_id: String,
    pub partner_user_id: String,
    pub item_name: String,
    pub quantity: i64,
    pub total_amount: i64,
    pub tax_free_amount: i64,
    pub vat_amount: i64,
    pub approval_url: String,
    pub cancel_url: String,
    pub fail_url: String,
    pub state: PaymentState,
    /// The token issued by [`FakeKakaoPay::user_pays`], while it may still be used.
    pub pg_token: Option<String>,
    /// Set by a successful approve.
    pub aid: Option<String>,
    pub canceled_amount: i64,
    pub created_at: String,
    pub approved_at: Option<String>,
    pub canceled_at: Option<String>,
}

#[derive(Default)]
struct Inner {
    payments: HashMap<String, FakePayment>,
    calls: HashMap<&'static str, usize>,
    faults: HashMap<&'static str, VecDeque<FailMode>>,
    deferred: Vec<Parked>,
    seq: u64,
}

/// A [`FailMode::Deferred`] call: the request as it came, and the way to its waiting caller.
struct Parked {
    endpoint: &'static str,
    headers: HeaderMap,
    body: Bytes,
    answer: oneshot::Sender<Response>,
}

struct Shared {
    secret: String,
    base_url: String,
    inner: Mutex<Inner>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The running fake. Stops when dropped.
pub struct FakeKakaoPay {
    shared: Arc<Shared>,
    server: JoinHandle<()>,
}

impl Drop for FakeKakaoPay {
    fn drop(&mut self) {
        self.server.abort();
        // Wakes any parked caller (answered 500) instead of leaving it waiting on this fake.
        self.shared.lock().deferred.clear();
    }
}

fn endpoint_name(endpoint: &str) -> &'static str {
    ENDPOINTS
        .into_iter()
        .find(|e| *e == endpoint)
        .unwrap_or_else(|| panic!("the fake has no endpoint {endpoint:?}; it has {ENDPOINTS:?}"))
}

impl FakeKakaoPay {
    /// Starts a fake on a free port with a fresh random secret key and merchant `TC0ONETIME`.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the fake");
        let addr: SocketAddr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared {
            secret: format!("DEV{}", uuid::Uuid::new_v4().simple()),
            base_url: format!("http://{addr}"),
            inner: Mutex::new(Inner::default()),
        });
        let mut router = Router::new();
        for endpoint in ENDPOINTS {
            router = router.route(
                &format!("/online/v1/payment/{endpoint}"),
                post(
                    move |state: State<Arc<Shared>>, headers: HeaderMap, body: Bytes| {
                        handle(state, endpoint, headers, body)
                    },
                ),
            );
        }
        let app = router.with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("the fake serves");
        });
        Self { shared, server }
    }

    /// `http://127.0.0.1:{port}`: the `KAKAOPAY_BASE_URL` to use.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// The secret key the fake accepts.
    pub fn secret(&self) -> &str {
        &self.shared.secret
    }

    /// Settings for this fake: its URL and secret, merchant `TC0ONETIME`, 1 s timeout.
    pub fn settings(&self) -> KakaoPaySettings {
        KakaoPaySettings {
            secret_key: SecretString::from(self.secret().to_owned()),
            ..KakaoPaySettings::for_tests(self.base_url())
        }
    }

    /// A client for this fake with [`settings`](Self::settings).
    pub fn client(&self) -> KakaoPay {
        KakaoPay::new(self.settings()).expect("valid settings for the fake")
    }

    /// Requests that reached `endpoint` so far — all of them, refused and faulted ones included.
    pub fn calls(&self, endpoint: &str) -> usize {
        let name = endpoint_name(endpoint);
        self.shared.lock().calls.get(name).copied().unwrap_or(0)
    }

    /// Requests that reached any endpoint so far.
    pub fn total_calls(&self) -> usize {
        self.shared.lock().calls.values().sum()
    }

    /// The next `n` calls of `endpoint` fail as `mode` (queued after faults already set).
    pub fn fail_next(&self, endpoint: &str, n: usize, mode: FailMode) {
        let name = endpoint_name(endpoint);
        let mut inner = self.shared.lock();
        let queue = inner.faults.entry(name).or_default();
        queue.extend(std::iter::repeat_n(mode, n));
    }

    /// Does the work of every parked [`FailMode::Deferred`] call of `endpoint`, in arrival order, and sends
    /// each answer to its caller if it still waits. Returns how many calls it completed.
    pub fn complete_deferred(&self, endpoint: &str) -> usize {
        let name = endpoint_name(endpoint);
        let parked: Vec<Parked> = {
            let mut inner = self.shared.lock();
            let (mine, others) = std::mem::take(&mut inner.deferred)
                .into_iter()
                .partition(|call| call.endpoint == name);
            inner.deferred = others;
            mine
        };
        let completed = parked.len();
        for call in parked {
            let answer = respond(process(&self.shared, call.endpoint, &call.headers, &call.body));
            // The caller has usually timed out long ago: nobody to tell.
            let _ = call.answer.send(answer);
        }
        completed
    }

    /// The payment's status, as `order` would answer it; `None` for a `tid` the fake never issued.
    pub fn state(&self, tid: &str) -> Option<PaymentState> {
        self.shared.lock().payments.get(tid).map(|p| p.state.clone())
    }

    /// Everything the fake holds about a payment.
    pub fn payment(&self, tid: &str) -> Option<FakePayment> {
        self.shared.lock().payments.get(tid).cloned()
    }

    /// Every `tid` issued so far, oldest first.
    pub fn tids(&self) -> Vec<String> {
        let inner = self.shared.lock();
        let mut tids: Vec<String> = inner.payments.keys().cloned().collect();
        tids.sort();
        tids
    }

    /// The buyer authenticates on Kakao's page: the payment becomes `AUTH_PASSWORD` and a fresh
    /// `pg_token` for this `tid` is returned (the one Kakao appends to `approval_url`).
    ///
    /// Panics unless the payment exists and is still in progress.
    pub fn user_pays(&self, tid: &str) -> String {
        let mut inner = self.shared.lock();
        inner.seq += 1;
        let token = format!("pg{:018}", inner.seq);
        let payment = payment_mut(&mut inner, tid);
        assert!(
            payment.state.is_in_progress(),
            "the buyer cannot pay {tid}: it is {}",
            payment.state
        );
        payment.state = PaymentState::AuthPassword;
        payment.pg_token = Some(token.clone());
        token
    }

    /// Like [`user_pays`](Self::user_pays), but returns where Kakao sends the browser next:
    /// `approval_url` with `pg_token` appended.
    pub fn user_pays_redirect(&self, tid: &str) -> String {
        let token = self.user_pays(tid);
        let approval_url = self.payment(tid).expect("known tid").approval_url;
        let separator = if approval_url.contains('?') { '&' } else { '?' };
        format!("{approval_url}{separator}pg_token={token}")
    }

    /// The buyer gives up on Kakao's page: `QUIT_PAYMENT`, any issued `pg_token` is void.
    pub fn user_quits(&self, tid: &str) {
        self.set_state(tid, PaymentState::QuitPayment);
    }

    /// The payment fails on Kakao's page: `FAIL_PAYMENT`, any issued `pg_token` is void.
    pub fn user_fails(&self, tid: &str) {
        self.set_state(tid, PaymentState::FailPayment);
    }

    /// Forces a payment's status (for statuses no helper reaches). Leaving `AUTH_PASSWORD` voids the
    /// `pg_token`. Panics for an unknown `tid`.
    pub fn set_state(&self, tid: &str, state: PaymentState) {
        let mut inner = self.shared.lock();
        let payment = payment_mut(&mut inner, tid);
        if state != PaymentState::AuthPassword {
            payment.pg_token = None;
        }
        payment.state = state;
    }

    /// The `tid` a `next_redirect_*_url` from this fake leads to.
    pub fn tid_from_redirect(&self, url: &str) -> Option<String> {
        let rest = url.strip_prefix(&format!("{}/pay/", self.base_url()))?;
        let tid = rest.split('/').next()?;
        self.shared
            .lock()
            .payments
            .contains_key(tid)
            .then(|| tid.to_owned())
    }
}

fn payment_mut<'a>(inner: &'a mut Inner, tid: &str) -> &'a mut FakePayment {
    inner
        .payments
        .get_mut(tid)
        .unwrap_or_else(|| panic!("the fake never issued tid {tid:?}"))
}

// ---------------------------------------------------------------------------------------------
// The server

/// A refusal: HTTP status and Kakao's error body.
struct Refusal {
    status: StatusCode,
    code: i64,
    message: String,
    reason: Option<&'static str>,
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::INVALID_PARAMETER,
        message: message.into(),
        reason: None,
    }
}

fn refused(code: i64, reason: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        status: StatusCode::BAD_REQUEST,
        code,
        message: message.into(),
        reason: Some(reason),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut extras = Map::new();
        if let Some(reason) = self.reason {
            extras.insert("method_result_code".into(), json!(reason));
            extras.insert("method_result_message".into(), json!(self.message));
        }
        let body = json!({
            "error_code": self.code,
            "error_message": self.message,
            "extras": extras,
        });
        (self.status, axum::Json(body)).into_response()
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    endpoint: &'static str,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let fault = {
        let mut inner = shared.lock();
        *inner.calls.entry(endpoint).or_default() += 1;
        inner.faults.get_mut(endpoint).and_then(VecDeque::pop_front)
    };
    match fault {
        Some(FailMode::Status500) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        Some(FailMode::Deferred) => return park(&shared, endpoint, headers, body).await,
        _ => {}
    }
    let answer = respond(process(&shared, endpoint, &headers, &body));
    match fault {
        None | Some(FailMode::Status500 | FailMode::Deferred) => answer,
        Some(FailMode::Status500AfterEffect) => {
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
        Some(FailMode::Garbled) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "<html>upstream error</html>",
        )
            .into_response(),
        Some(FailMode::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            answer
        }
    }
}

fn respond(result: Result<Value, Refusal>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

/// Keeps a [`FailMode::Deferred`] call waiting until [`FakeKakaoPay::complete_deferred`] answers it.
async fn park(shared: &Shared, endpoint: &'static str, headers: HeaderMap, body: Bytes) -> Response {
    let (answer, answered) = oneshot::channel();
    shared.lock().deferred.push(Parked {
        endpoint,
        headers,
        body,
        answer,
    });
    match tokio::time::timeout(DEFERRED_PATIENCE, answered).await {
        Ok(Ok(response)) => response,
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
    }
}

fn process(shared: &Shared, endpoint: &str, headers: &HeaderMap, body: &[u8]) -> Result<Value, Refusal> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default();
    if presented != format!("SECRET_KEY {}", shared.secret) {
        // Echoes what it was given, as some servers do: the client must scrub it.
        return Err(Refusal {
            status: StatusCode::UNAUTHORIZED,
            code: codes::UNAUTHORIZED,
            message: format!("invalid authorization: {presented:?}"),
            reason: None,
        });
    }
    let request = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| match v {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .ok_or_else(|| bad("the body is not a JSON object"))?;
    let cid = text(&request, "cid", 1, 100)?;
    if cid != TEST_CID {
        return Err(bad(format!("unknown cid {cid:?}")));
    }
    let mut inner = shared.lock();
    match endpoint {
        "ready" => ready(&mut inner, &shared.base_url, cid, &request),
        "approve" => approve(&mut inner, &request),
        "cancel" => cancel(&mut inner, &request),
        "order" => order(&inner, &request),
        other => unreachable!("no endpoint {other}"),
    }
}

fn text(request: &Map<String, Value>, field: &str, min: usize, max: usize) -> Result<String, Refusal> {
    match request.get(field) {
        Some(Value::String(s)) if (min..=max).contains(&s.chars().count()) => Ok(s.clone()),
        Some(Value::String(s)) => Err(bad(format!(
            "{field} must have {min}–{max} characters, has {}",
            s.chars().count()
        ))),
        Some(_) => Err(bad(format!("{field} must be a string"))),
        None => Err(bad(format!("{field} is required"))),
    }
}

fn optional_number(request: &Map<String, Value>, field: &str) -> Result<Option<i64>, Refusal> {
    match request.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{field} must be an integer"))),
    }
}

fn number(request: &Map<String, Value>, field: &str) -> Result<i64, Refusal> {
    optional_number(request, field)?.ok_or_else(|| bad(format!("{field} is required")))
}

fn kst_now() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    (time::OffsetDateTime::now_utc() + time::Duration::hours(9))
        .format(format)
        .expect("format a timestamp")
}

fn amount(payment: &FakePayment, total: i64) -> Value {
    // The same split as the original payment, scaled (the fake only refunds in full, so it is exact).
    let ratio = |part: i64| {
        if payment.total_amount == 0 {
            0
        } else {
            part * total / payment.total_amount
        }
    };
    json!({
        "total": total,
        "tax_free": ratio(payment.tax_free_amount),
        "vat": ratio(payment.vat_amount),
        "point": 0,
        "discount": 0,
        "green_deposit": 0,
    })
}

fn ready(
    inner: &mut Inner,
    base_url: &str,
    cid: String,
    request: &Map<String, Value>,
) -> Result<Value, Refusal> {
    let partner_order_id = text(request, "partner_order_id", 1, 100)?;
    let partner_user_id = text(request, "partner_user_id", 1, 100)?;
    let item_name = text(request, "item_name", 1, 100)?;
    let quantity = number(request, "quantity")?;
    let total_amount = number(request, "total_amount")?;
    let tax_free_amount = number(request, "tax_free_amount")?;
    let vat_amount = optional_number(request, "vat_amount")?;
    let approval_url = text(request, "approval_url", 1, 255)?;
    let cancel_url = text(request, "cancel_url", 1, 255)?;
    let fail_url = text(request, "fail_url", 1, 255)?;
    if quantity < 1 {
        return Err(bad("quantity must be at least 1"));
    }
    if total_amount <= 0 {
        return Err(bad("total_amount must be more than 0"));
    }
    if !(0..=total_amount).contains(&tax_free_amount) {
        return Err(bad("tax_free_amount must be between 0 and total_amount"));
    }
    let vat_amount = match vat_amount {
        Some(vat) if !(0..=total_amount).contains(&vat) => {
            return Err(bad("vat_amount must be between 0 and total_amount"));
        }
        Some(vat) => vat,
        None => (total_amount - tax_free_amount) / 11,
    };
    inner.seq += 1;
    let tid = format!("T{:019}", inner.seq);
    let created_at = kst_now();
    inner.payments.insert(
        tid.clone(),
        FakePayment {
            tid: tid.clone(),
            cid,
            partner_order_id,
            partner_user_id,
            item_name,
            quantity,
            total_amount,
            tax_free_amount,
            vat_amount,
            approval_url,
            cancel_url,
            fail_url,
            state: PaymentState::Ready,
            pg_token: None,
            aid: None,
            canceled_amount: 0,
            created_at: created_at.clone(),
            approved_at: None,
            canceled_at: None,
        },
    );
    Ok(json!({
        "tid": tid,
        "tms_result": false,
        "next_redirect_app_url": format!("{base_url}/pay/{tid}/aInfo"),
        "next_redirect_mobile_url": format!("{base_url}/pay/{tid}/mInfo"),
        "next_redirect_pc_url": format!("{base_url}/pay/{tid}/info"),
        "android_app_scheme": format!("kakaotalk://kakaopay/pg?url={base_url}/pay/{tid}"),
        "ios_app_scheme": format!("kakaotalk://kakaopay/pg?url={base_url}/pay/{tid}"),
        "created_at": created_at,
    }))
}

fn known<'a>(inner: &'a mut Inner, tid: &str) -> Result<&'a mut FakePayment, Refusal> {
    inner.payments.get_mut(tid).ok_or_else(|| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::UNKNOWN_TID,
        message: format!("no payment {tid}"),
        reason: None,
    })
}

fn approve(inner: &mut Inner, request: &Map<String, Value>) -> Result<Value, Refusal> {
    let tid = text(request, "tid", 1, 100)?;
    let partner_order_id = text(request, "partner_order_id", 1, 100)?;
    let partner_user_id = text(request, "partner_user_id", 1, 100)?;
    let pg_token = text(request, "pg_token", 1, 100)?;
    let total_amount = optional_number(request, "total_amount")?;
    inner.seq += 1;
    let aid = format!("A{:019}", inner.seq);
    let payment = known(inner, &tid)?;
    if payment.aid.is_some() {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            code: codes::ALREADY_APPROVED,
            message: format!("payment {tid} is already approved"),
            reason: None,
        });
    }
    if partner_order_id != payment.partner_order_id || partner_user_id != payment.partner_user_id {
        return Err(refused(
            codes::APPROVAL_FAILURE,
            reason::PARTNER_MISMATCH,
            "approval failure! partner_order_id or partner_user_id differs from ready",
        ));
    }
    if payment.pg_token.as_deref() != Some(pg_token.as_str()) {
        return Err(refused(
            codes::APPROVAL_FAILURE,
            reason::INVALID_PG_TOKEN,
            "approval failure! invalid pg_token",
        ));
    }
    if total_amount.is_some_and(|total| total != payment.total_amount) {
        return Err(refused(
            codes::APPROVAL_FAILURE,
            reason::AMOUNT_MISMATCH,
            "approval failure! total_amount differs from ready",
        ));
    }
    let approved_at = kst_now();
    payment.state = PaymentState::SuccessPayment;
    payment.pg_token = None;
    payment.aid = Some(aid.clone());
    payment.approved_at = Some(approved_at.clone());
    Ok(json!({
        "aid": aid,
        "tid": payment.tid,
        "cid": payment.cid,
        "partner_order_id": payment.partner_order_id,
        "partner_user_id": payment.partner_user_id,
        "payment_method_type": "MONEY",
        "amount": amount(payment, payment.total_amount),
        "item_name": payment.item_name,
        "quantity": payment.quantity,
        "created_at": payment.created_at,
        "approved_at": approved_at,
        // Kakao adds fields over time; clients must ignore what they do not know.
        "sequential_payment_methods": [],
    }))
}

fn cancel(inner: &mut Inner, request: &Map<String, Value>) -> Result<Value, Refusal> {
    let tid = text(request, "tid", 1, 100)?;
    let cancel_amount = number(request, "cancel_amount")?;
    let cancel_tax_free_amount = number(request, "cancel_tax_free_amount")?;
    let cancel_available_amount = optional_number(request, "cancel_available_amount")?;
    if cancel_amount <= 0 || !(0..=cancel_amount).contains(&cancel_tax_free_amount) {
        return Err(bad("cancel amounts out of range"));
    }
    let payment = known(inner, &tid)?;
    if payment.state != PaymentState::SuccessPayment {
        return Err(refused(
            codes::CANCEL_FAILURE,
            reason::NOT_CANCELLABLE,
            format!("payment {tid} is {}, not cancellable", payment.state),
        ));
    }
    let available = payment.total_amount - payment.canceled_amount;
    if cancel_available_amount.is_some_and(|a| a != available) {
        return Err(refused(
            codes::CANCEL_FAILURE,
            reason::AVAILABLE_MISMATCH,
            format!("cancel_available_amount is {available}"),
        ));
    }
    if cancel_amount != available || cancel_tax_free_amount != payment.tax_free_amount {
        return Err(refused(
            codes::CANCEL_FAILURE,
            reason::PARTIAL_CANCEL,
            "only a full cancel is possible",
        ));
    }
    inner.seq += 1;
    let aid = format!("A{:019}", inner.seq);
    let payment = known(inner, &tid)?;
    let canceled_at = kst_now();
    payment.state = PaymentState::CancelPayment;
    payment.canceled_amount = payment.total_amount;
    payment.canceled_at = Some(canceled_at.clone());
    Ok(json!({
        "aid": aid,
        "tid": payment.tid,
        "cid": payment.cid,
        "status": payment.state.as_str(),
        "partner_order_id": payment.partner_order_id,
        "partner_user_id": payment.partner_user_id,
        "payment_method_type": "MONEY",
        "amount": amount(payment, payment.total_amount),
        "approved_cancel_amount": amount(payment, cancel_amount),
        "canceled_amount": amount(payment, payment.canceled_amount),
        "cancel_available_amount": amount(payment, 0),
        "item_name": payment.item_name,
        "quantity": payment.quantity,
        "created_at": payment.created_at,
        "approved_at": payment.approved_at,
        "canceled_at": canceled_at,
    }))
}

fn order(inner: &Inner, request: &Map<String, Value>) -> Result<Value, Refusal> {
    let tid = text(request, "tid", 1, 100)?;
    let payment = inner.payments.get(&tid).ok_or_else(|| Refusal {
        status: StatusCode::BAD_REQUEST,
        code: codes::UNKNOWN_TID,
        message: format!("no payment {tid}"),
        reason: None,
    })?;
    let mut answer = json!({
        "tid": payment.tid,
        "cid": payment.cid,
        "status": payment.state.as_str(),
        "partner_order_id": payment.partner_order_id,
        "partner_user_id": payment.partner_user_id,
        "item_name": payment.item_name,
        "quantity": payment.quantity,
        "created_at": payment.created_at,
        "payment_action_details": [],
    });
    if payment.aid.is_some() {
        let extra = json!({
            "payment_method_type": "MONEY",
            "amount": amount(payment, payment.total_amount),
            "canceled_amount": amount(payment, payment.canceled_amount),
            "cancel_available_amount": amount(payment, payment.total_amount - payment.canceled_amount),
            "approved_at": payment.approved_at,
            "canceled_at": payment.canceled_at,
        });
        if let (Value::Object(answer), Value::Object(extra)) = (&mut answer, extra) {
            answer.extend(extra);
        }
    }
    Ok(answer)
}
