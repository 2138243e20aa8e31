//! The skill request log: one row per skill call in `skill_calls` (when, a pseudonym of the user, route
//! template, block name, outcome, latency), so operators can see calls and p50/p99 latency per skill
//! (`GET /admin/skill-calls/stats`).
//!
//! The log must never cost a skill call anything, so recording is a `try_send` into a bounded queue:
//! it never waits, and when the queue is full the record is dropped and counted ([`SkillLog::dropped`])
//! instead of slowing the answer. A background writer drains the queue in batches (up to
//! [`SkillLogSettings::batch_max`] records, or whatever arrived within [`SkillLogSettings::flush_every`])
//! and writes each batch with one multi-row `INSERT` through `dispatch_write!`, so on SQLite the log
//! takes its turn at the write gate like every other writer, once per batch rather than once per call. A
//! failed write is logged once and its batch dropped ([`SkillLog::lost`]); skills never see it.
//!
//! What is stored is chosen so the table holds no personal data:
//! - the user is an HMAC-SHA-256 of the botUserKey under a per-deployment key, truncated — never the key,
//!   so a copy of the table cannot be joined to `members.user_key` without the key (see [`HashKey`]);
//! - the block is Open Builder's block name (bot configuration, not what the user typed), capped at
//!   [`MAX_BLOCK_CHARS`];
//! - the route is the axum route template (`/skill/products/detail`), never the URL;
//! - no utterance, parameter, `clientExtra` or payload, ever.
//!
//! Rows older than `SKILL_LOG_RETENTION_DAYS` are deleted at start and then hourly, in chunks of
//! [`PURGE_CHUNK`] rows so a large purge never holds SQLite's writer for long. With the log off
//! (`0` or `off`) nothing is recorded and the rows of earlier runs are deleted at start: no retention
//! means nothing is kept.
//!
//! On shutdown, [`SkillLog::shutdown`] closes the queue and waits for the writer to write what it holds;
//! the writer also ends by itself, after writing, when the last handle is dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::MatchedPath;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::clock::now_ms;
use crate::db::{Db, dispatch, dispatch_write};
use kakao_skill::SkillPayload;

/// Longest block name kept, in characters. Open Builder's names are short; the cap only bounds a row.
pub const MAX_BLOCK_CHARS: usize = 64;
/// Rows deleted per statement by the purge.
pub const PURGE_CHUNK: i64 = 1_000;
/// Hex characters of the user pseudonym: 64 bits, enough to tell millions of users apart.
const USER_HASH_HEX: usize = 16;
/// Columns per row of the multi-row `INSERT`.
const COLUMNS: usize = 6;
/// The label the hash key is derived from `JWT_SECRET` with (see [`HashKey`]).
const DERIVATION_LABEL: &[u8] = b"junggye skill-log user-hash key v1";

/// What the log is configured with (`SKILL_LOG_*`; the rest are fixed, tests change them).
#[derive(Clone, Debug)]
pub struct SkillLogSettings {
    /// How long rows are kept; `None`: the log is off.
    pub retention: Option<Duration>,
    /// `SKILL_LOG_HASH_KEY`, when set (at least 32 bytes).
    pub hash_key: Option<SecretString>,
    /// Records waiting for the writer at most; more are dropped.
    pub queue_capacity: usize,
    /// Records written by one `INSERT` at most.
    pub batch_max: usize,
    /// How long the writer waits for a batch to fill once it holds a record.
    pub flush_every: Duration,
    /// How often old rows are purged (the first purge runs at start).
    pub purge_every: Duration,
}

impl SkillLogSettings {
    /// The configurable parts; batches of up to 500 records or one a second, purges hourly.
    pub fn new(retention: Option<Duration>, hash_key: Option<SecretString>, queue_capacity: usize) -> Self {
        Self {
            retention,
            hash_key,
            queue_capacity,
            batch_max: 500,
            flush_every: Duration::from_secs(1),
            purge_every: Duration::from_secs(3_600),
        }
    }
}

