//! The skill request log: what a skill call leaves in `skill_calls` (a pseudonym, never the user's key or
//! words), that a stuck writer costs skills nothing, the retention purge, the shutdown flush, and the
//! admin statistics.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use junggye::admin::accounts::Role;
use junggye::cache::Cache;
use junggye::clock::now_ms;
use junggye::db::Db;
use junggye::kakao::Nav;
use junggye::router;
use junggye::skill_log::{self, SkillCallRecord};
use junggye::state::AppState;
use serde_json::{Value, json};

use crate::admin_auth::{SECRET, account, admin_app, get, post, sign_in};
use crate::helpers::{Backend, TestApp, payload, test_config};
use crate::on_both_backends;

const DAY_MS: i64 = 86_400_000;

/// One row of `skill_calls`, without its id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    at_ms: i64,
    user_hash: String,
    route: String,
    block: String,
    outcome: String,
    latency_us: i64,
}

async fn rows(db: &Db) -> Vec<Row> {
    let rows: Vec<(i64, String, String, String, String, i64)> = junggye::dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT at_ms, user_hash, route, block, outcome, latency_us FROM skill_calls ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    rows.into_iter()
        .map(|(at_ms, user_hash, route, block, outcome, latency_us)| Row {
            at_ms,
            user_hash,
            route,
            block,
            outcome,
            latency_us,
        })
        .collect()
}

async fn count(db: &Db) -> u64 {
    rows(db).await.len() as u64
}

/// Polls until `done` holds for the rows, or fails after a few seconds.
async fn rows_when(db: &Db, what: &str, done: impl Fn(&[Row]) -> bool) -> Vec<Row> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let rows = rows(db).await;
        if done(&rows) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{what}; rows: {rows:#?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An app whose log writes within a few milliseconds.
async fn quick_app(backend: Backend) -> TestApp {
    TestApp::with(
        backend,
        |c| c.skill_log.flush_every = Duration::from_millis(20),
        router::skill_routes(),
    )
    .await
}

fn with_words(mut body: Value, block: &str, utterance: &str) -> Value {
    body["userRequest"]["block"]["name"] = json!(block);
    body["userRequest"]["utterance"] = json!(utterance);
    body
}

async fn skill_calls_are_logged_with_a_pseudonym_and_none_of_the_users_words(backend: Backend) {
    let app = quick_app(backend).await;
    let user = "raw-bot-user-key-4f7a9c";
    let join = payload(user)
        .param("name", "김비밀")
        .param("phone", "010-9876-5432")
        .build();
    let reply = app
        .skill(
            "/skill/members/join",
            &with_words(join, "회원가입", "가입할래요 010-9876-5432"),
        )
        .await;
    assert!(reply.contains("환영"), "{}", reply.text());
    let bad_phone = payload(user).param("phone", "12345-secret-digits").build();
    app.skill(
        "/skill/members/me/phone",
        &with_words(bad_phone, "연락처 변경", "바꿔줘"),
    )
    .await;
    app.skill("/skill/members/me", &payload("someone-else").build())
        .await;

    let rows = rows_when(&app.state.db, "three calls logged", |r| r.len() == 3).await;
    let pseudonym = app.state.skill_log.user_hash(user);
    assert_eq!(pseudonym.len(), 16);
    assert_ne!(pseudonym, app.state.skill_log.user_hash("someone-else"));
    let seen: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r.route.as_str(),
                r.block.as_str(),
                r.outcome.as_str(),
                r.user_hash.as_str(),
            )
        })
        .collect();
    let other = app.state.skill_log.user_hash("someone-else");
    assert_eq!(
        seen,
        [
            ("/skill/members/join", "회원가입", "ok", pseudonym.as_str()),
            (
                "/skill/members/me/phone",
                "연락처 변경",
                "invalid",
                pseudonym.as_str()
            ),
            ("/skill/members/me", "블록", "not_member", other.as_str()),
        ]
    );
    let now = now_ms();
    for row in &rows {
        assert!(row.latency_us > 0, "{row:?}");
        assert!(row.at_ms <= now && row.at_ms > now - 60_000, "{row:?}");
        // The text columns only: a timestamp or latency may contain any digits.
        let text = format!("{} {} {} {}", row.user_hash, row.route, row.block, row.outcome);
        for secret in [
            user,
            "4f7a9c",
            "김비밀",
            "9876",
            "5432",
            "secret-digits",
            "가입할래요",
            "바꿔줘",
            "발화",
        ] {
            assert!(!text.contains(secret), "`{secret}` stored: {text}");
        }
    }
    assert_eq!(app.state.skill_log.dropped(), 0);
}

