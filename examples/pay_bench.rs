//! Throughput of the Kakao Pay path: `GET /pay/{token}` (hold + order + ready + redirect) followed by the
//! approve redirect (approve + paid), against the fake Kakao Pay of the test suite, over real HTTP.
//!
//! Each flow buys a different product, so every request does the full work; a second phase sends every
//! worker at one product to measure the refusal path under contention.
//!
//! `BACKEND=sqlite|postgres FLOWS=3000 CONCURRENCY=32 cargo run --release --example pay_bench`

#[path = "../tests/api/fake_kakaopay.rs"]
mod fake_kakaopay;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use junggye::cache::Cache;
use junggye::clock::now_ms;
use junggye::config::{Config, PaymentSettings};
use junggye::db::{BeginWrite, Db};
use junggye::domain::ids::{MemberId, ProductId};
use junggye::kakao::Nav;
use junggye::state::AppState;
use junggye::{http_server, router};
use secrecy::SecretString;
use tokio::sync::Mutex;

use fake_kakaopay::FakeKakaoPay;
use support::{Timings, connect, report};

const PRICE: i64 = 15_000;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = std::env::var("BACKEND").unwrap_or_else(|_| "sqlite".into());
    let flows = env_or("FLOWS", 3_000);
    let concurrency = env_or("CONCURRENCY", 32);

    let fake = Arc::new(FakeKakaoPay::start().await);
    let dir = tempfile::tempdir()?;
    let db = connect(&backend, dir.path()).await?;
    let (buyers, products) = seed(&db, concurrency, flows + 1).await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let mut config = Config::for_tests("sqlite://unused.db");
    config.public_url = base.clone();
    config.payments = Some(PaymentSettings {
        kakaopay: fake.settings(),
        link_secret: SecretString::from("bench-pay-link-secret-0123456789abcdef".to_owned()),
        link_ttl: Duration::from_secs(600),
        hold: Duration::from_secs(900),
        reconcile_every: Duration::from_secs(30),
        auto_confirm_after: Duration::from_secs(7 * 86_400),
    });
    let state = AppState::from_parts(config, db, Cache::memory(), Nav::default())?;
    let links = state.payments.clone().expect("payments on");
    tokio::spawn(http_server::serve(
        listener,
        router::router(state),
        std::future::pending(),
    ));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(concurrency)
        .build()?;

    // Phase 1: every flow buys its own product.
    let queue = Arc::new(Mutex::new(products[..flows].to_vec()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for &buyer in &buyers {
        let (queue, http, fake, links, base) = (
            queue.clone(),
            http.clone(),
            fake.clone(),
            links.clone(),
            base.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut timings = (Timings::default(), Timings::default());
            loop {
                let Some(product) = queue.lock().await.pop() else {
                    break;
                };
                let token = links
                    .links()
                    .issue(MemberId::new(buyer), ProductId::new(product), PRICE);
                let t = Instant::now();
                let pay = http.get(format!("{base}/pay/{token}")).send().await.expect("pay");
                assert_eq!(pay.status(), 303, "pay redirects to Kakao Pay");
                let location = pay.headers()["location"].to_str().unwrap().to_owned();
                timings.0.push(t.elapsed());
                let tid = fake.tid_from_redirect(&location).expect("fake tid");
                let approval = fake.user_pays_redirect(&tid);
                let t = Instant::now();
                let approved = http.get(approval).send().await.expect("approve");
                assert_eq!(approved.status(), 200);
                timings.1.push(t.elapsed());
            }
            timings
        }));
    }
    let (mut pay, mut approve) = (Timings::default(), Timings::default());
    for worker in workers {
        let (p, a) = worker.await?;
        pay.extend(p);
        approve.extend(a);
    }
    let elapsed = started.elapsed();
    println!("backend={backend} flows={flows} concurrency={concurrency}");
    println!(
        "full purchases: {:.0} flows/s ({:.0} HTTP req/s to us), {:.1} s",
        flows as f64 / elapsed.as_secs_f64(),
        2.0 * flows as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    report("GET /pay/{token} (hold+order+ready)", &mut pay);
    report("GET /pay/approve (approve+paid)", &mut approve);

    // Phase 2: everyone at once for the last product: one wins, the rest get the friendly page.
    let contested = products[flows];
    let started = Instant::now();
    let attempts = concurrency * 20;
    let mut tasks = Vec::new();
    for i in 0..attempts {
        let (http, links, base) = (http.clone(), links.clone(), base.clone());
        let buyer = buyers[i % concurrency];
        tasks.push(tokio::spawn(async move {
            let token = links
                .links()
                .issue(MemberId::new(buyer), ProductId::new(contested), PRICE);
            let t = Instant::now();
            let status = http
                .get(format!("{base}/pay/{token}"))
                .send()
                .await
                .expect("pay")
                .status();
            (status.as_u16(), t.elapsed())
        }));
    }
    let mut contested_times = Timings::default();
    let mut winners = 0;
    for task in tasks {
        let (status, t) = task.await?;
        winners += usize::from(status == 303);
        contested_times.push(t);
    }
    println!(
        "contention: {attempts} links for one product in {:.2} s → {winners} redirect(s), ready calls total {}",
        started.elapsed().as_secs_f64(),
        fake.calls("ready")
    );
    report("GET /pay/{token} contested", &mut contested_times);
    Ok(())
}

/// One seller with `products` products on sale, and `buyers` buyers. Returns their ids.
async fn seed(db: &Db, buyers: usize, products: usize) -> Result<(Vec<i64>, Vec<i64>), sqlx::Error> {
    let now = now_ms();
    junggye::dispatch!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let mut member = async |key: String| -> Result<i64, sqlx::Error> {
            sqlx::query_scalar(
                "INSERT INTO members (user_key, name, phone, created_at, updated_at) \
                 VALUES ($1, $1, '01012345678', $2, $2) RETURNING id",
            )
            .bind(key)
            .bind(now)
            .fetch_one(&mut *tx)
            .await
        };
        let seller = member("seller".into()).await?;
        let mut buyer_ids = Vec::new();
        for i in 0..buyers {
            buyer_ids.push(member(format!("buyer{i}")).await?);
        }
        let mut product_ids = Vec::new();
        for i in 0..products {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, \
                                       search_text, status, created_at, updated_at, listed_at) \
                 VALUES ($1, $2, $3, '벤치마크', 'digital', '강남역', 'https://open.kakao.com/o/bench', $2, \
                         'on_sale', $4, $4, $4) RETURNING id",
            )
            .bind(seller)
            .bind(format!("상품 {i}"))
            .bind(PRICE)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            product_ids.push(id);
        }
        tx.commit().await?;
        Ok((buyer_ids, product_ids))
    })
}