/// Where the key of the user hash comes from, in order of preference.
///
/// 1. `SKILL_LOG_HASH_KEY`: an explicit key, rotated independently of anything else.
/// 2. Derived from `JWT_SECRET` as HMAC-SHA-256(`JWT_SECRET`, a fixed label). `JWT_SECRET` is already a
///    server-only secret of at least 32 bytes, the same on every instance and required in production, so
///    pseudonyms stay stable across instances and restarts with nothing new to configure. The derived key
///    reveals nothing about `JWT_SECRET`, and the label (with spaces, no dot) can never be a JWT's signing
///    input, so no token signature equals it. `SKILL_SECRET` is not used: Open Builder's console shows it
///    to everyone who edits the bot.
/// 3. Neither set (development): a random key per start. Pseudonyms then change at every restart and
///    differ between instances; per-skill statistics are unaffected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashKey {
    Configured,
    FromJwtSecret,
    PerStart,
}

impl HashKey {
    /// Which source a configuration uses.
    pub fn source(settings: &SkillLogSettings, jwt_secret: Option<&SecretString>) -> Self {
        match (&settings.hash_key, jwt_secret) {
            (Some(_), _) => Self::Configured,
            (None, Some(_)) => Self::FromJwtSecret,
            (None, None) => Self::PerStart,
        }
    }

    /// How `check-config` shows the key (never its value).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Configured => "(set)",
            Self::FromJwtSecret => "(unset: derived from JWT_SECRET)",
            Self::PerStart => "(unset: a random key per start)",
        }
    }
}

/// Turns botUserKeys into pseudonyms: truncated HMAC-SHA-256, hex.
#[derive(Clone)]
struct UserHasher(Hmac<Sha256>);

impl UserHasher {
    fn new(settings: &SkillLogSettings, jwt_secret: Option<&SecretString>) -> Self {
        let key: Vec<u8> = match (&settings.hash_key, jwt_secret) {
            (Some(key), _) => key.expose_secret().as_bytes().to_vec(),
            (None, Some(jwt)) => {
                let mut mac = hmac_with(jwt.expose_secret().as_bytes());
                mac.update(DERIVATION_LABEL);
                mac.finalize().into_bytes().to_vec()
            }
            (None, None) => {
                let mut key = [0u8; 32];
                getrandom::fill(&mut key).expect("the operating system provides randomness");
                key.to_vec()
            }
        };
        Self(hmac_with(&key))
    }

    fn hash(&self, user_id: &str) -> String {
        let mut mac = self.0.clone();
        mac.update(user_id.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(USER_HASH_HEX);
        for byte in &digest[..USER_HASH_HEX / 2] {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

fn hmac_with(key: &[u8]) -> Hmac<Sha256> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes a key of any length")
}

/// One row of `skill_calls`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkillCallRecord {
    /// When the answer was ready, Unix milliseconds (UTC).
    pub at_ms: i64,
    pub user_hash: String,
    /// The route template.
    pub route: String,
    pub block: String,
    /// A key from the skill runtime; `&'static str`, so it cannot be user text.
    pub outcome: &'static str,
    pub latency_us: i64,
}

/// What the writer and the handles share.
#[derive(Debug, Default)]
struct Counters {
    /// Records refused because the queue was full (or the writer gone).
    dropped: AtomicU64,
    /// Records lost to failed writes.
    lost: AtomicU64,
}

struct Inner {
    /// `None` when the log is off.
    queue: Option<mpsc::Sender<SkillCallRecord>>,
    hasher: UserHasher,
    counters: Arc<Counters>,
    /// Set to `true` by [`SkillLog::shutdown`]; the background tasks end when it changes or is dropped.
    stop: watch::Sender<bool>,
    writer: Mutex<Option<JoinHandle<()>>>,
}

/// The handle skills record through: cheap to clone, never blocks.
#[derive(Clone)]
pub struct SkillLog(Arc<Inner>);

impl std::fmt::Debug for SkillLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SkillLog")
            .field("enabled", &self.enabled())
            .field("dropped", &self.dropped())
            .field("lost", &self.lost())
            .finish_non_exhaustive()
    }
}

