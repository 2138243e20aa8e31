//! Test support: a fresh application on a fresh database (SQLite file or PostgreSQL schema), skill
//! payloads shaped like Kakao's, and calls that check every answer against the independent checker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use junggye::cache::Cache;
use junggye::config::Config;
use junggye::db::Db;
use junggye::kakao::Nav;
use junggye::router;
use junggye::state::AppState;
use kakao_skill::check::check_skill_response;
use serde_json::{Value, json};
use sqlx::postgres::PgConnectOptions;
use tower::ServiceExt;

/// The database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where the PostgreSQL tests connect; CI provides this server, and a test fails (never skips) without it.
pub fn postgres_url() -> String {
    std::env::var("TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A fresh database: a new SQLite file, or a new schema on the PostgreSQL test server.
pub struct TestDb {
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        Self::with_pool_size(backend, 8).await
    }

    pub async fn with_pool_size(backend: Backend, max_connections: u32) -> Self {
        let (db, dir) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                let db = Db::connect(&junggye::db::DatabaseUrl::new(&url), max_connections)
                    .await
                    .expect("open sqlite");
                (db, Some(dir))
            }
            Backend::Postgres => (fresh_postgres_schema(max_connections).await, None),
        };
        db.migrate().await.expect("migrations apply");
        Self { db, _dir: dir }
    }
}

/// Creates `t_<unix seconds>_<pid>_<n>` and connects with it as the search path. Schemas left by runs
/// more than an hour old are dropped first, so the test server does not fill up.
async fn fresh_postgres_schema(max_connections: u32) -> Db {
    let url = postgres_url();
    let admin = sqlx::PgPool::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {url} is required for these tests: {e}"));
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let stale: Vec<(String,)> = sqlx::query_as(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%' AND split_part(nspname, '_', 2) ~ '^[0-9]+$' \
         AND split_part(nspname, '_', 2)::bigint < $1",
    )
    .bind(now as i64 - 3600)
    .fetch_all(&admin)
    .await
    .unwrap();
    for (schema,) in stale {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"
        )))
        .execute(&admin)
        .await;
    }
    let schema = format!(
        "t_{now}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let options: PgConnectOptions = url.parse().unwrap();
    let options = options.options([("search_path", schema.as_str())]);
    Db::connect_postgres(options, max_connections)
        .await
        .expect("connect to test schema")
}

