//! What notices cost, over real HTTP, in one run, against the fake Event API of the test suite:
//!
//! 1. **The outbox on a state change.** The order skills of flow B (운송장 입력 → 구매확정 → 판매확정) on
//!    fresh paid orders, with notifications off, on (each change also writes its notice in the same
//!    transaction), and on with the sender running beside them (sending to the fake), in alternating
//!    rounds; beside a bare handler driven by the same client at the same concurrency.
//! 2. **The sender.** `NOTICES` queued trade notices to as many members, sent to the fake (≤ 100 users a
//!    call): notices per second.
//! 3. **The event block's skill**, which Kakao calls for each user a send reaches: p50/p99.
//!
//! `BACKEND=sqlite|postgres ORDERS=400 ROUNDS=3 CONCURRENCY=16 NOTICES=20000 \
//!  cargo run --release --example notice_bench`

#[path = "../tests/api/fake_event_api.rs"]
mod fake_event_api;
mod support;

use std::sync::Arc;
use std::time::Instant;

use junggye::cache::Cache;
use junggye::clock::now_ms;
use junggye::config::Config;
use junggye::db::{BeginWrite, Db};
use junggye::kakao::Nav;
use junggye::notifications::{Sender, State};
use junggye::state::AppState;
use junggye::{http_server, router};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use fake_event_api::FakeEventApi;
use support::{Timings, bare_handler, connect, drive, report};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A skill request as Open Builder sends it: the user, the block's parameters and the button's extras.
fn skill_body(user: &str, params: &[(&str, &str)], extras: &[(&str, &str)]) -> Value {
    let params: serde_json::Map<String, Value> =
        params.iter().map(|(k, v)| ((*k).into(), json!(v))).collect();
    let detail: serde_json::Map<String, Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), json!({"origin": v, "value": v, "groupName": ""})))
        .collect();
    let extras: serde_json::Map<String, Value> =
        extras.iter().map(|(k, v)| ((*k).into(), json!(v))).collect();
    json!({
        "intent": {"id": "intent-1", "name": "블록"},
        "userRequest": {
            "timezone": "Asia/Seoul", "params": {}, "block": {"id": "block-1", "name": "블록"},
            "utterance": "발화", "lang": "ko",
            "user": {"id": user, "type": "botUserKey", "properties": {"plusfriendUserKey": format!("pf-{user}")}}
        },
        "bot": {"id": "bot-1", "name": "중계나라"},
        "action": {"id": "action-1", "name": "스킬", "params": params, "detailParams": detail, "clientExtra": extras},
        "contexts": []
    })
}

/// Serves `state` on a new listener; returns its base URL.
async fn serve(state: AppState) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(http_server::serve(
        listener,
        router::router(state),
        std::future::pending(),
    ));
    base
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = std::env::var("BACKEND").unwrap_or_else(|_| "sqlite".into());
    let orders_per_round = env_or("ORDERS", 400);
    let rounds = env_or("ROUNDS", 3);
    let concurrency = env_or("CONCURRENCY", 16);
    let notices = env_or("NOTICES", 20_000);

    let fake = FakeEventApi::start().await;
    let dir = tempfile::tempdir()?;
    let db = connect(&backend, dir.path()).await?;
    let pairs = seed_traders(&db, concurrency).await?;

    let off = AppState::from_parts(
        Config::for_tests("sqlite://unused.db"),
        db.clone(),
        Cache::memory(),
        Nav::default(),
    )?;
    let mut config = Config::for_tests("sqlite://unused.db");
    let mut settings = fake.settings();
    settings.poll_every = std::time::Duration::from_millis(100);
    config.notify = Some(settings.clone());
    let on = AppState::from_parts(config, db.clone(), Cache::memory(), Nav::default())?;
    let sender = Sender::new(&settings, db.clone(), on.outbox.clone())?;
    let (off_url, on_url) = (serve(off).await, serve(on).await);
    let ceiling_url = bare_handler().await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    println!("backend={backend} concurrency={concurrency} rounds={rounds} orders/round={orders_per_round}");
    println!("1. Order skills, notifications off / on / on with the sender running, beside a bare handler:");
    let mut results: [[Timings; 3]; 3] = Default::default();
    let mut ceiling = (Vec::new(), Timings::default());
    for round in 0..rounds {
        for (mode, url) in [(0, &off_url), (1, &on_url), (2, &on_url)] {
            let sending = (mode == 2).then(|| sender.clone().spawn());
            let orders = seed_paid_orders(&db, &pairs, orders_per_round, &format!("{round}-{mode}")).await?;
            let times = run_orders(&http, url, orders).await;
            for (total, part) in results[mode].iter_mut().zip(times) {
                total.extend(part);
            }
            if let Some(sending) = sending {
                sending.abort();
            }
            let body = skill_body("ceiling", &[], &[]);
            let (rps, times) = drive(&http, &ceiling_url, &body, 3 * orders_per_round, concurrency).await;
            ceiling.0.push(rps);
            ceiling.1.extend(times);
        }
    }
    for (mode, name) in [(0, "off"), (1, "on, sender stopped"), (2, "on, sender running")] {
        for (skill, times) in ["tracking", "confirm-purchase", "confirm-sale"]
            .iter()
            .zip(&mut results[mode])
        {
            report(&format!("notifications {name}: /skill/orders/{skill}"), times);
        }
    }
    ceiling.0.sort_by(f64::total_cmp);
    report(
        &format!(
            "bare handler ({:.0} req/s median)",
            ceiling.0[ceiling.0.len() / 2]
        ),
        &mut ceiling.1,
    );
    let written = count(&db, "SELECT COUNT(*) FROM notifications").await?;
    println!(
        "  notices written by the 'on' rounds: {written} (one per step: tracking → the buyer, 구매확정 → the seller, 판매확정 → the buyer)"
    );

    println!("2. The sender: {notices} queued trade notices to {notices} members");
    clear_notices(&db).await?;
    let calls_before = fake.calls();
    seed_notices(&db, notices).await?;
    let started = Instant::now();
    let mut sent = 0;
    loop {
        let report = sender.pass_at(now_ms()).await?;
        if report.accepted == 0 {
            break;
        }
        sent += report.accepted;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "  {sent} notices in {:.2} s: {:.0} notices/s, {} Event API calls",
        elapsed,
        sent as f64 / elapsed,
        fake.calls() - calls_before
    );

    println!("3. The event block's skill, called by Kakao for each user reached:");
    let shown = show_notices(&http, &on_url, &fake, concurrency, notices.min(5_000)).await;
    let (mut event_times, failures) = shown;
    report("/skill/notifications/event", &mut event_times);
    assert_eq!(failures, 0, "the event skill failed to render a sent notice");
    let body = skill_body("ceiling", &[], &[]);
    let (rps, mut times) = drive(&http, &ceiling_url, &body, event_times.len(), concurrency).await;
    report(&format!("bare handler ({rps:.0} req/s)"), &mut times);
    Ok(())
}

