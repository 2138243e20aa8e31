//! A client for Kakao's Event API: the bot speaks first.
//!
//! `POST {base}/v2/bots/{botId}/talk` with `Authorization: KakaoAK {REST API key}` and
//! `{"event": {"name", "data"}, "user": [{"type": "botUserKey", "id"}], "params"}` runs the event block
//! named `event.name` for up to 100 users (no user twice). The answer `{"taskId", "status": "SUCCESS"}`
//! means the job was *accepted*; what reached whom shows only in the task's result,
//! `GET {base}/v1/tasks/{taskId}` → `{"status", "allRequestCount", "successCount", "fail": {"count",
//! "list": [{"userId", "errorMsg"}]}}`. Every message costs money (15원), so nothing here retries: the
//! sender decides from the [`SendOutcome`], which says what the caller may assume.
//!
//! The event's `data` and `params` carry the same small map (`{"batch": "…"}`): Kakao hands block
//! parameters to the skill connected to the event block, and the data to the block's own text; the skill
//! finds the notice by its batch and the user.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Kakao's limit on users per call.
pub const MAX_USERS: usize = 100;
/// Connecting never takes more than this of a call's time.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest reason kept from an error body (it is stored with the notice).
const REASON_MAX_CHARS: usize = 300;

/// How to reach the Event API (from `KAKAO_REST_API_KEY`, `KAKAO_BOT_ID`, `KAKAO_EVENT_*`).
#[derive(Clone)]
pub struct EventApiSettings {
    /// Scheme and host, `https://bot-api.kakao.com` (tests point it at a fake).
    pub base_url: String,
    pub rest_api_key: SecretString,
    /// The bot's id as Kakao's admin center shows it; a development channel's ends in `!`.
    pub bot_id: String,
    /// The name of the operator's event block.
    pub event_name: String,
    /// Total time for one call.
    pub timeout: Duration,
}

impl fmt::Debug for EventApiSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventApiSettings")
            .field("base_url", &self.base_url)
            .field("rest_api_key", &"[redacted]")
            .field("bot_id", &self.bot_id)
            .field("event_name", &self.event_name)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The client; clones share one connection pool.
#[derive(Clone)]
pub struct EventApi {
    http: reqwest::Client,
    talk_url: String,
    tasks_url: String,
    auth: HeaderValue,
    event_name: String,
}

impl fmt::Debug for EventApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventApi")
            .field("talk_url", &self.talk_url)
            .finish_non_exhaustive()
    }
}

/// What a send did, sorted by what the caller may assume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendOutcome {
    /// Kakao took the job; its result is read with [`EventApi::task`].
    Accepted { task_id: String },
    /// Kakao refused the request (4xx, or an answer that is not SUCCESS): sending it again would be
    /// refused again.
    Refused { reason: String },
    /// Nothing was sent (no connection), or Kakao answered 5xx/429 (it did not take the job): try again
    /// later.
    Unavailable { reason: String },
    /// The request went out and no trustworthy answer came back (a timeout, a connection lost after
    /// sending, an unreadable 2xx): Kakao may have the job. Do not send again before finding out.
    Unsure { reason: String },
}

/// A task's result, as far as Kakao knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TaskResult {
    /// Still being delivered; ask again later.
    Running,
    /// Done: these users were not reached (user id, Kakao's reason); everyone else was.
    Done { failed: Vec<(String, String)> },
    /// The result cannot be read now (network, 5xx, an unknown task); ask again later.
    Unknown { reason: String },
}