impl SkillLog {
    /// The log for `settings`, with its writer and purge running on the current tokio runtime.
    ///
    /// `AppState::from_parts` calls this both in `serve` and in tests, always inside a runtime. Outside
    /// one nothing can be spawned: the log then drops (and counts) every record rather than fail.
    pub fn start(db: &Db, settings: &SkillLogSettings, jwt_secret: Option<&SecretString>) -> Self {
        let (stop, _) = watch::channel(false);
        let counters = Arc::new(Counters::default());
        let runtime = tokio::runtime::Handle::try_current().ok();
        if runtime.is_none() {
            tracing::warn!("no tokio runtime: the skill request log records nothing");
        }
        let mut queue = None;
        let mut writer = None;
        if let Some(runtime) = &runtime {
            runtime.spawn(purge_loop(
                db.clone(),
                settings.retention,
                settings.purge_every,
                stop.subscribe(),
            ));
            if settings.retention.is_some() {
                let (sender, receiver) = mpsc::channel(settings.queue_capacity.max(1));
                writer = Some(runtime.spawn(write_loop(
                    db.clone(),
                    receiver,
                    stop.subscribe(),
                    counters.clone(),
                    settings.batch_max.max(1),
                    settings.flush_every,
                )));
                queue = Some(sender);
            }
        } else if settings.retention.is_some() {
            // A queue nobody reads: every record is refused and counted.
            let (sender, _) = mpsc::channel(1);
            queue = Some(sender);
        }
        Self(Arc::new(Inner {
            queue,
            hasher: UserHasher::new(settings, jwt_secret),
            counters,
            stop,
            writer: Mutex::new(writer),
        }))
    }

    /// False when `SKILL_LOG_RETENTION_DAYS` turned the log off.
    pub fn enabled(&self) -> bool {
        self.0.queue.is_some()
    }

    /// Records refused since start because the queue was full (the writer could not keep up).
    pub fn dropped(&self) -> u64 {
        self.0.counters.dropped.load(Ordering::Relaxed)
    }

    /// Records lost since start because their batch could not be written.
    pub fn lost(&self) -> u64 {
        self.0.counters.lost.load(Ordering::Relaxed)
    }

    /// The pseudonym `user_id` is stored as (to find one user's calls when they report a problem).
    pub fn user_hash(&self, user_id: &str) -> String {
        self.0.hasher.hash(user_id)
    }

    /// Starts the entry of one skill call: what the payload may contribute is taken now (the payload then
    /// moves into the handler's task), the outcome and latency at [`Entry::record`].
    pub fn entry(&self, route: Option<&MatchedPath>, payload: &SkillPayload) -> Entry {
        if !self.enabled() {
            return Entry(None);
        }
        Entry(Some(Pending {
            log: self.clone(),
            user_hash: self.user_hash(payload.user_id()),
            route: route.map_or("unmatched", MatchedPath::as_str).to_owned(),
            block: cap_chars(&payload.user_request.block.name, MAX_BLOCK_CHARS),
        }))
    }

