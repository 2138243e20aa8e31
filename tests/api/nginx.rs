//! Production shape, black-box: the real nginx with `nginx/nginx.conf.template` (TLS with a certificate
//! made here) in front of two instances of the real binary sharing one PostgreSQL database and one
//! Redis, with a fake deal site standing in for the boards.
//!
//! Needs `nginx` and `openssl` on the PATH (`scripts/test` installs nginx when it is missing); the test
//! fails, never skips, without them. Redis database 13 is this test's own and is emptied at its start.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use junggye::db::Db;
use junggye::products::{Category, ProductStatus};
use serde_json::Value;

use crate::deals::{FakeSite, Q_LIST, R_LIST};
use crate::helpers::{assert_valid, free_port, junggye_in, payload, postgres_url, wait_for_port_async};
use crate::products::seed_product;

const SECRET: &str = "nginx-test-skill-secret";
const REDIS_DB: u8 = 13;

pub(crate) fn require(tool: &str) -> PathBuf {
    let found = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/sbin")])
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file());
    found.unwrap_or_else(|| panic!("`{tool}` is required by this test (scripts/test installs nginx)"))
}

/// A process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One app instance: the binary on its own port and metrics port.
struct Instance {
    process: Running,
    port: u16,
    metrics_port: u16,
}

fn start_instance(dir: &Path, name: &str, database_url: &str, redis_url: &str, public_url: &str) -> Instance {
    let (port, metrics_port) = (free_port(), free_port());
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    let child = junggye_in(dir)
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_ADDR", format!("127.0.0.1:{metrics_port}"))
        .env("PUBLIC_URL", public_url)
        .env("DATABASE_URL", database_url)
        .env("REDIS_URL", redis_url)
        .env("SKILL_SECRET", SECRET)
        .env("TRUSTED_PROXIES", "127.0.0.1")
        .env("IMAGE_DIR", dir.join(format!("{name}-images")))
        .env("DEALS_SOURCES_FILE", dir.join("sources.toml"))
        .env("RUST_LOG", "warn")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Instance {
        process: Running(child),
        port,
        metrics_port,
    }
}

/// The shipped sources file with both boards on the fake site, read quickly, one list page each.
fn write_sources(dir: &Path, site: &FakeSite) {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deals/sources.toml")).unwrap();
    let sources = shipped
        .replace(
            "https://quasarzone.com/bbs/qb_saleinfo?page={page}",
            &format!("{}?page={{page}}", site.url(Q_LIST)),
        )
        .replace(
            "https://bbs.ruliweb.com/market/board/1020?page={page}",
            &format!("{}?page={{page}}", site.url(R_LIST)),
        )
        .replace("min_delay_ms = 1000", "min_delay_ms = 20")
        .replace("min_delay_ms = 2000", "min_delay_ms = 20")
        .replace("max_pages = 2", "max_pages = 1");
    assert!(sources.contains(&site.url(Q_LIST)) && sources.contains(&site.url(R_LIST)));
    std::fs::write(dir.join("sources.toml"), sources).unwrap();
}

/// A new database on the PostgreSQL test server (both instances share it); dropped by [`drop_database`].
/// Databases left by runs that failed more than an hour ago are dropped first.
pub(crate) async fn fresh_database() -> (String, String) {
    let base = postgres_url();
    let admin = sqlx::PgPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {base} is required: {e}"));
    let now = junggye::clock::now_ms();
    let left: Vec<(String,)> = sqlx::query_as(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'nginx\\_%' \
         AND split_part(datname, '_', 2) ~ '^[0-9]+$' AND split_part(datname, '_', 2)::bigint < $1",
    )
    .bind(now - 3_600_000)
    .fetch_all(&admin)
    .await
    .unwrap();
    for (name,) in left {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    }
    let name = format!("nginx_{now}_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let (server, _) = base.rsplit_once('/').unwrap();
    (format!("{server}/{name}"), name)
}

pub(crate) async fn drop_database(name: &str) {
    let admin = sqlx::PgPool::connect(&postgres_url()).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&admin)
    .await;
}