#[derive(Serialize)]
struct TalkBody<'a> {
    event: Event<'a>,
    user: Vec<User<'a>>,
    params: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Event<'a> {
    name: &'a str,
    data: &'a serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct User<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: &'a str,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TalkAnswer {
    task_id: Option<String>,
    status: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TaskAnswer {
    status: Option<String>,
    #[serde(default)]
    fail: Option<Failures>,
}

#[derive(Deserialize)]
struct Failures {
    #[serde(default)]
    list: Vec<Failure>,
}

#[derive(Deserialize)]
struct Failure {
    #[serde(alias = "userID", alias = "userId", alias = "id", default)]
    user_id: String,
    #[serde(alias = "errorMsg", alias = "message", default)]
    error_msg: String,
}

/// A send that cannot be made as asked (a bug of the caller's, caught before anything goes out).
#[derive(Debug, thiserror::Error)]
#[error("event API: {0}")]
pub struct InvalidSend(pub &'static str);

impl EventApi {
    pub fn new(settings: &EventApiSettings) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("junggye/", env!("CARGO_PKG_VERSION"), " (event-api)"))
            .connect_timeout(settings.timeout.min(MAX_CONNECT_TIMEOUT))
            .timeout(settings.timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        let mut auth = HeaderValue::from_str(&format!("KakaoAK {}", settings.rest_api_key.expose_secret()))
            .map_err(|_| "KAKAO_REST_API_KEY: not a valid header value".to_owned())?;
        auth.set_sensitive(true);
        let base = settings.base_url.trim_end_matches('/');
        Ok(Self {
            http,
            talk_url: format!("{base}/v2/bots/{}/talk", settings.bot_id),
            tasks_url: format!("{base}/v1/tasks/"),
            auth,
            event_name: settings.event_name.clone(),
        })
    }

    /// Runs the event block for `users` (botUserKeys: 1 to [`MAX_USERS`], no duplicates) with `data` as
    /// both the event's data and its params.
    pub async fn send(
        &self,
        users: &[&str],
        data: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<SendOutcome, InvalidSend> {
        if users.is_empty() || users.len() > MAX_USERS {
            return Err(InvalidSend("between 1 and 100 users per call"));
        }
        let mut seen = std::collections::HashSet::new();
        if !users.iter().all(|u| seen.insert(*u)) {
            return Err(InvalidSend("a user appears twice"));
        }
        let body = TalkBody {
            event: Event {
                name: &self.event_name,
                data,
            },
            user: users
                .iter()
                .map(|id| User {
                    kind: "botUserKey",
                    id,
                })
                .collect(),
            params: data,
        };
        let sent = self
            .http
            .post(&self.talk_url)
            .header(AUTHORIZATION, self.auth.clone())
            .json(&body)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) if e.is_connect() => {
                return Ok(SendOutcome::Unavailable {
                    reason: format!("cannot connect: {e}"),
                });
            }
            Err(e) => {
                return Ok(SendOutcome::Unsure {
                    reason: format!("no answer: {e}"),
                });
            }
        };
        let status = response.status();
        let text = match response.text().await {
            Ok(text) => text,
            Err(e) if status.is_success() => {
                return Ok(SendOutcome::Unsure {
                    reason: format!("answer lost: {e}"),
                });
            }
            Err(_) => String::new(),
        };
        Ok(classify_send(status, &text))
    }

    /// What became of task `task_id`.
    pub async fn task(&self, task_id: &str) -> TaskResult {
        let url = format!("{}{}", self.tasks_url, urlencoding(task_id));
        let answer = self
            .http
            .get(url)
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await;
        let response = match answer {
            Ok(response) => response,
            Err(e) => {
                return TaskResult::Unknown {
                    reason: e.to_string(),
                };
            }
        };
        let status = response.status();
        if !status.is_success() {
            return TaskResult::Unknown {
                reason: format!("HTTP {}", status.as_u16()),
            };
        }
        match response.json::<TaskAnswer>().await {
            Ok(task) => classify_task(task),
            Err(e) => TaskResult::Unknown {
                reason: e.to_string(),
            },
        }
    }
}