    /// Queues `record` without waiting; a full queue drops it and counts it.
    pub fn record(&self, record: SkillCallRecord) {
        let Some(queue) = &self.0.queue else { return };
        if queue.try_send(record).is_err() {
            self.0.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Stops recording, writes what is queued and waits (at most `within`) for the writer to finish.
    /// Records offered afterwards are dropped and counted.
    pub async fn shutdown(&self, within: Duration) {
        self.0.stop.send_replace(true);
        let writer = self.0.writer.lock().expect("writer handle lock").take();
        if let Some(writer) = writer
            && tokio::time::timeout(within, writer).await.is_err()
        {
            tracing::warn!(
                "the skill request log was not written within {} ms; its last records are lost",
                within.as_millis()
            );
        }
    }
}

/// One skill call being recorded; does nothing when the log is off.
#[must_use = "an entry records nothing until `record` is called"]
pub struct Entry(Option<Pending>);

struct Pending {
    log: SkillLog,
    user_hash: String,
    route: String,
    block: String,
}

impl Entry {
    /// Queues the call with its outcome and latency (never waits, never fails).
    pub fn record(self, outcome: &'static str, latency: Duration) {
        let Some(p) = self.0 else { return };
        p.log.record(SkillCallRecord {
            at_ms: now_ms(),
            user_hash: p.user_hash,
            route: p.route,
            block: p.block,
            outcome,
            latency_us: i64::try_from(latency.as_micros()).unwrap_or(i64::MAX),
        });
    }
}

/// `text` cut to at most `max` characters (never inside a character).
fn cap_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

/// Drains the queue in batches until it is closed ([`SkillLog::shutdown`]) or every sender is gone,
/// writing what it holds before it ends.
async fn write_loop(
    db: Db,
    mut queue: mpsc::Receiver<SkillCallRecord>,
    mut stop: watch::Receiver<bool>,
    counters: Arc<Counters>,
    batch_max: usize,
    flush_every: Duration,
) {
    let mut batch = Vec::with_capacity(batch_max);
    let mut stopping = false;
    loop {
        if stopping {
            // Closed: take what is left without waiting for more.
            if queue.recv_many(&mut batch, batch_max).await == 0 {
                break;
            }
        } else {
            tokio::select! {
                received = queue.recv_many(&mut batch, batch_max) => if received == 0 { break },
                _ = stop.changed() => {
                    stopping = true;
                    queue.close();
                    continue;
                }
            }
            let deadline = tokio::time::Instant::now() + flush_every;
            while batch.len() < batch_max && !stopping {
                let room = batch_max - batch.len();
                tokio::select! {
                    received = queue.recv_many(&mut batch, room) => if received == 0 { break },
                    () = tokio::time::sleep_until(deadline) => break,
                    _ = stop.changed() => {
                        stopping = true;
                        queue.close();
                    }
                }
            }
        }
        let lost = write_batch(&db, &batch).await;
        crate::metrics::global().job_run("skill_log_write", lost == 0);
        counters.lost.fetch_add(lost, Ordering::Relaxed);
        batch.clear();
    }
}

/// Writes one batch; returns how many of its records were lost.
///
/// A batch is one transaction, so one record the database refuses (a value it cannot store) would cost
/// every other record with it. When the database refused the data rather than failed, the records are
/// tried again one by one, and only those it still refuses are lost.
async fn write_batch(db: &Db, batch: &[SkillCallRecord]) -> u64 {
    let Err(err) = insert(db, batch).await else {
        return 0;
    };
    if !refuses_data(&err) {
        tracing::warn!(error = %err, records = batch.len(), "skill request log batch not written; dropped");
        return batch.len() as u64;
    }
    let mut lost = 0;
    for record in batch {
        if let Err(err) = insert(db, std::slice::from_ref(record)).await {
            lost += 1;
            tracing::warn!(error = %err, route = %record.route, "skill request log record refused; dropped");
        }
    }
    lost
}

/// True when the database answered but refused the values (PostgreSQL's SQLSTATE classes 22, data
/// exception, and 23, integrity; SQLite's constraint and mismatch codes), as opposed to being
/// unreachable or out of space, where retrying row by row would only repeat the failure.
fn refuses_data(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Encode(_) => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("22") || code.starts_with("23") || code == "19" || code == "20"
        }),
        _ => false,
    }
}

/// `INSERT INTO skill_calls … VALUES (…), (…)` for `rows` rows, placeholders numbered in bind order.
fn insert_sql(rows: usize) -> String {
    let mut sql =
        String::from("INSERT INTO skill_calls (at_ms, user_hash, route, block, outcome, latency_us) VALUES ");
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "${}", row * COLUMNS + column + 1);
        }
        sql.push(')');
    }
    sql
}

/// Rows per `INSERT`. SQLite's driver looks each `$N` up among all of a statement's parameters, so
/// binding costs grow with the square of a statement's size: a 500-row statement (3,000 parameters)
/// spent more CPU binding than the skills it logged. Statements of this size cost little, and a full
/// one is always the same text, so it is prepared once per connection.
const ROWS_PER_STATEMENT: usize = 32;