/// Keeps the log's writer from writing: SQLite's write gate, or a lock on the table in PostgreSQL (reads
/// still pass).
enum Held<'a> {
    Gate(junggye::db::WriteTurn<'a>),
    Lock(sqlx::Transaction<'static, sqlx::Postgres>),
}

async fn hold_writer(db: &Db) -> Held<'_> {
    match db {
        Db::Sqlite(_, gate) => Held::Gate(gate.turn().await.unwrap()),
        Db::Postgres(pool) => {
            let mut tx = pool.begin().await.unwrap();
            sqlx::query("LOCK TABLE skill_calls IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .unwrap();
            Held::Lock(tx)
        }
    }
}

impl Held<'_> {
    async fn release(self) {
        match self {
            Self::Gate(turn) => drop(turn),
            Self::Lock(tx) => tx.rollback().await.unwrap(),
        }
    }
}

async fn a_full_queue_drops_and_counts_records_without_slowing_skills(backend: Backend) {
    const CAPACITY: usize = 2;
    const BATCH: usize = 2;
    const CALLS: u64 = 12;
    let app = TestApp::with(
        backend,
        |c| {
            c.skill_log.queue_capacity = CAPACITY;
            c.skill_log.batch_max = BATCH;
            c.skill_log.flush_every = Duration::from_millis(10);
        },
        router::skill_routes(),
    )
    .await;
    let db = &app.state.db;
    let held = hold_writer(db).await;
    let body = payload("u-busy").build();
    for _ in 0..CALLS {
        // A call that waited for the held writer would wait until the end of the test.
        let call = app.skill("/skill/members/me", &body);
        let reply = tokio::time::timeout(Duration::from_secs(2), call)
            .await
            .expect("a skill call never waits for the log");
        assert!(reply.contains("회원가입이 필요해요"), "{}", reply.text());
    }
    // The held writer has at most one batch in hand and the queue holds CAPACITY: the rest is dropped.
    let dropped = app.state.skill_log.dropped();
    assert!(dropped >= CALLS - (CAPACITY + BATCH) as u64, "dropped {dropped}");
    assert_eq!(count(db).await, 0, "nothing written while the writer is held");

    held.release().await;
    let rows = rows_when(db, "the accepted records written", |r| {
        r.len() as u64 + dropped == CALLS
    })
    .await;
    assert!(rows.iter().all(|r| r.outcome == "not_member"));
    assert_eq!(app.state.skill_log.dropped(), dropped);
    assert_eq!(app.state.skill_log.lost(), 0);
}

fn record(at_ms: i64, route: &str, outcome: &'static str, latency_us: i64) -> SkillCallRecord {
    SkillCallRecord {
        at_ms,
        user_hash: "0123456789abcdef".into(),
        route: route.into(),
        block: "블록".into(),
        outcome,
        latency_us,
    }
}

async fn the_purge_removes_rows_past_the_retention_and_keeps_the_rest(backend: Backend) {
    // This app's own purge (at start) must not race the seeded rows: it keeps ten years.
    let app = TestApp::with(
        backend,
        |c| c.skill_log.retention = Some(Duration::from_secs(3_650 * 86_400)),
        router::skill_routes(),
    )
    .await;
    let db = &app.state.db;
    let now = now_ms();
    let mut seeded: Vec<SkillCallRecord> = (0..5)
        .map(|i| record(now - 40 * DAY_MS - i, "/skill/old", "ok", 1_000))
        .collect();
    seeded.push(record(now - 31 * DAY_MS, "/skill/old", "ok", 1_000));
    seeded.push(record(now - 29 * DAY_MS, "/skill/new", "ok", 1_000));
    seeded.push(record(now - 1_000, "/skill/new", "ok", 1_000));
    skill_log::insert(db, &seeded).await.unwrap();

    // In chunks smaller than the work: every old row goes, none of the others.
    let purged = skill_log::purge_before(db, now - 30 * DAY_MS, 2).await.unwrap();
    assert_eq!(purged, 6);
    let kept: Vec<String> = rows(db).await.into_iter().map(|r| r.route).collect();
    assert_eq!(kept, ["/skill/new", "/skill/new"]);

    // A starting instance purges by its own retention at once.
    skill_log::insert(db, &[record(now - 36 * DAY_MS, "/skill/old", "ok", 1)])
        .await
        .unwrap();
    let image_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(image_dir.path());
    config.skill_log.retention = Some(Duration::from_secs(35 * 86_400));
    let _second = AppState::from_parts(config, db.clone(), Cache::memory(), Nav::default()).unwrap();
    let left = rows_when(db, "the 36-day-old row purged at start", |r| r.len() == 2).await;
    assert!(left.iter().all(|r| r.route == "/skill/new"), "{left:?}");
}