/// Task ids are UUIDs; anything else is percent-encoded rather than trusted into a path.
fn urlencoding(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn shorten(text: &str) -> String {
    text.chars().take(REASON_MAX_CHARS).collect()
}

fn classify_send(status: StatusCode, text: &str) -> SendOutcome {
    if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        return SendOutcome::Unavailable {
            reason: format!("HTTP {}: {}", status.as_u16(), shorten(text)),
        };
    }
    if !status.is_success() {
        return SendOutcome::Refused {
            reason: format!("HTTP {}: {}", status.as_u16(), shorten(text)),
        };
    }
    match serde_json::from_str::<TalkAnswer>(text) {
        Ok(TalkAnswer {
            task_id: Some(task_id),
            status: Some(s),
            ..
        }) if s == "SUCCESS" && !task_id.is_empty() => SendOutcome::Accepted { task_id },
        Ok(answer) => SendOutcome::Refused {
            reason: format!(
                "{}: {}",
                answer.status.as_deref().unwrap_or("no status"),
                shorten(answer.message.as_deref().unwrap_or(text))
            ),
        },
        Err(_) => SendOutcome::Unsure {
            reason: format!("unreadable answer: {}", shorten(text)),
        },
    }
}

fn classify_task(task: TaskAnswer) -> TaskResult {
    let status = task.status.unwrap_or_default();
    // Kakao's statuses: "ALL SUCCESS", "PARTIAL SUCCESS", "FAIL" (finished), anything else still running.
    let finished = status.contains("SUCCESS") || status == "FAIL" || status == "ALL FAIL";
    if !finished {
        return TaskResult::Running;
    }
    TaskResult::Done {
        failed: task
            .fail
            .map(|f| {
                f.list
                    .into_iter()
                    .map(|x| (x.user_id, shorten(&x.error_msg)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sends_are_sorted_by_what_the_caller_may_assume() {
        let ok = r#"{"taskId":"5f767a00","status":"SUCCESS","timestamp":1}"#;
        assert_eq!(
            classify_send(StatusCode::OK, ok),
            SendOutcome::Accepted {
                task_id: "5f767a00".into()
            }
        );
        assert!(matches!(
            classify_send(StatusCode::OK, r#"{"status":"FAIL","message":"no such event"}"#),
            SendOutcome::Refused { .. }
        ));
        assert!(matches!(
            classify_send(StatusCode::BAD_REQUEST, "{}"),
            SendOutcome::Refused { .. }
        ));
        assert!(matches!(
            classify_send(StatusCode::UNAUTHORIZED, "{}"),
            SendOutcome::Refused { .. }
        ));
        assert!(matches!(
            classify_send(StatusCode::BAD_GATEWAY, ""),
            SendOutcome::Unavailable { .. }
        ));
        assert!(matches!(
            classify_send(StatusCode::TOO_MANY_REQUESTS, ""),
            SendOutcome::Unavailable { .. }
        ));
        assert!(matches!(
            classify_send(StatusCode::OK, "<html>"),
            SendOutcome::Unsure { .. }
        ));
    }

    #[test]
    fn task_results_name_the_users_not_reached() {
        let done: TaskAnswer = serde_json::from_str(
            r#"{"taskId":"t","status":"PARTIAL SUCCESS","allRequestCount":2,"successCount":1,
                "fail":{"count":1,"list":[{"userId":"u2","errorMsg":"blocked the channel"}]}}"#,
        )
        .unwrap();
        assert_eq!(
            classify_task(done),
            TaskResult::Done {
                failed: vec![("u2".into(), "blocked the channel".into())]
            }
        );
        let running: TaskAnswer = serde_json::from_str(r#"{"taskId":"t","status":"PROCESSING"}"#).unwrap();
        assert_eq!(classify_task(running), TaskResult::Running);
    }

    #[test]
    fn task_ids_cannot_escape_the_path() {
        assert_eq!(urlencoding("5f76-a0"), "5f76-a0");
        assert_eq!(urlencoding("../x?y"), "..%2Fx%3Fy");
    }
}
