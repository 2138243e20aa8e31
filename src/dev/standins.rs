//! Development stand-ins of the two Kakao services the market calls: Kakao Pay (ready → the buyer's
//! checkout page → approve, cancel, order) and the Event API (talk, task results).
//!
//! They listen on their own loopback port, as the real services live at their own hosts, so the real
//! clients ([`crate::kakaopay`], [`crate::kakao_event`]) run unchanged against them. They keep everything in
//! memory and know one key, [`STANDIN_SECRET`]: they exist so that a developer can try a whole trade in the
//! emulator, and [`crate::config`] refuses them in production. The emulator reads what the Event API
//! stand-in was asked to deliver ([`Standins::notices_for`]) and shows it as the bot's messages.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};

use crate::config::STANDIN_SECRET;
use crate::present::{html_escape, won};

/// Notices kept for the emulator at most; older ones are dropped first.
const MAX_NOTICES: usize = 10_000;

/// The running stand-ins: where they listen, and what they hold.
#[derive(Clone)]
pub struct Standins {
    addr: SocketAddr,
    /// Names this start: the notices' sequence numbers begin again with every start.
    boot: String,
    shared: StandinState,
}

/// What the stand-ins' handlers share.
pub type StandinState = Arc<Shared>;

pub struct Shared {
    base_url: String,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    payments: HashMap<String, Payment>,
    notices: Vec<Notice>,
    tasks: HashMap<String, usize>,
    seq: u64,
}

/// One payment the Kakao Pay stand-in was asked to prepare.
struct Payment {
    cid: String,
    partner_order_id: String,
    partner_user_id: String,
    item_name: String,
    total: i64,
    tax_free: i64,
    approval_url: String,
    cancel_url: String,
    state: &'static str,
    pg_token: Option<String>,
    aid: Option<String>,
    created_at: String,
    approved_at: Option<String>,
}

/// One message the Event API stand-in was asked to deliver to one user.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Notice {
    pub seq: u64,
    #[serde(skip)]
    pub user: String,
    pub name: String,
    pub params: Map<String, Value>,
}

impl Standins {
    /// Binds a loopback port and serves the stand-ins on it until the process ends, with the URLs `routes`
    /// gives them (`router::standin_routes`: every URL is listed in the router).
    pub async fn start(routes: impl FnOnce(StandinState) -> axum::Router) -> std::io::Result<Standins> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base_url: format!("http://{addr}"),
            inner: Mutex::new(Inner::default()),
        });
        let app = routes(shared.clone());
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "the development stand-ins stopped");
            }
        });
        tracing::warn!(%addr, "development stand-ins of Kakao Pay and the Event API are listening");
        let boot = uuid::Uuid::new_v4().simple().to_string();
        Ok(Standins { addr, boot, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Which start of the stand-ins this is (a page that saw another must read the notices from the start).
    pub fn boot(&self) -> &str {
        &self.boot
    }

    /// The notices delivered to `user` after sequence number `after`, oldest first.
    pub fn notices_for(&self, user: &str, after: u64) -> Vec<Notice> {
        self.shared
            .lock()
            .notices
            .iter()
            .filter(|n| n.user == user && n.seq > after)
            .cloned()
            .collect()
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Inner {
    fn next(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

/// A refusal the way Kakao Pay words one.
fn refusal(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"error_code": code, "error_message": message, "extras": {}});
    (status, Json(body)).into_response()
}

fn authorised(headers: &HeaderMap, scheme: &str) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("{scheme} {STANDIN_SECRET}"))
}

fn kst_now() -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    (time::OffsetDateTime::now_utc() + time::Duration::hours(9))
        .format(format)
        .unwrap_or_default()
}

