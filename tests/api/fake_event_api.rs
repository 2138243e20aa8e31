//! A fake of Kakao's Event API: a real HTTP server on `127.0.0.1:0` speaking
//! `POST /v2/bots/{botId}/talk` and `GET /v1/tasks/{taskId}`, so the real client runs.
//!
//! Like Kakao it checks the `Authorization: KakaoAK …` header (401), the body (400: an event name, 1 to
//! 100 users of a known type, no user twice) and the bot id in the path (404); it records every message it
//! accepted. Faults can be queued: an HTTP status, a hang without doing anything (the client times out,
//! nothing was taken), or a lost answer (the job is taken and recorded, and the answer never comes).

#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use junggye::config::NotifySettings;
use junggye::kakao_event::EventApiSettings;
use secrecy::SecretString;
use serde_json::{Value, json};

pub const KEY: &str = "fake-rest-api-key";
pub const BOT: &str = "bot-1";
pub const EVENT: &str = "market_notice";
/// The client's timeout in tests: a hang or a lost answer costs this much.
pub const TIMEOUT: Duration = Duration::from_millis(400);

/// What the next call does instead of answering SUCCESS.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    Status(u16),
    /// Nothing is taken; the answer never comes.
    Hang,
    /// The job is taken (recorded, delivered), and the answer never comes.
    LoseAnswer,
}

/// One accepted call.
#[derive(Clone, Debug)]
pub struct Message {
    pub task_id: String,
    pub users: Vec<String>,
    pub batch: String,
}

#[derive(Default)]
struct Inner {
    faults: VecDeque<Fault>,
    messages: Vec<Message>,
    refused: Vec<u16>,
    blocked: HashSet<String>,
    calls: usize,
}

#[derive(Clone)]
pub struct FakeEventApi {
    pub base_url: String,
    inner: Arc<Mutex<Inner>>,
}

impl FakeEventApi {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v2/bots/{bot}/talk", post(talk))
            .route("/v1/tasks/{task}", get(task))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, inner }
    }

    /// Settings pointing the server at this fake.
    pub fn settings(&self) -> NotifySettings {
        NotifySettings {
            event_api: EventApiSettings {
                base_url: self.base_url.clone(),
                rest_api_key: SecretString::from(KEY.to_owned()),
                bot_id: BOT.into(),
                event_name: EVENT.into(),
                timeout: TIMEOUT,
            },
            daily_cap: 1_000,
            keyword_alerts_per_day: 3,
            recheck_after: Duration::from_secs(60),
            lease: Duration::from_secs(120),
            poll_every: Duration::from_secs(3_600),
            message_price_won: 0,
        }
    }

    pub fn fail_next(&self, fault: Fault) {
        self.inner.lock().unwrap().faults.push_back(fault);
    }

    /// The task result will say this user could not be reached.
    pub fn block(&self, user: &str) {
        self.inner.lock().unwrap().blocked.insert(user.to_owned());
    }

    pub fn messages(&self) -> Vec<Message> {
        self.inner.lock().unwrap().messages.clone()
    }

    pub fn calls(&self) -> usize {
        self.inner.lock().unwrap().calls
    }

    pub fn refused(&self) -> Vec<u16> {
        self.inner.lock().unwrap().refused.clone()
    }
}

fn refuse(inner: &Mutex<Inner>, status: StatusCode, message: &str) -> Response {
    inner.lock().unwrap().refused.push(status.as_u16());
    (status, Json(json!({"status": "FAIL", "message": message}))).into_response()
}

async fn talk(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(bot): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let fault = {
        let mut inner = inner.lock().unwrap();
        inner.calls += 1;
        inner.faults.pop_front()
    };
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("KakaoAK {KEY}")) {
        return refuse(&inner, StatusCode::UNAUTHORIZED, "bad key");
    }
    if bot != BOT {
        return refuse(&inner, StatusCode::NOT_FOUND, "no such bot");
    }
    if body["event"]["name"] != EVENT {
        return refuse(&inner, StatusCode::BAD_REQUEST, "no such event block");
    }
    let users: Vec<String> = body["user"]
        .as_array()
        .map(|u| {
            u.iter()
                .filter(|u| u["type"] == "botUserKey")
                .filter_map(|u| u["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let distinct: HashSet<&String> = users.iter().collect();
    let listed = body["user"].as_array().map_or(0, Vec::len);
    if users.is_empty() || users.len() > 100 || distinct.len() != users.len() || listed != users.len() {
        return refuse(&inner, StatusCode::BAD_REQUEST, "1 to 100 distinct botUserKeys");
    }
    let batch = body["event"]["data"]["batch"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        body["params"]["batch"].as_str(),
        Some(batch.as_str()),
        "params carry the batch too"
    );
    match fault {
        Some(Fault::Status(code)) => {
            let status = StatusCode::from_u16(code).unwrap();
            return refuse(&inner, status, "fault");
        }
        Some(Fault::Hang) => {
            tokio::time::sleep(TIMEOUT * 5).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        _ => {}
    }
    let task_id = uuid::Uuid::new_v4().to_string();
    inner.lock().unwrap().messages.push(Message {
        task_id: task_id.clone(),
        users,
        batch,
    });
    if matches!(fault, Some(Fault::LoseAnswer)) {
        tokio::time::sleep(TIMEOUT * 5).await;
    }
    Json(json!({"taskId": task_id, "status": "SUCCESS", "timestamp": 1})).into_response()
}

async fn task(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(task): Path<String>,
    headers: HeaderMap,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("KakaoAK {KEY}")) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let inner = inner.lock().unwrap();
    let Some(message) = inner.messages.iter().find(|m| m.task_id == task) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let failed: Vec<Value> = message
        .users
        .iter()
        .filter(|u| inner.blocked.contains(*u))
        .map(|u| json!({"userId": u, "errorMsg": "user blocked the channel"}))
        .collect();
    let status = if failed.is_empty() {
        "ALL SUCCESS"
    } else {
        "PARTIAL SUCCESS"
    };
    Json(json!({
        "taskId": task,
        "status": status,
        "allRequestCount": message.users.len(),
        "successCount": message.users.len() - failed.len(),
        "fail": {"count": failed.len(), "list": failed},
    }))
    .into_response()
}