/// An application under test, called in-process.
pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    _db: TestDb,
    /// Where this app's images are stored (local storage); removed with the app.
    _image_dir: tempfile::TempDir,
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, |_| {}, router::skill_routes()).await
    }

    /// An app whose configuration `tweak` may change and whose skill routes are `skills`.
    pub async fn with(backend: Backend, tweak: impl FnOnce(&mut Config), skills: Router<AppState>) -> Self {
        let test_db = TestDb::new(backend).await;
        let image_dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(image_dir.path());
        tweak(&mut config);
        let state = AppState::from_parts(config, test_db.db.clone(), Cache::memory(), Nav::default())
            .expect("test state");
        let router = router::assemble(state.clone(), skills, None);
        Self {
            router,
            state,
            _db: test_db,
            _image_dir: image_dir,
        }
    }

    /// The same app with a block id for every block, so quick replies carry `extra` (cursors, ids) as
    /// they do in production; without ids they fall back to plain messages.
    pub fn with_all_block_ids(mut self) -> Self {
        let ids: String = junggye::kakao::Block::ALL
            .iter()
            .enumerate()
            .map(|(i, b)| format!("{} = \"block{i}\"\n", b.key()))
            .collect();
        self.state.nav = std::sync::Arc::new(Nav::parse(&ids).expect("valid blocks"));
        self.router = router::router(self.state.clone());
        self
    }

    /// Posts raw bytes with extra headers; returns the status and the body as JSON (or a string).
    pub async fn post_raw(&self, path: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> (StatusCode, Value) {
        let mut request = Request::post(path).header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    /// Posts a skill payload and asserts the answer is HTTP 200 with a SkillResponse Kakao accepts.
    pub async fn skill(&self, path: &str, payload: &Value) -> Reply {
        let (status, body) = self.post_raw(path, payload.to_string().into_bytes(), &[]).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_valid(&body);
        Reply(body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let response = self
            .router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }
}

/// The configuration tests start from: embedded defaults with images stored under `image_dir`.
pub fn test_config(image_dir: &std::path::Path) -> Config {
    let mut config = Config::for_tests("sqlite://unused.db");
    config.images.storage = junggye::config::ImageStorage::Local {
        dir: image_dir.to_path_buf(),
    };
    config
}

/// Fails the test with every violation when `body` is not a SkillResponse Kakao accepts.
pub fn assert_valid(body: &Value) {
    if let Err(violations) = check_skill_response(body) {
        let list: Vec<String> = violations.iter().map(ToString::to_string).collect();
        panic!("invalid SkillResponse:\n  {}\n{body:#}", list.join("\n  "));
    }
}

/// A skill answer, with accessors for what tests look at.
#[derive(Debug, Clone)]
pub struct Reply(pub Value);

impl Reply {
    /// All user-visible text of the answer, joined (titles, descriptions, texts, rows).
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        collect_text(&self.0["template"]["outputs"], &mut out);
        out.join("\n")
    }

    pub fn quick_reply_labels(&self) -> Vec<String> {
        self.0["template"]["quickReplies"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .map(|q| q["label"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn contains(&self, needle: &str) -> bool {
        self.text().contains(needle)
    }
}

fn collect_text(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("text" | "title" | "description", Value::String(s)) => out.push(s.clone()),
                    _ => collect_text(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_text(i, out)),
        _ => {}
    }
}

/// A skill payload shaped like Kakao's, for the user `user`.
pub struct Payload {
    value: Value,
}

pub fn payload(user: &str) -> Payload {
    Payload {
        value: json!({
            "intent": {"id": "intent-1", "name": "블록"},
            "userRequest": {
                "timezone": "Asia/Seoul",
                "params": {"ignoreMe": "true"},
                "block": {"id": "block-1", "name": "블록"},
                "utterance": "발화",
                "lang": "ko",
                "user": {
                    "id": user,
                    "type": "botUserKey",
                    "properties": {"plusfriendUserKey": format!("pf-{user}"), "isFriend": true}
                }
            },
            "bot": {"id": "bot-1", "name": "중계나라"},
            "action": {"id": "action-1", "name": "스킬", "params": {}, "detailParams": {}, "clientExtra": {}},
            "contexts": []
        }),
    }
}

impl Payload {
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.value["action"]["params"][name] = json!(value);
        self.value["action"]["detailParams"][name] =
            json!({"origin": value, "value": value, "groupName": ""});
        self
    }

    /// What the user said (typed, or a quick reply's `messageText`).
    pub fn says(mut self, text: &str) -> Self {
        self.value["userRequest"]["utterance"] = json!(text);
        self
    }

    pub fn extra(mut self, key: &str, value: &str) -> Self {
        self.value["action"]["clientExtra"][key] = json!(value);
        self
    }

    pub fn bot(mut self, id: &str) -> Self {
        self.value["bot"]["id"] = json!(id);
        self
    }

    pub fn build(self) -> Value {
        self.value
    }
}

/// Joins `user` as `name` with a valid phone number and asserts it worked.
pub async fn join(app: &TestApp, user: &str, name: &str) {
    let reply = app
        .skill(
            "/skill/members/join",
            &payload(user)
                .param("name", name)
                .param("phone", "010-1234-5678")
                .build(),
        )
        .await;
    assert!(reply.contains("환영"), "{user} could not join: {}", reply.text());
}

/// Declares one test per backend for each named `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

/// The `junggye` binary run in `dir` with nothing of the test's environment but `PATH`: a test names every
/// variable the process sees.
pub fn junggye_in(dir: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_junggye"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir);
    command
}

/// A port that was free a moment ago, for a server a test starts as a process.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits (blocking, up to 30 s) until something accepts connections on `port`.
pub fn wait_for_port(port: u16, what: &str) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "{what} did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// [`wait_for_port`] from async code.
pub async fn wait_for_port_async(port: u16, what: &str) {
    let what = what.to_owned();
    tokio::task::spawn_blocking(move || wait_for_port(port, &what))
        .await
        .unwrap();
}

/// Notifications on, as the notice tests need them; nothing is sent (no sender runs in these tests), so the
/// Event API's address is unused.
pub fn notify_settings() -> junggye::config::NotifySettings {
    junggye::config::NotifySettings {
        event_api: junggye::kakao_event::EventApiSettings {
            base_url: "http://127.0.0.1:9".into(),
            rest_api_key: secrecy::SecretString::from("test-rest-api-key".to_owned()),
            bot_id: "bot-1".into(),
            event_name: "market_notice".into(),
            timeout: std::time::Duration::from_secs(1),
        },
        daily_cap: 1_000,
        keyword_alerts_per_day: 10,
        recheck_after: std::time::Duration::from_secs(60),
        lease: std::time::Duration::from_secs(120),
        poll_every: std::time::Duration::from_secs(60),
        message_price_won: 0,
    }
}

/// The `messageText` a tap on the answer's first quick reply or button labelled `label` sends (in
/// conversation mode, the command that opens its block); fails the test when there is none.
pub fn tap(reply: &Reply, label: &str) -> String {
    fn walk(value: &Value, label: &str, found: &mut Option<String>) {
        match value {
            Value::Object(map) => {
                let named = map.get("label").and_then(|l| l.as_str()) == Some(label);
                if named && let Some(Value::String(text)) = map.get("messageText") {
                    found.get_or_insert_with(|| text.clone());
                }
                map.values().for_each(|v| walk(v, label, found));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, label, found)),
            _ => {}
        }
    }
    let mut found = None;
    walk(&reply.0, label, &mut found);
    found.unwrap_or_else(|| panic!("no '{label}' in {}", reply.0))
}