async fn turning_the_log_off_records_nothing_and_erases_what_was_kept(backend: Backend) {
    let app = TestApp::new(backend).await;
    let db = &app.state.db;
    skill_log::insert(db, &[record(now_ms() - 1_000, "/skill/kept", "ok", 1)])
        .await
        .unwrap();
    let image_dir = tempfile::tempdir().unwrap();
    let mut config = test_config(image_dir.path());
    config.skill_log.retention = None;
    config.jwt_secret = Some(SECRET.to_owned().into());
    let off = AppState::from_parts(config, db.clone(), Cache::memory(), Nav::default()).unwrap();
    assert!(!off.skill_log.enabled());
    rows_when(db, "the rows of the earlier run deleted", <[Row]>::is_empty).await;

    let router = router::router(off.clone());
    let answer = post("/skill/members/me", payload("u-off").build())
        .send(&router)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // Nothing was queued (an off log has no queue), so nothing can arrive later either.
    assert_eq!(count(db).await, 0);
    assert_eq!(off.skill_log.dropped(), 0);
    account(&app, "guest", Role::Viewer).await;
    let (viewer, _) = sign_in(&router, "guest").await;
    get("/admin/skill-calls/stats")
        .bearer(&viewer)
        .send(&router)
        .await
        .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

async fn shutdown_writes_what_the_writer_still_holds(backend: Backend) {
    let app = TestApp::with(
        backend,
        |c| c.skill_log.flush_every = Duration::from_secs(3_600),
        router::skill_routes(),
    )
    .await;
    app.skill("/skill/members/me", &payload("u-late").build()).await;
    assert_eq!(count(&app.state.db).await, 0, "held for the next batch");
    app.state.skill_log.shutdown(Duration::from_secs(5)).await;
    let rows = rows(&app.state.db).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].route, "/skill/members/me");
    // After shutdown records are refused and counted, and skills still answer.
    app.skill("/skill/members/me", &payload("u-late").build()).await;
    assert_eq!(app.state.skill_log.dropped(), 1);
}

/// A NUL in the user's key or the block name (PostgreSQL refuses NUL in text) is dropped where the payload
/// is read, so both databases answer and log the call alike.
async fn a_nul_in_the_payload_is_dropped_at_the_boundary_and_the_call_is_answered_and_logged(
    backend: Backend,
) {
    let app = TestApp::with(
        backend,
        |c| c.skill_log.flush_every = Duration::from_millis(10),
        router::skill_routes(),
    )
    .await;
    let mut body = payload("nul\0user")
        .param("name", "널\0문자")
        .param("phone", "010-1234-5678")
        .build();
    body["userRequest"]["block"]["name"] = json!("가입\0블록");
    let reply = app.skill("/skill/members/join", &body).await;
    assert!(reply.contains("환영"), "{}", reply.text());
    assert!(reply.contains("널문자"), "{}", reply.text());
    let same_user = app.skill("/skill/members/me", &payload("nuluser").build()).await;
    assert!(
        same_user.contains("널문자"),
        "the key without its NUL is the same member: {}",
        same_user.text()
    );

    let rows = rows_when(&app.state.db, "both calls logged", |rows| rows.len() == 2).await;
    assert_eq!(rows[0].block, "가입블록");
    assert_eq!(app.state.skill_log.lost(), 0);
}