/// `pairs` sellers and buyers (`seller{i}`, `buyer{i}`): each worker trades within its own pair, so no two
/// workers wait on one member's row.
async fn seed_traders(db: &Db, pairs: usize) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    let keys: Vec<String> = (0..pairs)
        .flat_map(|i| [format!("seller{i}"), format!("buyer{i}")])
        .collect();
    let ids = seed_members(db, &keys).await?;
    Ok(ids.chunks(2).map(|pair| (pair[0], pair[1])).collect())
}

async fn seed_members(db: &Db, keys: &[String]) -> Result<Vec<i64>, sqlx::Error> {
    let now = now_ms();
    junggye::dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut ids = Vec::new();
        for key in keys {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO members (user_key, name, phone, created_at, updated_at) \
                 VALUES ($1, $1, '01012345678', $2, $2) RETURNING id",
            )
            .bind(key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            ids.push(id);
        }
        tx.commit().await?;
        Ok(ids)
    })
}

/// One paid order (its product awaiting completion) per trade, spread over the pairs; returns
/// (pair index, order id).
async fn seed_paid_orders(
    db: &Db,
    pairs: &[(i64, i64)],
    orders: usize,
    tag: &str,
) -> Result<Vec<(usize, i64)>, sqlx::Error> {
    let now = now_ms();
    junggye::dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut made = Vec::new();
        for i in 0..orders {
            let pair = i % pairs.len();
            let (seller, buyer) = pairs[pair];
            let product: i64 = sqlx::query_scalar(
                "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, \
                                       search_text, status, created_at, updated_at, listed_at) \
                 VALUES ($1, $2, 15000, '벤치마크', 'digital', '강남역', 'https://open.kakao.com/o/bench', $2, \
                         'awaiting_completion', $3, $3, $3) RETURNING id",
            )
            .bind(seller)
            .bind(format!("상품 {tag}-{i}"))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let order: i64 = sqlx::query_scalar(
                "INSERT INTO orders (reference, link_nonce, product_id, buyer_id, seller_id, item_name, amount, \
                                     status, tid, hold_expires_at, created_at, updated_at, paid_at) \
                 VALUES ($1, $1, $2, $3, $4, $5, 15000, 'paid', $1, $6, $6, $6, $6) RETURNING id",
            )
            .bind(format!("bench-{tag}-{i}"))
            .bind(product)
            .bind(buyer)
            .bind(seller)
            .bind(format!("상품 {tag}-{i}"))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            made.push((pair, order));
        }
        tx.commit().await?;
        Ok(made)
    })
}

