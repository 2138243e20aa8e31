//! Prometheus metrics: what operators graph and alert on.
//!
//! One process-wide set of metrics ([`global`]), because the events worth counting happen deep inside
//! modules (a cache shelf, a payment call, a refresher) that should not carry a handle for it; every
//! update is a few atomic operations (a histogram takes one uncontended mutex), cheap enough for the
//! skill path. The text format is served by [`router`] on its own listener (`METRICS_ADDR`), never on
//! the public port, so nothing outside the host or the cluster network can read it.
//!
//! Label values are fixed sets (route templates, outcomes, source keys from the shipped configuration):
//! never a user id, a product id or free text, so the number of series stays bounded.

use std::sync::LazyLock;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::db::Db;

/// Latency buckets in seconds: fine below 10 ms where the read skills live, coarse up to Kakao's 5 s.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 4.0, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SkillLabels {
    route: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheLabels {
    cache: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ScrapeLabels {
    source: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PaymentLabels {
    call: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobLabels {
    job: &'static str,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// Every metric the server exports. Reach it through [`global`].
pub struct Metrics {
    registry: Registry,
    skill_latency: Family<SkillLabels, Histogram, fn() -> Histogram>,
    skill_deadline_hits: Counter,
    http_requests: Family<HttpLabels, Counter>,
    cache_lookups: Family<CacheLabels, Counter>,
    scrapes: Family<ScrapeLabels, Counter>,
    payment_calls: Family<PaymentLabels, Counter>,
    jobs: Family<JobLabels, Counter>,
}

impl Metrics {
    fn new() -> Self {
        let mut registry = Registry::with_prefix("junggye");
        let skill_latency = Family::<SkillLabels, Histogram, fn() -> Histogram>::new_with_constructor(
            latency_histogram as fn() -> Histogram,
        );
        registry.register(
            "skill_request_duration_seconds",
            "Skill calls by route template and outcome (ok, invalid, refused, not_member, db_error, panic, deadline, ...), with their latency",
            skill_latency.clone(),
        );
        let skill_deadline_hits = Counter::default();
        registry.register(
            "skill_deadline_hits",
            "Skill calls answered by the deadline reply because the handler was too slow",
            skill_deadline_hits.clone(),
        );
        let http_requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests by route template, method and status",
            http_requests.clone(),
        );
        let cache_lookups = Family::default();
        registry.register(
            "cache_lookups",
            "Lookups in the browse cache by shelf and result (hit or miss)",
            cache_lookups.clone(),
        );
        let scrapes = Family::default();
        registry.register(
            "deal_refreshes",
            "Hot-deal refresh attempts by source and result",
            scrapes.clone(),
        );
        let payment_calls = Family::default();
        registry.register(
            "kakaopay_calls",
            "Kakao Pay calls by endpoint and outcome (ok, rejected, unavailable, ambiguous, invalid)",
            payment_calls.clone(),
        );
        let jobs = Family::default();
        registry.register(
            "background_job_runs",
            "Runs of background jobs by job and result",
            jobs.clone(),
        );
        Self {
            registry,
            skill_latency,
            skill_deadline_hits,
            http_requests,
            cache_lookups,
            scrapes,
            payment_calls,
            jobs,
        }
    }

    /// One skill call: its route template, how it ended, and how long it took.
    pub fn skill_call(&self, route: &str, outcome: &'static str, latency: Duration) {
        let labels = SkillLabels {
            route: route.to_owned(),
            outcome,
        };
        self.skill_latency
            .get_or_create(&labels)
            .observe(latency.as_secs_f64());
        if outcome == "deadline" {
            self.skill_deadline_hits.inc();
        }
    }

    /// One HTTP request of any kind (skills, payment pages, admin API, images).
    pub fn http_request(&self, route: &str, method: &str, status: u16) {
        let labels = HttpLabels {
            route: route.to_owned(),
            method: method.to_owned(),
            status,
        };
        self.http_requests.get_or_create(&labels).inc();
    }

    /// One browse-cache lookup on `cache` (a shelf name).
    pub fn cache_lookup(&self, cache: &'static str, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.cache_lookups
            .get_or_create(&CacheLabels { cache, result })
            .inc();
    }

    /// One refresh attempt of a hot-deal source.
    pub fn deal_refresh(&self, source: &str, result: &'static str) {
        let labels = ScrapeLabels {
            source: source.to_owned(),
            result,
        };
        self.scrapes.get_or_create(&labels).inc();
    }

    /// One Kakao Pay call and how it ended.
    pub fn kakaopay_call(&self, call: &'static str, outcome: &'static str) {
        self.payment_calls
            .get_or_create(&PaymentLabels { call, outcome })
            .inc();
    }

    /// One run of a background job.
    pub fn job_run(&self, job: &'static str, ok: bool) {
        let result = if ok { "ok" } else { "error" };
        self.jobs.get_or_create(&JobLabels { job, result }).inc();
    }

    /// The whole set in Prometheus' text format, with the pool gauges of `db` read now.
    pub fn render(&self, db: &Db) -> String {
        use prometheus_client::encoding::text::{encode_eof, encode_registry};
        let pool = pool_registry(db);
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry)
            .and_then(|()| encode_registry(&mut out, &pool))
            .and_then(|()| encode_eof(&mut out));
        out
    }
}

/// The pool's gauges, read at scrape time from the pool itself (one registry per scrape: they describe
/// the pool that was asked about, not a process-wide value).
fn pool_registry(db: &Db) -> Registry {
    let (size, idle, max) = db.pool_usage();
    let mut registry = Registry::with_prefix("junggye");
    let connections = Family::<PoolLabels, Gauge>::default();
    let idle = i64::from(idle);
    connections.get_or_create(&PoolLabels { state: "idle" }).set(idle);
    connections
        .get_or_create(&PoolLabels { state: "in_use" })
        .set(i64::from(size).saturating_sub(idle));
    registry.register(
        "db_pool_connections",
        "Database pool connections by state (idle, in_use), read at scrape time",
        connections,
    );
    let max_connections = Gauge::<i64>::default();
    max_connections.set(i64::from(max));
    registry.register(
        "db_pool_max_connections",
        "Largest number of connections the database pool opens",
        max_connections,
    );
    registry
}

/// The process's metrics.
pub fn global() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

/// Prometheus' text exposition format, version 0.0.4 (what every scraper reads).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`, for the metrics listener only.
pub fn router(db: Db) -> Router {
    Router::new().route("/metrics", get(metrics)).with_state(db)
}

async fn metrics(State(db): State<Db>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, CONTENT_TYPE)], global().render(&db))
}
