//! `/dev/chat`: a KakaoTalk-like chat with the bot, in the browser, for development.
//!
//! The page (`assets/`) plays Open Builder: it builds the skill payloads Kakao would send, in conversation
//! mode or simulating every block of the catalogue, and renders the answers as KakaoTalk does. It calls the
//! skills through [`skill`], which forwards to this server's own `POST /skill/…` over loopback (so the
//! secret check, the deadline and the skill log all run as for Kakao) and returns the answer with the
//! verdict of Kakao's limit checker ([`kakao_skill::check`]). Photos picked in the page are kept here in
//! memory and downloaded by the server like Kakao's CDN's; notices come from the Event API stand-in.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};

use super::standins::Standins;
use crate::blocks::{Block, CATALOGUE_FILES, Nav};
use crate::images::ImageKind;
use crate::state::AppState;

/// Photos kept at most; the oldest is forgotten first (the server copies a photo when it registers it).
const MAX_PHOTOS: usize = 200;
/// Longest a forwarded skill call may take: more than Kakao's 5 s, so a slow answer is seen, not cut.
const SKILL_TIMEOUT: Duration = Duration::from_secs(8);

/// What the emulator's handlers share.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

struct Inner {
    standins: Standins,
    /// `http://host:port` of this server, as seen from this machine.
    own_url: String,
    secret: Option<(HeaderName, SecretString)>,
    catalogue: Value,
    http: reqwest::Client,
    photos: Mutex<Photos>,
}

#[derive(Default)]
struct Photos {
    next: u64,
    kept: VecDeque<(u64, ImageKind, Bytes)>,
}

impl Emulator {
    pub fn new(state: &AppState, standins: Standins) -> Emulator {
        let config = &state.config;
        let secret = config
            .skill_secret
            .clone()
            .map(|s| (config.skill_secret_header.clone(), s));
        let bot_id = config
            .kakao_bot_id
            .clone()
            .unwrap_or_else(|| crate::config::STANDIN_BOT_ID.to_owned());
        Emulator {
            inner: Arc::new(Inner {
                standins,
                own_url: format!("http://{}", config.own_address()),
                secret,
                catalogue: catalogue(&state.nav, &bot_id),
                http: reqwest::Client::builder()
                    .timeout(SKILL_TIMEOUT)
                    .build()
                    .unwrap_or_default(),
                photos: Mutex::default(),
            }),
        }
    }
}

/// The blocks of the catalogue as the page needs them to play Open Builder: key, name, skill URL,
/// utterances, parameters (prompt, validation skill) and the block id this server links to, if any.
fn catalogue(nav: &Nav, bot_id: &str) -> Value {
    let mut blocks = Vec::new();
    for file in CATALOGUE_FILES {
        let group: Value = serde_json::from_str(file).unwrap_or_default();
        for skill in group["skills"].as_array().into_iter().flatten() {
            let Some(key) = skill["block"]["key"].as_str() else {
                continue;
            };
            let block_id = Block::from_key(key)
                .and_then(|b| nav.id(b))
                .map(|id| id.as_str().to_owned());
            let params: Vec<Value> = skill["params"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    json!({
                        "name": p["name"], "entity": p["entity"], "required": p["required"],
                        "prompt": p["prompt"], "validation": p.get("validation").cloned().unwrap_or(Value::Null),
                    })
                })
                .collect();
            blocks.push(json!({
                "key": key,
                "name": skill["block"]["name"],
                "url": skill["url"],
                "utterances": skill["block"]["utterances"],
                "blockId": block_id,
                "params": params,
            }));
        }
    }
    let find = |key: &str| {
        blocks
            .iter()
            .find(|b| b["key"] == key)
            .cloned()
            .unwrap_or_default()
    };
    let mut photo = find("chat_photo");
    photo["param"] = json!("images");
    json!({
        "botId": bot_id,
        "botName": "중계나라",
        "eventSkill": "/skill/notifications/event",
        "fallback": find("fallback"),
        "photo": photo,
        "blocks": blocks,
    })
}

/// `GET /dev/chat`: the page.
pub async fn page() -> Response {
    asset_response("text/html; charset=utf-8", include_str!("assets/chat.html"))
}

/// `GET /dev/chat/assets/{name}`: its script and style sheet.
pub async fn asset(Path(name): Path<String>) -> Response {
    match name.as_str() {
        "chat.js" => asset_response("text/javascript; charset=utf-8", include_str!("assets/chat.js")),
        "chat.css" => asset_response("text/css; charset=utf-8", include_str!("assets/chat.css")),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

fn asset_response(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// `GET /dev/chat/catalogue`.
pub async fn blocks(State(emulator): State<Emulator>) -> Json<Value> {
    Json(emulator.inner.catalogue.clone())
}

#[derive(Deserialize)]
pub struct SkillCall {
    path: String,
    payload: Value,
}

/// `POST /dev/chat/skill`: calls one of this server's skills as Kakao would and judges the answer.
pub async fn skill(State(emulator): State<Emulator>, Json(call): Json<SkillCall>) -> Response {
    let inner = &emulator.inner;
    if !call.path.starts_with("/skill/") || call.path.contains("..") || call.path.contains('?') {
        return (StatusCode::BAD_REQUEST, "only /skill/… paths").into_response();
    }
    let mut request = inner
        .http
        .post(format!("{}{}", inner.own_url, call.path))
        .json(&call.payload);
    if let Some((name, value)) = &inner.secret {
        request = request.header(name, value.expose_secret());
    }
    let started = Instant::now();
    let (status, text) = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.text().await.unwrap_or_default())
        }
        Err(e) => (0, format!("no answer: {e}")),
    };
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let body: Option<Value> = serde_json::from_str(&text).ok();
    let verdict = judge(&call.path, status, body.as_ref());
    Json(json!({
        "status": status,
        "ms": (ms * 10.0).round() / 10.0,
        "body": body,
        "text": text,
        "verdict": verdict,
    }))
    .into_response()
}