/// Each worker takes its pair's orders through tracking → confirm-purchase → confirm-sale; returns the
/// latencies of each step.
async fn run_orders(http: &reqwest::Client, base: &str, orders: Vec<(usize, i64)>) -> [Timings; 3] {
    let queue = Arc::new(Mutex::new(orders));
    let pairs = queue
        .lock()
        .await
        .iter()
        .map(|(p, _)| *p)
        .max()
        .map_or(0, |m| m + 1);
    let mut workers = Vec::new();
    for pair in 0..pairs {
        let (http, base, queue) = (http.clone(), base.to_owned(), queue.clone());
        workers.push(tokio::spawn(async move {
            let mut times: [Timings; 3] = Default::default();
            loop {
                let next = {
                    let mut queue = queue.lock().await;
                    let at = queue.iter().position(|(p, _)| *p == pair);
                    at.map(|i| queue.swap_remove(i).1)
                };
                let Some(order) = next else { break };
                let order = order.to_string();
                let (seller, buyer) = (format!("seller{pair}"), format!("buyer{pair}"));
                let steps = [
                    (
                        "tracking",
                        skill_body(
                            &seller,
                            &[("trackingNumber", "123456789012")],
                            &[("orderId", &order)],
                        ),
                        "저장했어요",
                    ),
                    (
                        "confirm-purchase",
                        skill_body(&buyer, &[], &[("orderId", &order), ("confirm", "yes")]),
                        "구매확정했어요",
                    ),
                    (
                        "confirm-sale",
                        skill_body(&seller, &[], &[("orderId", &order), ("confirm", "yes")]),
                        "판매확정했어요",
                    ),
                ];
                for (i, (skill, body, done)) in steps.into_iter().enumerate() {
                    let t = Instant::now();
                    let reply = http
                        .post(format!("{base}/skill/orders/{skill}"))
                        .json(&body)
                        .send()
                        .await
                        .expect("skill")
                        .text()
                        .await
                        .expect("reply");
                    times[i].push(t.elapsed());
                    assert!(reply.contains(done), "{skill} on order {order}: {reply}");
                }
            }
            times
        }));
    }
    let mut all: [Timings; 3] = Default::default();
    for worker in workers {
        for (total, part) in all.iter_mut().zip(worker.await.expect("worker")) {
            total.extend(part);
        }
    }
    all
}

async fn count(db: &Db, sql: &'static str) -> Result<i64, sqlx::Error> {
    junggye::dispatch!(db, pool => { sqlx::query_scalar(sql).fetch_one(pool).await })
}

async fn clear_notices(db: &Db) -> Result<(), sqlx::Error> {
    junggye::dispatch!(db, pool => {
        sqlx::query("DELETE FROM notifications").execute(pool).await.map(drop)
    })
}

/// `n` members (`n{i}`), each with one queued trade notice (trade notices are never held, so the pass
/// sends them whatever the hour).
async fn seed_notices(db: &Db, n: usize) -> Result<(), sqlx::Error> {
    let keys: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
    let ids = seed_members(db, &keys).await?;
    let now = now_ms();
    junggye::dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for id in ids {
            sqlx::query(
                "INSERT INTO notifications (recipient_id, kind, subject, amount, state, not_before, created_at, \
                                            updated_at) VALUES ($1, 'order_paid', '닌텐도 스위치', 15000, $2, $3, $3, $3)",
            )
            .bind(id)
            .bind(State::Queued)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    })
}

/// Kakao shows `limit` of the sent notices: the event block's skill for each (user, batch), from
/// `concurrency` workers. Returns the latencies and how many answers did not show a notice.
async fn show_notices(
    http: &reqwest::Client,
    base: &str,
    fake: &FakeEventApi,
    concurrency: usize,
    limit: usize,
) -> (Timings, usize) {
    let shown: Vec<(String, String)> = fake
        .messages()
        .into_iter()
        .flat_map(|m| m.users.into_iter().map(move |u| (u, m.batch.clone())))
        .filter(|(user, _)| user.starts_with('n'))
        .take(limit)
        .collect();
    let queue = Arc::new(Mutex::new(shown));
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, base, queue) = (http.clone(), base.to_owned(), queue.clone());
        workers.push(tokio::spawn(async move {
            let (mut times, mut failures) = (Timings::default(), 0);
            loop {
                let Some((user, batch)) = queue.lock().await.pop() else {
                    break;
                };
                let body = skill_body(&user, &[("batch", &batch)], &[]);
                let t = Instant::now();
                let reply = http
                    .post(format!("{base}/skill/notifications/event"))
                    .json(&body)
                    .send()
                    .await
                    .expect("event skill")
                    .text()
                    .await
                    .expect("reply");
                times.push(t.elapsed());
                failures += usize::from(!reply.contains("결제가 완료됐어요"));
            }
            (times, failures)
        }));
    }
    let (mut all, mut failures) = (Timings::default(), 0);
    for worker in workers {
        let (times, failed) = worker.await.expect("worker");
        all.extend(times);
        failures += failed;
    }
    (all, failures)
}