/// Writes `records` in one transaction, [`ROWS_PER_STATEMENT`] rows per statement (the writer's
/// batches; tests and tools seed with it).
pub async fn insert(db: &Db, records: &[SkillCallRecord]) -> Result<(), sqlx::Error> {
    if records.is_empty() {
        return Ok(());
    }
    dispatch_write!(db, pool => {
        let mut tx = pool.begin().await?;
        for chunk in records.chunks(ROWS_PER_STATEMENT) {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(insert_sql(chunk.len())));
            for r in chunk {
                query = query
                    .bind(r.at_ms)
                    .bind(r.user_hash.as_str())
                    .bind(r.route.as_str())
                    .bind(r.block.as_str())
                    .bind(r.outcome)
                    .bind(r.latency_us);
            }
            query.execute(&mut *tx).await?;
        }
        tx.commit().await
    })
}

/// Deletes every row older than `before_ms`, `chunk` rows per statement, each its own short write so
/// other writers get their turn in between. Returns how many rows went.
pub async fn purge_before(db: &Db, before_ms: i64, chunk: i64) -> Result<u64, sqlx::Error> {
    let mut purged = 0;
    loop {
        let deleted = dispatch_write!(db, pool => {
            sqlx::query(
                "DELETE FROM skill_calls WHERE id IN \
                 (SELECT id FROM skill_calls WHERE at_ms < $1 ORDER BY at_ms LIMIT $2)",
            )
            .bind(before_ms)
            .bind(chunk)
            .execute(pool)
            .await?
            .rows_affected()
        });
        purged += deleted;
        if deleted < chunk.max(1) as u64 {
            return Ok(purged);
        }
        tokio::task::yield_now().await;
    }
}

/// Purges at start and every `every` until stopped; with the log off, deletes every row once and ends.
async fn purge_loop(db: Db, retention: Option<Duration>, every: Duration, mut stop: watch::Receiver<bool>) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.changed() => return,
        }
        let before_ms = match retention {
            Some(keep) => now_ms().saturating_sub(i64::try_from(keep.as_millis()).unwrap_or(i64::MAX)),
            None => i64::MAX,
        };
        let purged = purge_before(&db, before_ms, PURGE_CHUNK).await;
        crate::metrics::global().job_run("skill_log_purge", purged.is_ok());
        match purged {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "old skill request log rows purged"),
            Err(err) => tracing::warn!(error = %err, "skill request log purge failed; retried later"),
        }
        if retention.is_none() {
            return;
        }
    }
}

/// Calls of one route in a time range.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteStats {
    pub route: String,
    pub calls: i64,
    /// Nearest-rank percentiles, microseconds.
    pub p50_us: i64,
    pub p99_us: i64,
    /// Calls per outcome.
    pub outcomes: BTreeMap<String, i64>,
}

/// Calls and nearest-rank p50/p99 latency per route, for calls with `from_ms <= at_ms < to_ms`, by
/// route. The percentiles are computed by the database with window functions (the same SQL on SQLite
/// and PostgreSQL): the smallest latency whose rank reaches ⌈n·p⌉.
pub async fn stats(db: &Db, from_ms: i64, to_ms: i64) -> Result<Vec<RouteStats>, sqlx::Error> {
    let percentiles: Vec<(String, i64, i64, i64)> = dispatch!(db, pool => {
        sqlx::query_as(
            "WITH r AS (SELECT route, latency_us, \
                 ROW_NUMBER() OVER (PARTITION BY route ORDER BY latency_us) AS rn, \
                 COUNT(*) OVER (PARTITION BY route) AS n \
               FROM skill_calls WHERE at_ms >= $1 AND at_ms < $2) \
             SELECT route, MAX(n), \
               MIN(CASE WHEN rn >= (n * 50 + 99) / 100 THEN latency_us END), \
               MIN(CASE WHEN rn >= (n * 99 + 99) / 100 THEN latency_us END) \
             FROM r GROUP BY route ORDER BY route",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(pool)
        .await?
    });
    let outcomes: Vec<(String, String, i64)> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT route, outcome, COUNT(*) FROM skill_calls WHERE at_ms >= $1 AND at_ms < $2 \
             GROUP BY route, outcome",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(pool)
        .await?
    });
    let mut by_route: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for (route, outcome, calls) in outcomes {
        by_route.entry(route).or_default().insert(outcome, calls);
    }
    Ok(percentiles
        .into_iter()
        .map(|(route, calls, p50_us, p99_us)| RouteStats {
            outcomes: by_route.remove(&route).unwrap_or_default(),
            route,
            calls,
            p50_us,
            p99_us,
        })
        .collect())
}

