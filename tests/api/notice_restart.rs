//! Killing the server between a change's commit and its notice's send, black-box on both databases: the
//! real binary (killed with SIGKILL mid-send, then started again on the same database) and the fake Event
//! API. A notice that never left is sent after the restart; a notice Kakao took and showed before the kill
//! is not sent again. Either way the member hears of the change exactly once.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use junggye::db::{DatabaseUrl, Db};
use junggye::products::{Category, ProductStatus};
use serde_json::Value;

use crate::fake_event_api::{BOT, EVENT, FakeEventApi, Fault, KEY, Message};
use crate::helpers::{Backend, assert_valid, free_port, junggye_in, payload, wait_for_port_async};
use crate::on_both_backends;
use crate::products::seed_product;

on_both_backends!(a_notice_cut_off_by_a_kill_reaches_its_member_once_after_restart);

/// How long a sender's claim holds (`NOTIFY_LEASE_SECS`): a killed sender's rows return after it.
const LEASE_SECS: u64 = 3;
/// How long an Event API call may take (`KAKAO_EVENT_TIMEOUT_MS`): longer than the kill takes.
const CALL_TIMEOUT_MS: u64 = 1_500;

/// A server process, killed with SIGKILL when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `junggye serve` on `database_url` with notices sent to `fake`, its log in `dir/{name}.log`.
    async fn start(dir: &Path, name: &str, database_url: &str, fake: &FakeEventApi) -> Self {
        let port = free_port();
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
        let child = junggye_in(dir)
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("METRICS_ADDR", "127.0.0.1:0")
            .env("DATABASE_URL", database_url)
            .env("IMAGE_DIR", dir.join("images"))
            .env("DEALS_ENABLED", "false")
            .env("KAKAO_REST_API_KEY", KEY)
            .env("KAKAO_BOT_ID", BOT)
            .env("KAKAO_EVENT_NAME", EVENT)
            .env("KAKAO_EVENT_BASE_URL", &fake.base_url)
            .env("KAKAO_EVENT_TIMEOUT_MS", CALL_TIMEOUT_MS.to_string())
            .env("NOTIFY_LEASE_SECS", LEASE_SECS.to_string())
            .env("NOTIFY_RECHECK_SECS", "1")
            .env("NOTIFY_POLL_MS", "100")
            .env("RUST_LOG", "info")
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_for_port_async(port, name).await;
        Self { child, port }
    }

    /// SIGKILL: no drain, no clean-up; whatever the process was doing stops there.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    async fn skill(&self, path: &str, body: &Value) -> String {
        let reply: Value = reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}{path}", self.port))
            .json(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_valid(&reply);
        reply.to_string()
    }
}

/// The database both processes use: a SQLite file in `dir`, or a new PostgreSQL database.
async fn database(backend: Backend, dir: &Path) -> (String, Option<String>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}", dir.join("market.db").display()), None),
        Backend::Postgres => {
            let (url, name) = crate::nginx::fresh_database().await;
            (url, Some(name))
        }
    }
}

/// Waits until `done` holds for the fake's messages, or fails after `within`.
async fn wait_for(fake: &FakeEventApi, within: Duration, what: &str, done: impl Fn(&[Message]) -> bool) {
    let start = Instant::now();
    while !done(&fake.messages()) {
        assert!(start.elapsed() < within, "{what}: not within {within:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn states(db: &Db) -> Vec<(String, String)> {
    junggye::dispatch!(db, pool => {
        sqlx::query_as("SELECT kind, state FROM notifications ORDER BY id").fetch_all(pool).await.unwrap()
    })
}

fn price_change(product: i64, seen: &str, price: &str) -> Value {
    payload("seller")
        .extra("productId", &product.to_string())
        .extra("seenPrice", seen)
        .param("price", price)
        .build()
}

async fn a_notice_cut_off_by_a_kill_reaches_its_member_once_after_restart(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let (url, pg_name) = database(backend, dir.path()).await;
    let fake = FakeEventApi::start().await;

    // A seller's product, saved by a member who takes alerts at any hour (so the test runs at night too).
    let first = Server::start(dir.path(), "first", &url, &fake).await;
    for (user, name) in [("seller", "판매자"), ("saver", "찜한사람")] {
        let body = payload(user)
            .param("name", name)
            .param("phone", "010-1234-5678")
            .build();
        assert!(first.skill("/skill/members/join", &body).await.contains("환영"));
    }
    let db = Db::connect(&DatabaseUrl::new(&url), 1).await.unwrap();
    let product = seed_product(&db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    let save = payload("saver").extra("productId", &product.to_string()).build();
    first.skill("/skill/favourites/add", &save).await;
    let night = payload("saver").extra("set", "night_on").build();
    first.skill("/skill/notifications/settings", &night).await;

    // 1. Kakao hangs on the send of a price drop's alert, and the server is killed while it waits: the
    //    change is committed, its notice handed to nobody.
    fake.fail_next(Fault::Hang);
    let changed = first
        .skill("/skill/products/price", &price_change(product, "15000", "12000"))
        .await;
    assert!(changed.contains("12,000원"), "{changed}");
    let start = Instant::now();
    while fake.calls() == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the sender never called Kakao"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    assert!(fake.messages().is_empty(), "the hung call took nothing");
    assert_eq!(states(&db).await, [("price_drop".into(), "sending".into())]);

    // After a restart the notice goes once its claim has run out, and Kakao shows it.
    let second = Server::start(dir.path(), "second", &url, &fake).await;
    let within = Duration::from_secs(LEASE_SECS + 15);
    wait_for(&fake, within, "the cut-off notice after restart", |m| {
        !m.is_empty()
    })
    .await;
    let sent = fake.messages()[0].clone();
    assert_eq!(sent.users, ["saver"]);
    let event = payload("saver").param("batch", &sent.batch).build();
    let shown = second.skill("/skill/notifications/event", &event).await;
    assert!(shown.contains("자전거") && shown.contains("12,000원"), "{shown}");

    // 2. Kakao takes the next alert, shows it, and its answer is lost in the kill: after the restart the
    //    notice is known to have shown and is not sent again.
    fake.fail_next(Fault::LoseAnswer);
    second
        .skill("/skill/products/price", &price_change(product, "12000", "10000"))
        .await;
    wait_for(&fake, Duration::from_secs(10), "the second notice", |m| {
        m.len() == 2
    })
    .await;
    second.kill();
    let lost = fake.messages()[1].clone();
    let third = Server::start(dir.path(), "third", &url, &fake).await;
    let event = payload("saver").param("batch", &lost.batch).build();
    let shown = third.skill("/skill/notifications/event", &event).await;
    assert!(shown.contains("10,000원"), "{shown}");
    // Past the claim and the recheck, nothing more goes out.
    tokio::time::sleep(Duration::from_secs(LEASE_SECS + 3)).await;
    let messages = fake.messages();
    assert_eq!(messages.len(), 2, "each notice sent once: {messages:?}");
    assert_eq!(
        states(&db).await,
        [
            ("price_drop".into(), "delivered".into()),
            ("price_drop".into(), "delivered".into())
        ]
    );

    drop(third);
    db.close().await;
    if let Some(name) = pg_name {
        crate::nginx::drop_database(&name).await;
    }
}