/// `POST /online/v1/payment/{endpoint}`: Kakao Pay's four calls.
pub async fn pay_api(
    State(shared): State<StandinState>,
    Path(endpoint): Path<String>,
    headers: HeaderMap,
    Json(request): Json<Map<String, Value>>,
) -> Response {
    if !authorised(&headers, "SECRET_KEY") {
        return refusal(StatusCode::UNAUTHORIZED, -401, "invalid secret key");
    }
    let text = |field: &str| {
        request
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let number = |field: &str| request.get(field).and_then(Value::as_i64).unwrap_or_default();
    let mut inner = shared.lock();
    match endpoint.as_str() {
        "ready" => {
            let tid = format!("T{:019}", inner.next());
            let checkout = format!("{}/checkout/{tid}", shared.base_url);
            let created_at = kst_now();
            let payment = Payment {
                cid: text("cid"),
                partner_order_id: text("partner_order_id"),
                partner_user_id: text("partner_user_id"),
                item_name: text("item_name"),
                total: number("total_amount"),
                tax_free: number("tax_free_amount"),
                approval_url: text("approval_url"),
                cancel_url: text("cancel_url"),
                state: "READY",
                pg_token: None,
                aid: None,
                created_at: created_at.clone(),
                approved_at: None,
            };
            if payment.total <= 0 || payment.approval_url.is_empty() {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    -2,
                    "total_amount and approval_url are required",
                );
            }
            inner.payments.insert(tid.clone(), payment);
            Json(json!({
                "tid": tid,
                "next_redirect_app_url": checkout,
                "next_redirect_mobile_url": checkout,
                "next_redirect_pc_url": checkout,
                "created_at": created_at,
            }))
            .into_response()
        }
        "approve" => approve(&mut inner, &text("tid"), &text("pg_token")),
        "cancel" => cancel(&mut inner, &text("tid"), number("cancel_amount")),
        "order" => match inner.payments.get(&text("tid")) {
            Some(payment) => Json(describe(&text("tid"), payment)).into_response(),
            None => refusal(StatusCode::BAD_REQUEST, -721, "no such tid"),
        },
        _ => refusal(StatusCode::NOT_FOUND, -2, "no such endpoint"),
    }
}

/// A payment as `order` and `approve` describe it.
fn describe(tid: &str, payment: &Payment) -> Value {
    let amount = |total: i64| {
        json!({"total": total, "tax_free": payment.tax_free.min(total), "vat": (total - payment.tax_free).max(0) / 11,
               "point": 0, "discount": 0, "green_deposit": 0})
    };
    let refunded = payment.state == "CANCEL_PAYMENT";
    let mut answer = json!({
        "tid": tid,
        "cid": payment.cid,
        "status": payment.state,
        "partner_order_id": payment.partner_order_id,
        "partner_user_id": payment.partner_user_id,
        "item_name": payment.item_name,
        "quantity": 1,
        "created_at": payment.created_at,
    });
    if let (Some(aid), Value::Object(fields)) = (&payment.aid, &mut answer) {
        fields.insert("aid".into(), json!(aid));
        fields.insert("payment_method_type".into(), json!("MONEY"));
        fields.insert("amount".into(), amount(payment.total));
        let canceled = if refunded { payment.total } else { 0 };
        fields.insert("canceled_amount".into(), amount(canceled));
        fields.insert("cancel_available_amount".into(), amount(payment.total - canceled));
        fields.insert("approved_at".into(), json!(payment.approved_at));
    }
    answer
}

fn approve(inner: &mut Inner, tid: &str, pg_token: &str) -> Response {
    let aid = format!("A{:019}", inner.next());
    let Some(payment) = inner.payments.get_mut(tid) else {
        return refusal(StatusCode::BAD_REQUEST, -721, "no such tid");
    };
    if payment.aid.is_some() {
        return refusal(StatusCode::BAD_REQUEST, -702, "already approved");
    }
    if payment.pg_token.as_deref() != Some(pg_token) {
        return refusal(
            StatusCode::BAD_REQUEST,
            -780,
            "approval failure! invalid pg_token",
        );
    }
    payment.state = "SUCCESS_PAYMENT";
    payment.pg_token = None;
    payment.aid = Some(aid);
    payment.approved_at = Some(kst_now());
    Json(describe(tid, payment)).into_response()
}

fn cancel(inner: &mut Inner, tid: &str, amount: i64) -> Response {
    let Some(payment) = inner.payments.get_mut(tid) else {
        return refusal(StatusCode::BAD_REQUEST, -721, "no such tid");
    };
    if payment.state != "SUCCESS_PAYMENT" || amount != payment.total {
        return refusal(
            StatusCode::BAD_REQUEST,
            -798,
            "only a full cancel of a paid payment",
        );
    }
    payment.state = "CANCEL_PAYMENT";
    let mut answer = describe(tid, payment);
    if let Value::Object(fields) = &mut answer {
        let approved = fields.get("canceled_amount").cloned().unwrap_or_default();
        fields.insert("approved_cancel_amount".into(), approved);
    }
    Json(answer).into_response()
}

