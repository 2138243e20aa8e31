//! What the in-process benchmarks share: a fresh database on either backend, latency summaries, and a
//! bare handler to measure beside the server (this machine's speed drifts by the hour, so a figure is only
//! meaningful next to what a handler doing nothing manages at the same moment).

#![allow(dead_code)]

use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use junggye::clock::now_ms;
use junggye::db::Db;

/// A fresh database: a SQLite file in `dir`, or a new schema on the PostgreSQL test server
/// (`TEST_POSTGRES_URL`). Migrated.
pub async fn connect(backend: &str, dir: &std::path::Path) -> Result<Db, Box<dyn std::error::Error>> {
    let db = match backend {
        "postgres" => {
            let url = std::env::var("TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
            let schema = format!("bench_{}", now_ms());
            let admin = sqlx::PgPool::connect(&url).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\"")))
                .execute(&admin)
                .await?;
            let options: sqlx::postgres::PgConnectOptions = url.parse()?;
            Db::connect_postgres(options.options([("search_path", schema.as_str())]), 16).await?
        }
        _ => {
            let url = format!("sqlite://{}", dir.join("bench.db").display());
            Db::connect(&junggye::db::DatabaseUrl::new(&url), 16).await?
        }
    };
    db.migrate().await?;
    Ok(db)
}

/// Latencies of one kind of request.
#[derive(Default)]
pub struct Timings(Vec<Duration>);

impl Timings {
    pub fn push(&mut self, d: Duration) {
        self.0.push(d);
    }

    pub fn extend(&mut self, other: Timings) {
        self.0.extend(other.0);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// The `q` quantile in milliseconds.
    pub fn ms(&mut self, q: f64) -> f64 {
        self.0.sort();
        let i = ((self.0.len() as f64 * q) as usize).min(self.0.len().saturating_sub(1));
        self.0.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    /// `name: n=… p50 … ms  p99 … ms  max … ms`.
    pub fn line(&mut self, name: &str) -> String {
        format!(
            "{name}: n={} p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            self.len(),
            self.ms(0.50),
            self.ms(0.99),
            self.ms(1.0)
        )
    }
}

/// Prints [`Timings::line`].
pub fn report(name: &str, times: &mut Timings) {
    println!("  {}", times.line(name));
}

/// A bare axum handler answering a fixed skill response (no middleware, database or logging), on its own
/// listener; returns its URL.
pub async fn bare_handler() -> String {
    let body: &'static [u8] = br#"{"version":"2.0","template":{"outputs":[{"simpleText":{"text":"ok"}}]}}"#;
    let app = Router::new().route(
        "/ceiling",
        post(move || async move { ([(CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/ceiling", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// `requests` POSTs of `body` to `url` from `concurrency` workers: (requests per second, latencies).
pub async fn drive(
    http: &reqwest::Client,
    url: &str,
    body: &serde_json::Value,
    requests: usize,
    concurrency: usize,
) -> (f64, Timings) {
    let started = Instant::now();
    let per_worker = requests.div_ceil(concurrency);
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (http, url, body) = (http.clone(), url.to_owned(), body.clone());
        workers.push(tokio::spawn(async move {
            let mut times = Timings::default();
            for _ in 0..per_worker {
                let t = Instant::now();
                let status = http
                    .post(&url)
                    .json(&body)
                    .send()
                    .await
                    .expect("request")
                    .status();
                assert!(status.is_success(), "{url}: {status}");
                times.push(t.elapsed());
            }
            times
        }));
    }
    let mut all = Timings::default();
    for worker in workers {
        all.extend(worker.await.expect("worker"));
    }
    (all.len() as f64 / started.elapsed().as_secs_f64(), all)
}