/// A record the database refuses (here a NUL that only PostgreSQL refuses, written past the payload's
/// guard) costs only itself, never the batch it was written with.
async fn a_record_the_database_refuses_costs_only_itself(backend: Backend) {
    let app = TestApp::with(
        backend,
        |c| c.skill_log.flush_every = Duration::from_secs(3_600),
        router::skill_routes(),
    )
    .await;
    let log = &app.state.skill_log;
    let now = now_ms();
    for i in 0..20 {
        let mut entry = record(now + i, "/skill/a", "ok", 1_000);
        if i == 7 {
            entry.block = "나쁜\0블록".into();
        }
        log.record(entry);
    }
    log.shutdown(Duration::from_secs(5)).await;
    let stored = count(&app.state.db).await;
    match backend {
        Backend::Postgres => {
            assert_eq!((stored, log.lost()), (19, 1), "only the refused record is lost");
        }
        Backend::Sqlite => assert_eq!((stored, log.lost()), (20, 0)),
    }
}

async fn the_stats_give_calls_outcomes_and_percentiles_per_route(backend: Backend) {
    let app = admin_app(backend).await;
    account(&app, "guest", Role::Viewer).await;
    let (viewer, _) = sign_in(&app.router, "guest").await;
    let db = &app.state.db;
    let now = now_ms();
    let base = now - 3_600_000;
    // /skill/a: 1..=100 ms in shuffled order, ten of them refused; /skill/b: one call of 7 ms.
    let mut seeded: Vec<SkillCallRecord> = (1..=100)
        .map(|i| {
            let ms = (i * 37) % 100 + 1;
            let outcome = if ms % 10 == 0 { "invalid" } else { "ok" };
            record(base + i, "/skill/a", outcome, ms * 1_000)
        })
        .collect();
    seeded.push(record(base + 500, "/skill/b", "deadline", 7_000));
    // Two days old: outside the default range.
    seeded.push(record(now - 2 * DAY_MS, "/skill/a", "ok", 1_000_000));
    skill_log::insert(db, &seeded).await.unwrap();

    let day = get("/admin/skill-calls/stats")
        .bearer(&viewer)
        .send(&app.router)
        .await;
    assert_eq!(day.status, StatusCode::OK, "{}", day.body);
    let to = day.body["to"].as_i64().unwrap();
    assert!(
        to >= now && day.body["from"].as_i64().unwrap() == to - DAY_MS,
        "{}",
        day.body
    );
    assert_eq!(
        day.body["routes"],
        json!([
            {"route": "/skill/a", "calls": 100, "p50_ms": 50.0, "p99_ms": 99.0,
             "outcomes": {"invalid": 10, "ok": 90}},
            {"route": "/skill/b", "calls": 1, "p50_ms": 7.0, "p99_ms": 7.0,
             "outcomes": {"deadline": 1}},
        ])
    );
    assert_eq!(day.body["dropped"], 0);

    // Three days, from given as RFC 3339: the old call is in; `to` is exclusive, so /skill/b is out.
    let from = time::OffsetDateTime::from_unix_timestamp((now - 3 * DAY_MS) / 1_000)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let path = format!("/admin/skill-calls/stats?from={from}&to={}", base + 500);
    let wide = get(&path).bearer(&viewer).send(&app.router).await;
    assert_eq!(wide.status, StatusCode::OK, "{}", wide.body);
    let routes = wide.body["routes"].as_array().unwrap();
    assert_eq!(routes.len(), 1, "{}", wide.body);
    assert_eq!(
        (&routes[0]["calls"], &routes[0]["p50_ms"], &routes[0]["p99_ms"]),
        (&json!(101), &json!(51.0), &json!(100.0))
    );

    get("/admin/skill-calls/stats")
        .send(&app.router)
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthenticated");
    let reversed = format!("/admin/skill-calls/stats?from={}&to={}", now, now - 1);
    let refused = get(&reversed).bearer(&viewer).send(&app.router).await;
    refused.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    assert_eq!(refused.body["errors"][0]["field"], "from");
    get("/admin/skill-calls/stats?to=soon")
        .bearer(&viewer)
        .send(&app.router)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
}

on_both_backends!(
    skill_calls_are_logged_with_a_pseudonym_and_none_of_the_users_words,
    a_full_queue_drops_and_counts_records_without_slowing_skills,
    the_purge_removes_rows_past_the_retention_and_keeps_the_rest,
    turning_the_log_off_records_nothing_and_erases_what_was_kept,
    shutdown_writes_what_the_writer_still_holds,
    the_stats_give_calls_outcomes_and_percentiles_per_route,
    a_nul_in_the_payload_is_dropped_at_the_boundary_and_the_call_is_answered_and_logged,
    a_record_the_database_refuses_costs_only_itself,
);