/// `GET /checkout/{tid}`: the page Kakao Pay would show the buyer.
pub async fn checkout(State(shared): State<StandinState>, Path(tid): Path<String>) -> Response {
    let inner = shared.lock();
    let Some(payment) = inner.payments.get(&tid) else {
        return (
            StatusCode::NOT_FOUND,
            Html(page("결제 정보를 찾을 수 없어요", "")),
        )
            .into_response();
    };
    if payment.state != "READY" {
        return Html(page("이미 끝난 결제예요", "창을 닫아 주세요.")).into_response();
    }
    let body = format!(
        r#"<p class="item">{item}</p><p class="amount">{amount}</p>
<form method="post" action="/checkout/{tid}/approve"><button id="standin-approve" class="pay">결제하기</button></form>
<form method="post" action="/checkout/{tid}/cancel"><button id="standin-cancel" class="cancel">취소</button></form>"#,
        item = html_escape(&payment.item_name),
        amount = won(payment.total),
    );
    Html(page("카카오페이 (개발용 대역)", &body)).into_response()
}

/// `POST /checkout/{tid}/approve`: the buyer authenticated; the browser goes back to our approval URL.
pub async fn checkout_approve(State(shared): State<StandinState>, Path(tid): Path<String>) -> Response {
    let mut inner = shared.lock();
    let token = format!("pg{:018}", inner.next());
    let Some(payment) = inner.payments.get_mut(&tid).filter(|p| p.state == "READY") else {
        return (StatusCode::CONFLICT, Html(page("이미 끝난 결제예요", ""))).into_response();
    };
    payment.state = "AUTH_PASSWORD";
    payment.pg_token = Some(token.clone());
    let separator = if payment.approval_url.contains('?') {
        '&'
    } else {
        '?'
    };
    Redirect::to(&format!("{}{separator}pg_token={token}", payment.approval_url)).into_response()
}

/// `POST /checkout/{tid}/cancel`: the buyer gave up; the browser goes back to our cancel URL.
pub async fn checkout_cancel(State(shared): State<StandinState>, Path(tid): Path<String>) -> Response {
    let mut inner = shared.lock();
    let Some(payment) = inner.payments.get_mut(&tid).filter(|p| p.state == "READY") else {
        return (StatusCode::CONFLICT, Html(page("이미 끝난 결제예요", ""))).into_response();
    };
    payment.state = "QUIT_PAYMENT";
    Redirect::to(&payment.cancel_url).into_response()
}

/// `POST /v2/bots/{bot}/talk`: the Event API takes a job and, here, delivers it at once.
pub async fn talk(
    State(shared): State<StandinState>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorised(&headers, "KakaoAK") {
        return (StatusCode::UNAUTHORIZED, Json(json!({"message": "invalid key"}))).into_response();
    }
    let name = body["event"]["name"].as_str().unwrap_or_default().to_owned();
    let params = body["params"].as_object().cloned().unwrap_or_default();
    let users: Vec<String> = body["user"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    if name.is_empty() || users.is_empty() || users.len() > 100 {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"message": "event.name and 1–100 users"})),
        )
            .into_response();
    }
    let mut inner = shared.lock();
    let task_id = format!("task{}", inner.next());
    inner.tasks.insert(task_id.clone(), users.len());
    for user in users {
        let seq = inner.next();
        inner.notices.push(Notice {
            seq,
            user,
            name: name.clone(),
            params: params.clone(),
        });
    }
    let excess = inner.notices.len().saturating_sub(MAX_NOTICES);
    inner.notices.drain(..excess);
    Json(json!({"taskId": task_id, "status": "SUCCESS", "timestamp": 0})).into_response()
}

/// `GET /v1/tasks/{task}`: every user of a stand-in task was reached.
pub async fn task(State(shared): State<StandinState>, Path(task_id): Path<String>) -> Response {
    match shared.lock().tasks.get(&task_id) {
        Some(&count) => Json(json!({
            "taskId": task_id,
            "status": "ALL SUCCESS",
            "allRequestCount": count,
            "successCount": count,
            "fail": {"count": 0, "list": []},
        }))
        .into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"message": "no such task"}))).into_response(),
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html><html lang="ko"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title><style>
body{{font-family:sans-serif;margin:0;background:#f5f5f5;text-align:center}}
header{{background:#ffeb00;padding:18px;font-weight:bold;font-size:18px}}
.note{{color:#c00;font-size:12px;margin:8px}} .item{{font-size:18px;margin-top:32px}}
.amount{{font-size:28px;font-weight:bold}} form{{margin:12px}}
button{{width:80%;max-width:320px;padding:14px;border:0;border-radius:8px;font-size:16px}}
.pay{{background:#ffeb00}} .cancel{{background:#ddd}}
</style><header>{title}</header><p class="note">개발용 대역입니다. 실제로 돈이 오가지 않아요.</p>{body}</html>"#,
        title = html_escape(title),
    )
}