/// This test's Redis database, emptied.
async fn fresh_redis() -> String {
    let base = std::env::var("TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let url = format!("{}/{REDIS_DB}", base.trim_end_matches('/'));
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .unwrap_or_else(|e| panic!("Redis at {url} is required: {e}"));
    let () = redis::cmd("FLUSHDB").query_async(&mut connection).await.unwrap();
    url
}

/// A self-signed certificate for 127.0.0.1, made with openssl.
pub(crate) fn certificate(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("tls.crt"), dir.join("tls.key"));
    let status = Command::new(require("openssl"))
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl could not make a certificate");
    (cert, key)
}

struct Nginx {
    _process: Running,
    http_port: u16,
    https_port: u16,
}

/// Renders the shipped template with `nginx/render` and runs nginx on it in the foreground.
fn start_nginx(dir: &Path, upstreams: &[u16], (http_port, https_port): (u16, u16)) -> Nginx {
    let (cert, key) = certificate(dir);
    let upstreams: Vec<String> = upstreams.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let rendered = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/nginx/render"))
        .env("JUNGGYE_UPSTREAMS", upstreams.join(" "))
        .env("TLS_CERT", &cert)
        .env("TLS_KEY", &key)
        .env("SERVER_NAME", "127.0.0.1")
        .env("HTTP_PORT", http_port.to_string())
        .env("HTTPS_PORT", https_port.to_string())
        .env("NGINX_PID", dir.join("nginx.pid"))
        .env("NGINX_ERROR_LOG", dir.join("nginx-error.log"))
        .env("NGINX_ACCESS_LOG", dir.join("nginx-access.log"))
        .env("NGINX_TEMP", dir)
        .output()
        .unwrap();
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, &rendered.stdout).unwrap();
    let nginx = require("nginx");
    let check = Command::new(&nginx)
        .arg("-t")
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .arg("-c")
        .arg(&conf)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "nginx -t refused the rendered configuration:\n{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let child = Command::new(&nginx)
        .arg("-e")
        .arg(dir.join("nginx-error.log"))
        .arg("-c")
        .arg(&conf)
        // In the foreground, so the test owns it; as root, workers as root so they can use the temp dir.
        .args(["-g", "daemon off; user root;"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    Nginx {
        _process: Running(child),
        http_port,
        https_port,
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Posts a skill call to `base` with the shared secret; the answer must be a valid SkillResponse.
async fn skill(client: &reqwest::Client, base: &str, path: &str, body: &Value) -> Value {
    let response = client
        .post(format!("{base}{path}"))
        .header("X-Skill-Secret", SECRET)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{base}{path}: {e}"));
    assert_eq!(response.status(), 200, "{base}{path}");
    let reply: Value = response.json().await.unwrap();
    assert_valid(&reply);
    reply
}

fn titles(reply: &Value) -> Vec<String> {
    reply["template"]["outputs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["carousel"]["items"].as_array())
        .flatten()
        .filter_map(|c| c["title"].as_str().map(str::to_owned))
        .collect()
}

/// The sum of a series over every label set whose labels include `filter`, read from an instance.
async fn scrape(client: &reqwest::Client, metrics_port: u16, name: &str, filter: &str) -> f64 {
    let text = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(filter))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(_, v)| v.parse::<f64>().ok()))
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_behind_real_nginx_share_the_market_and_survive_losing_one() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let site = FakeSite::with_both_boards().await;
    write_sources(dir, &site);
    let (database_url, database) = fresh_database().await;
    let redis_url = fresh_redis().await;
    let nginx_ports = (free_port(), free_port());
    let public_url = format!("https://127.0.0.1:{}", nginx_ports.1);
    let a = start_instance(dir, "a", &database_url, &redis_url, &public_url);
    wait_for_port_async(a.port, "instance a").await;
    let b = start_instance(dir, "b", &database_url, &redis_url, &public_url);
    wait_for_port_async(b.port, "instance b").await;
    let nginx = start_nginx(dir, &[a.port, b.port], nginx_ports);
    wait_for_port_async(nginx.https_port, "nginx").await;
    let client = client();
    let front = format!("https://127.0.0.1:{}", nginx.https_port);
    let (direct_a, direct_b) = (
        format!("http://127.0.0.1:{}", a.port),
        format!("http://127.0.0.1:{}", b.port),
    );

    // Plain HTTP is sent to HTTPS; operational endpoints stay inside.
    let plain = client
        .get(format!("http://127.0.0.1:{}/healthz", nginx.http_port))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 301);
    assert!(
        plain.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("https://")
    );
    for inside in ["/metrics", "/readyz"] {
        let refused = client.get(format!("{front}{inside}")).send().await.unwrap();
        assert_eq!(refused.status(), 404, "{inside} through nginx");
    }
    let direct = client
        .get(format!("http://127.0.0.1:{}/metrics", a.metrics_port))
        .send()
        .await
        .unwrap();
    assert_eq!(direct.status(), 200, "metrics on the instance's own listener");
    let unsigned = client
        .post(format!("{front}/skill/members/me"))
        .json(&payload("nobody").build())
        .send()
        .await
        .unwrap();
    assert_eq!(
        unsigned.status(),
        401,
        "the skill secret passes through nginx untouched"
    );

    // A skill flow through nginx: join, profile, the main list, a product's detail.
    for (user, name) in [("seller", "판매왕"), ("buyer", "구매왕")] {
        let joined = skill(
            &client,
            &front,
            "/skill/members/join",
            &payload(user)
                .param("name", name)
                .param("phone", "01012345678")
                .build(),
        )
        .await;
        assert!(joined.to_string().contains("환영해요"), "{joined}");
    }
    let profile = skill(&client, &front, "/skill/members/me", &payload("seller").build()).await;
    assert!(profile.to_string().contains("판매왕"), "{profile}");
    let db = Db::connect(&junggye::db::DatabaseUrl::new(&database_url), 2)
        .await
        .unwrap();
    let product = seed_product(
        &db,
        "seller",
        "nginx 뒤의 자전거",
        Category::Sports,
        ProductStatus::OnSale,
    )
    .await;
    db.close().await;
    // Both instances see it (their browse caches expire within CATALOG_CACHE_MS).
    for base in [&direct_a, &direct_b, &front] {
        let started = Instant::now();
        loop {
            let list = skill(&client, base, "/skill/products", &payload("buyer").build()).await;
            if titles(&list).iter().any(|t| t.contains("nginx 뒤의 자전거")) {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{base} never listed it: {list}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    let detail = skill(
        &client,
        &front,
        "/skill/products/detail",
        &payload("buyer").extra("productId", &product.to_string()).build(),
    )
    .await;
    assert!(detail.to_string().contains("nginx 뒤의 자전거"), "{detail}");

    // Ten reservations at once, alternating instances: one wins.
    let reserve = payload("seller")
        .extra("productId", &product.to_string())
        .extra("action", "reserve")
        .extra("from", "on_sale")
        .build();
    let attempts: Vec<_> = (0..10)
        .map(|i| {
            let (client, body) = (client.clone(), reserve.clone());
            let base = if i % 2 == 0 {
                direct_a.clone()
            } else {
                direct_b.clone()
            };
            tokio::spawn(async move { skill(&client, &base, "/skill/products/status", &body).await })
        })
        .collect();
    let mut changed = 0;
    for attempt in attempts {
        if attempt.await.unwrap().to_string().contains("바꿨어요") {
            changed += 1;
        }
    }
    assert_eq!(changed, 1, "exactly one reservation across both instances");

    // Hot deals: the first call may say "loading"; then the carousel comes from Redis, and each board was
    // read once in all, by one of the two instances.
    let started = Instant::now();
    loop {
        let deals = skill(&client, &front, "/skill/deals", &payload("buyer").build()).await;
        if titles(&deals).len() >= 5 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no deals yet: {deals}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    for base in [&direct_a, &direct_b] {
        let started = Instant::now();
        while titles(&skill(&client, base, "/skill/deals", &payload("buyer").build()).await).is_empty() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{base} never got the deals"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(
        (site.hits(Q_LIST), site.hits(R_LIST)),
        (1, 1),
        "each board read once"
    );
    let refreshed = scrape(
        &client,
        a.metrics_port,
        "junggye_deal_refreshes_total",
        "result=\"refreshed\"",
    )
    .await
        + scrape(
            &client,
            b.metrics_port,
            "junggye_deal_refreshes_total",
            "result=\"refreshed\"",
        )
        .await;
    assert_eq!(refreshed, 2.0, "one refresh per board across the two instances");

    // Losing an instance mid-run: nginx retries what it safely can on the other one. GETs are always
    // retried; a skill POST is retried only when it never reached the dead instance, so the only POSTs
    // that may fail are those written to a connection to it as it died: in flight, or sent on a kept-alive
    // connection nginx had not yet seen close. Each such connection fails one request at most, and there
    // are never more of them than requests in flight at once (WORKERS).
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (gets_failed, posts_failed, served) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    const POST_WORKERS: usize = 3;
    const WORKERS: usize = 6;
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let (client, front, stop) = (client.clone(), front.clone(), stop.clone());
        let (gets_failed, posts_failed, served) = (gets_failed.clone(), posts_failed.clone(), served.clone());
        workers.push(tokio::spawn(async move {
            let list = payload("buyer").build();
            while !stop.load(Ordering::Relaxed) {
                let ok = if worker < POST_WORKERS {
                    let answer = client
                        .post(format!("{front}/skill/products"))
                        .header("X-Skill-Secret", SECRET)
                        .json(&list)
                        .send()
                        .await;
                    let ok = matches!(&answer, Ok(r) if r.status() == 200);
                    if !ok {
                        posts_failed.fetch_add(1, Ordering::Relaxed);
                    }
                    ok
                } else {
                    let answer = client.get(format!("{front}/healthz")).send().await;
                    let ok = matches!(&answer, Ok(r) if r.status() == 200);
                    if !ok {
                        gets_failed.fetch_add(1, Ordering::Relaxed);
                    }
                    ok
                };
                if ok {
                    served.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let before_kill = served.load(Ordering::Relaxed);
    let Instance {
        process: mut killed, ..
    } = a;
    killed.0.kill().unwrap();
    killed.0.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, Ordering::Relaxed);
    for worker in workers {
        worker.await.unwrap();
    }
    let after_kill = served.load(Ordering::Relaxed) - before_kill;
    eprintln!(
        "instance killed: {before_kill} answers before, {after_kill} after; {} GETs and {} POSTs failed",
        gets_failed.load(Ordering::Relaxed),
        posts_failed.load(Ordering::Relaxed)
    );
    assert!(
        before_kill > 50 && after_kill > 50,
        "load ran: {before_kill} before, {after_kill} after"
    );
    assert_eq!(
        gets_failed.load(Ordering::Relaxed),
        0,
        "no retryable request was lost"
    );
    assert!(
        posts_failed.load(Ordering::Relaxed) <= WORKERS,
        "only POSTs caught by the kill may fail: {} failed",
        posts_failed.load(Ordering::Relaxed)
    );
    // The survivor serves everything through nginx.
    let list = skill(&client, &front, "/skill/products", &payload("buyer").build()).await;
    assert!(
        titles(&list).iter().any(|t| t.contains("nginx 뒤의 자전거")),
        "{list}"
    );

    drop(b);
    drop(nginx);
    drop_database(&database).await;
}