/// Calls in one time bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Unix ms of the bucket's start.
    pub start_ms: i64,
    pub calls: i64,
    /// Calls whose outcome was not `ok`.
    pub failed: i64,
}

/// Calls with `from_ms <= at_ms < to_ms` counted in buckets of `width_ms` starting at `from_ms` (buckets
/// without calls are left out), for the operators' chart.
pub async fn buckets(db: &Db, from_ms: i64, to_ms: i64, width_ms: i64) -> Result<Vec<Bucket>, sqlx::Error> {
    let width = width_ms.max(1);
    let rows: Vec<(i64, i64, i64)> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT (at_ms - $1) / $3 AS n, COUNT(*), \
               COALESCE(SUM(CASE WHEN outcome = 'ok' THEN 0 ELSE 1 END), 0) \
             FROM skill_calls WHERE at_ms >= $1 AND at_ms < $2 GROUP BY n ORDER BY n",
        )
        .bind(from_ms)
        .bind(to_ms)
        .bind(width)
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(n, calls, failed)| Bucket {
            start_ms: from_ms + n * width,
            calls,
            failed,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(key: Option<&str>) -> SkillLogSettings {
        SkillLogSettings::new(
            Some(Duration::from_secs(86_400)),
            key.map(|k| SecretString::from(k.to_owned())),
            8,
        )
    }

    #[test]
    fn the_user_hash_is_keyed_short_hex_and_stable() {
        let jwt = SecretString::from("j".repeat(32));
        let a = UserHasher::new(&settings(Some(&"a".repeat(32))), Some(&jwt));
        let b = UserHasher::new(&settings(Some(&"b".repeat(32))), Some(&jwt));
        let hash = a.hash("user-key-1");
        assert_eq!(hash.len(), USER_HASH_HEX);
        assert!(hash.bytes().all(|c| c.is_ascii_hexdigit()), "{hash}");
        assert_eq!(hash, a.hash("user-key-1"));
        assert_ne!(hash, a.hash("user-key-2"));
        assert_ne!(hash, b.hash("user-key-1"), "another key, another pseudonym");
        let derived = UserHasher::new(&settings(None), Some(&jwt));
        assert_eq!(
            derived.hash("user-key-1"),
            UserHasher::new(&settings(None), Some(&jwt)).hash("user-key-1"),
            "derived from JWT_SECRET: the same on every instance"
        );
        assert_ne!(derived.hash("user-key-1"), hash);
        let random = UserHasher::new(&settings(None), None);
        assert_ne!(
            random.hash("user-key-1"),
            UserHasher::new(&settings(None), None).hash("user-key-1")
        );
    }

    #[test]
    fn the_key_source_is_the_variable_then_jwt_secret_then_random() {
        let jwt = SecretString::from("j".repeat(32));
        let key = "k".repeat(32);
        assert_eq!(HashKey::source(&settings(Some(&key)), None), HashKey::Configured);
        assert_eq!(
            HashKey::source(&settings(None), Some(&jwt)),
            HashKey::FromJwtSecret
        );
        assert_eq!(HashKey::source(&settings(None), None), HashKey::PerStart);
    }

    #[test]
    fn block_names_are_capped_on_character_boundaries() {
        assert_eq!(cap_chars("상품 상세", 64), "상품 상세");
        assert_eq!(
            cap_chars(&"블".repeat(100), MAX_BLOCK_CHARS).chars().count(),
            MAX_BLOCK_CHARS
        );
        assert_eq!(cap_chars("abc", 2), "ab");
    }

    #[test]
    fn insert_placeholders_follow_the_bind_order() {
        assert_eq!(
            insert_sql(2),
            "INSERT INTO skill_calls (at_ms, user_hash, route, block, outcome, latency_us) VALUES \
             ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12)"
        );
    }
}