/// What Kakao would make of an answer: the limit checker's findings, or why it is no answer at all.
fn judge(path: &str, status: u16, body: Option<&Value>) -> Value {
    let findings = match (status, body) {
        (200, Some(body)) if path.starts_with("/skill/validate/") => {
            kakao_skill::check::check_validation_response(body)
        }
        (200, Some(body)) => kakao_skill::check::check_skill_response(body),
        (200, None) => return json!({"ok": false, "violations": ["the answer is not JSON"]}),
        (status, _) => return json!({"ok": false, "violations": [format!("HTTP status {status}")]}),
    };
    match findings {
        Ok(()) => json!({"ok": true, "violations": []}),
        Err(violations) => {
            let listed: Vec<String> = violations.iter().map(ToString::to_string).collect();
            json!({"ok": false, "violations": listed})
        }
    }
}

/// `POST /dev/chat/photos`: keeps a picked photo where the server can download it, as from Kakao's CDN.
pub async fn upload(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let Some(kind) = ImageKind::sniff(&body) else {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "JPEG, PNG, WebP or GIF only").into_response();
    };
    let inner = &emulator.inner;
    let id = {
        let mut photos = inner.photos.lock().unwrap_or_else(|p| p.into_inner());
        photos.next += 1;
        let id = photos.next;
        photos.kept.push_back((id, kind, body));
        if photos.kept.len() > MAX_PHOTOS {
            photos.kept.pop_front();
        }
        id
    };
    let url = format!("{}/dev/chat/photos/{id}.{}", inner.own_url, kind.extension());
    Json(json!({ "url": url })).into_response()
}

/// `GET /dev/chat/photos/{name}`.
pub async fn photo(State(emulator): State<Emulator>, Path(name): Path<String>) -> Response {
    let wanted = name.split('.').next().and_then(|id| id.parse::<u64>().ok());
    let photos = emulator.inner.photos.lock().unwrap_or_else(|p| p.into_inner());
    match photos.kept.iter().find(|(id, _, _)| Some(*id) == wanted) {
        Some((_, kind, bytes)) => {
            ([(header::CONTENT_TYPE, kind.content_type())], bytes.clone()).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    user: String,
    #[serde(default)]
    after: u64,
}

/// `GET /dev/chat/notices?user=…&after=…`: what the Event API stand-in delivered to a user, and which
/// start of the server this is (sequence numbers begin again after a restart).
pub async fn notices(State(emulator): State<Emulator>, Query(query): Query<NoticeQuery>) -> Json<Value> {
    let standins = &emulator.inner.standins;
    let events = standins.notices_for(&query.user, query.after);
    Json(json!({ "boot": standins.boot(), "events": events }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_names_every_block_with_its_skill_and_questions() {
        let catalogue = catalogue(&Nav::default(), "bot");
        let blocks = catalogue["blocks"].as_array().unwrap();
        // `main` is Open Builder's own welcome block, with no skill; every other block has one.
        for block in Block::ALL.into_iter().filter(|b| *b != Block::Main) {
            assert!(
                blocks.iter().any(|b| b["key"] == block.key()),
                "{} is not in the catalogue",
                block.key()
            );
        }
        let join = blocks.iter().find(|b| b["key"] == "join").unwrap();
        assert_eq!(join["url"], "/skill/members/join");
        assert_eq!(join["params"][0]["validation"], "/skill/validate/name");
        assert_eq!(catalogue["fallback"]["url"], "/skill/chat");
        assert_eq!(catalogue["photo"]["url"], "/skill/chat/photo");
    }

    #[test]
    fn an_answer_is_judged_as_kakao_would() {
        let good = json!({"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "안녕"}}]}});
        assert_eq!(judge("/skill/chat", 200, Some(&good))["ok"], true);
        let long_label = json!({"version": "2.0", "template": {"outputs": [{"simpleText": {"text": "a"}}],
            "quickReplies": [{"label": "열다섯 글자를 넘는 아주 긴 라벨입니다", "action": "message", "messageText": "x"}]}});
        assert_eq!(judge("/skill/chat", 200, Some(&long_label))["ok"], false);
        assert_eq!(judge("/skill/chat", 500, None)["ok"], false);
        let validation = json!({"status": "SUCCESS", "value": "홍길동"});
        assert_eq!(judge("/skill/validate/name", 200, Some(&validation))["ok"], true);
    }
}
