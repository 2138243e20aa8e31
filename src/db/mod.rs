//! The database: SQLite (embedded default) or PostgreSQL (production), chosen by `DATABASE_URL`.
//!
//! Both backends run the same SQL text through sqlx's native drivers: queries use `$1` placeholders,
//! integers for ids, money (KRW) and times (Unix milliseconds, UTC), and TEXT for enums, which both
//! dialects read alike. Only the DDL differs, so each backend has its own migrations directory.
//! [`dispatch!`] runs one block of query code against whichever pool is configured; the code is
//! compiled once per backend, so each runs on its native driver with no dynamic-dispatch layer.
//!
//! Concurrency is the database's job: every state change is a conditional `UPDATE … WHERE state = …`
//! or is guarded by a unique index, and callers look at the rows affected.

use std::str::FromStr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicI64, AtomicU64};
use std::time::Duration;

use crate::clock::now_ms;

mod url;
pub use url::{DatabaseUrl, redact_url_password};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

/// A connection pool to one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// SQLite allows one writer at a time. Writers that collide inside SQLite wait in its busy handler, which
/// sleeps in growing steps (up to 100 ms) and so turns contention into long tail latency. Queuing our own
/// writers here instead hands the write lock over as soon as it is free, in arrival order.
/// (PostgreSQL needs no gate: it locks rows, not the database.)
///
/// The wait is bounded by [`GATE_TIMEOUT`]: when the disk is full every write fails slowly, and an
/// unbounded queue grows faster than it drains, so that long after the fault clears writes still wait
/// behind failures that nobody is waiting for (seen: 100 s). A writer that cannot get its turn in time gives
/// up with [`sqlx::Error::PoolTimedOut`], and its caller answers the apology while it still can.
///
/// The gate also remembers how the last writes ended ([`WriteHealth`]), so readiness can tell a database
/// that stopped accepting writes without writing itself while real writes are succeeding.
#[derive(Clone, Debug, Default)]
pub struct WriteGate {
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    health: std::sync::Arc<WriteHealth>,
}

/// Longest a writer waits for its turn at the [`WriteGate`] (well inside a skill's deadline).
pub const GATE_TIMEOUT: Duration = Duration::from_secs(2);

impl WriteGate {
    /// Waits for this process's turn to write, at most [`GATE_TIMEOUT`]. The turn ends when the returned
    /// [`WriteTurn`] is dropped; unless it was told how the write went, it counts as a failed write.
    pub async fn turn(&self) -> Result<WriteTurn<'_>, sqlx::Error> {
        match tokio::time::timeout(GATE_TIMEOUT, self.turn.lock()).await {
            Ok(guard) => Ok(WriteTurn {
                _guard: guard,
                health: &self.health,
                outcome: None,
            }),
            Err(_) => {
                self.health.failed();
                Err(sqlx::Error::PoolTimedOut)
            }
        }
    }

    /// Whether a write succeeded within `within` and none has failed since: the database then accepts
    /// writes, and no probe write is needed to know it.
    fn wrote_recently(&self, within: Duration) -> bool {
        self.health.wrote_recently(within)
    }
}

/// One writer's turn at the [`WriteGate`]. A write that left early (an error passed up with `?`) never
/// says how it went, and is counted as failed: at worst that costs one probe write (see [`WriteProbe`]).
pub struct WriteTurn<'a> {
    _guard: tokio::sync::MutexGuard<'a, ()>,
    health: &'a WriteHealth,
    outcome: Option<bool>,
}

impl WriteTurn<'_> {
    /// Notes how the write ended: `value` is what the gated code produced.
    pub fn finished<T: WriteOutcome>(&mut self, value: &T) {
        self.outcome = Some(value.succeeded());
    }
}

impl Drop for WriteTurn<'_> {
    fn drop(&mut self) {
        match self.outcome {
            Some(true) => self.health.succeeded(),
            Some(false) | None => self.health.failed(),
        }
    }
}

/// What a gated write produced, read as "the storage took the write" or not.
pub trait WriteOutcome {
    fn succeeded(&self) -> bool;
}

impl<T> WriteOutcome for Result<T, sqlx::Error> {
    fn succeeded(&self) -> bool {
        self.as_ref()
            .map_or_else(|err| !is_storage_failure(err), |_| true)
    }
}

/// Plain values (rows affected, a flag) come from writes that returned normally.
macro_rules! plain_write_outcome {
    ($($t:ty),*) => {
        $(impl WriteOutcome for $t {
            fn succeeded(&self) -> bool {
                true
            }
        })*
    };
}
plain_write_outcome!((), bool, u64, i64, (i64,));

impl<T> WriteOutcome for Option<T> {
    fn succeeded(&self) -> bool {
        true
    }
}

/// When gated writes last succeeded and last failed for a reason of the storage (not of the data).
/// Events are numbered in the order they are recorded, so "which came last" never depends on two
/// events falling in different milliseconds.
#[derive(Debug, Default)]
pub struct WriteHealth {
    events: AtomicU64,
    last_ok: AtomicU64,
    last_failure: AtomicU64,
    last_ok_ms: AtomicI64,
}

impl WriteHealth {
    fn succeeded(&self) {
        self.last_ok_ms.fetch_max(now_ms(), Relaxed);
        self.last_ok.fetch_max(self.next_event(), Relaxed);
    }

    fn failed(&self) {
        self.last_failure.fetch_max(self.next_event(), Relaxed);
    }

    fn next_event(&self) -> u64 {
        self.events.fetch_add(1, Relaxed) + 1
    }

    /// True when a write succeeded within `within` and none has failed since; false when the latest news
    /// is a failure or too old to tell (a probe write must then decide).
    fn wrote_recently(&self, within: Duration) -> bool {
        let fresh =
            now_ms() - self.last_ok_ms.load(Relaxed) < i64::try_from(within.as_millis()).unwrap_or(i64::MAX);
        fresh && self.last_ok.load(Relaxed) > self.last_failure.load(Relaxed)
    }
}

/// Whether a failed write says something about the storage (full, unwritable, unreachable, too slow)
/// rather than about the data (a constraint, a missing row), which is an ordinary answer.
fn is_storage_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::RowNotFound => false,
        sqlx::Error::Database(db_err) => !matches!(
            db_err.kind(),
            sqlx::error::ErrorKind::UniqueViolation
                | sqlx::error::ErrorKind::ForeignKeyViolation
                | sqlx::error::ErrorKind::NotNullViolation
                | sqlx::error::ErrorKind::CheckViolation
        ),
        _ => true,
    }
}

/// How often readiness checks may write to learn whether the database accepts writes.
pub const WRITE_PROBE_INTERVAL: Duration = Duration::from_secs(5);
/// A probe write that takes longer than this counts as failed (a readiness check must answer quickly).
const WRITE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The last outcome of [`Db::probe_write`], refreshed at most once per [`WRITE_PROBE_INTERVAL`], so that
/// frequent readiness probes do not each write. Concurrent checks share one probe write.
#[derive(Clone, Debug, Default)]
pub struct WriteProbe(std::sync::Arc<tokio::sync::Mutex<Option<ProbeOutcome>>>);

#[derive(Debug)]
struct ProbeOutcome {
    at: std::time::Instant,
    result: Result<(), String>,
}

impl WriteProbe {
    /// Whether the database accepted a write within the last interval; the reason when it did not.
    pub async fn check(&self, db: &Db) -> Result<(), String> {
        if let Db::Sqlite(_, gate) = db
            && gate.wrote_recently(WRITE_PROBE_INTERVAL)
        {
            return Ok(());
        }
        let mut last = self.0.lock().await;
        if let Some(outcome) = last.as_ref()
            && outcome.at.elapsed() < WRITE_PROBE_INTERVAL
        {
            return outcome.result.clone();
        }
        let result = match tokio::time::timeout(WRITE_PROBE_TIMEOUT, db.probe_write()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err(format!("no write within {WRITE_PROBE_TIMEOUT:?}")),
        };
        *last = Some(ProbeOutcome {
            at: std::time::Instant::now(),
            result: result.clone(),
        });
        result
    }
}

/// Runs `$body` with `$pool` bound to the configured backend's pool.
///
/// The body is compiled twice (once per backend), so it may use anything generic over sqlx's
/// `Database` — `query_as`, `fetch_*`, transactions — with the same SQL text.
#[macro_export]
macro_rules! dispatch {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, _) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub use dispatch;

/// Like [`dispatch!`], for code that writes: on SQLite it first waits for the [`WriteGate`] (failing with
/// [`sqlx::Error::PoolTimedOut`] when its turn does not come in time) and records how the write ended
/// (the body's value implements [`WriteOutcome`]). Never nest it (the gate is not re-entrant). A body
/// that ends early does so with a labelled block (`'write: { … break 'write Ok(false); … }`), never
/// `return`: a return leaves before the outcome is recorded, and the gate counts it as a failed write.
#[macro_export]
macro_rules! dispatch_write {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool, gate) => {
                let mut turn = gate.turn().await?;
                let result = $body;
                turn.finished(&result);
                result
            }
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub use dispatch_write;

/// Lets an enum stored as TEXT be bound as itself: `.bind(ProductStatus::OnSale)` writes the key that
/// `$key` returns, on either backend. A status is then spelled once, in its enum, and the SQL names it by
/// a placeholder; a literal status in SQL is a second spelling that can drift from the enum unnoticed.
#[macro_export]
macro_rules! text_column {
    ($ty:ty, $key:ident) => {
        impl<DB: ::sqlx::Database> ::sqlx::Type<DB> for $ty
        where
            str: ::sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as ::sqlx::Type<DB>>::type_info()
            }

            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as ::sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'q, DB: ::sqlx::Database> ::sqlx::Encode<'q, DB> for $ty
        where
            &'static str: ::sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as ::sqlx::Database>::ArgumentBuffer,
            ) -> Result<::sqlx::encode::IsNull, ::sqlx::error::BoxDynError> {
                ::sqlx::Encode::<'q, DB>::encode(self.$key(), buf)
            }
        }
    };
}
pub use text_column;

/// `('a', 'b')`: a constant set of enum keys written into SQL text, for the few queries that must
/// compare against literals (a partial index is used only when the query repeats its predicate, which
/// a placeholder cannot). Built from the enums at first use, so the keys are still written only there.
pub fn text_set(keys: impl IntoIterator<Item = &'static str>) -> String {
    let quoted: Vec<String> = keys
        .into_iter()
        .inspect(|key| debug_assert!(key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')))
        .map(|key| format!("'{key}'"))
        .collect();
    format!("({})", quoted.join(", "))
}

/// How long a request waits for a pooled connection before giving up (well inside a skill's deadline).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long SQLite waits on another writer's lock before reporting "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// How often a SQLite migration run that lost a race with another process is tried again.
const MIGRATE_RETRIES: u32 = 3;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl Db {
    /// Opens a pool for `url` (creating the SQLite file and its directory when missing).
    pub async fn connect(url: &DatabaseUrl, max_connections: u32) -> Result<Self, sqlx::Error> {
        if url.is_sqlite() {
            Self::connect_sqlite(url.expose(), max_connections).await
        } else {
            let options = PgConnectOptions::from_str(url.expose())?;
            Self::connect_postgres(options, max_connections).await
        }
    }

    async fn connect_sqlite(url: &str, max_connections: u32) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        if let Some(dir) = options.get_filename().parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_release(|conn, _| Box::pin(release_outside_transaction(conn)))
            .connect_with(options)
            .await?;
        Ok(Self::Sqlite(pool, WriteGate::default()))
    }

    /// Connects to PostgreSQL with explicit options (tests use them to pick a schema).
    pub async fn connect_postgres(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, sqlx::Error> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Self::Postgres(pool))
    }

    /// Applies the embedded migrations that have not run yet.
    ///
    /// PostgreSQL serialises concurrent runs with an advisory lock. SQLite has no such lock in sqlx, so two
    /// processes starting on a fresh file can race: each migration runs in its own transaction, and the
    /// loser fails on "table already exists" with nothing half-applied. It simply tries again and finds
    /// the winner's work recorded.
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Self::Sqlite(pool, _) => {
                let mut attempt = 0;
                loop {
                    match SQLITE_MIGRATIONS.run(pool).await {
                        Err(
                            sqlx::migrate::MigrateError::Execute(_)
                            | sqlx::migrate::MigrateError::ExecuteMigration(..),
                        ) if attempt < MIGRATE_RETRIES => {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        result => return result,
                    }
                }
            }
            Self::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await,
        }
    }

    /// A round trip to the database, for readiness checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        dispatch!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))
    }

    /// A small real write in its own transaction, committed: the only sure way to learn that the database
    /// still accepts writes (a full disk or a read-only file still answers every read). Called through a
    /// [`WriteProbe`], which spaces the writes out.
    pub async fn probe_write(&self) -> Result<(), sqlx::Error> {
        dispatch_write!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO write_probe (id, at_ms) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET at_ms = excluded.at_ms",
            )
            .bind(now_ms())
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        })
    }

    /// The pool's open connections, how many of them are idle, and its maximum (for the metrics).
    pub fn pool_usage(&self) -> (u32, u32, u32) {
        dispatch!(self, pool => (
            pool.size(),
            u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            pool.options().get_max_connections(),
        ))
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(..) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }
}

/// Keeps a SQLite connection out of the pool while it still counts itself inside a transaction.
///
/// A dropped transaction queues its `ROLLBACK`; the ping waits for it. When the disk is full or the file
/// unwritable, SQLite may already have rolled the transaction back itself, so that `ROLLBACK` fails and
/// sqlx keeps the connection's transaction depth at one: every later `BEGIN` on it would fail ("begin_with
/// at non-zero transaction depth") and the pool would hand out a dead connection long after the fault
/// cleared. Such a connection is closed instead (`Ok(false)`), and the pool opens a fresh one. The happy
/// path (committed or never in a transaction) costs nothing.
async fn release_outside_transaction(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a SQLite connection whose transaction could not be rolled back");
    }
    Ok(clean)
}

/// Starting a transaction that will write.
///
/// SQLite's default `BEGIN` takes the write lock only at the first write, and a second connection that
/// wants to upgrade then fails with "database is locked" without waiting. `BEGIN IMMEDIATE` takes the lock
/// up front, so writers queue on the busy timeout instead.
pub trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// True when `err` is a unique-constraint violation of `index` (PostgreSQL names the index; SQLite names
/// the column, given as `table.column`).
pub fn violates_unique(err: &sqlx::Error, index: &str, sqlite_column: &str) -> bool {
    let sqlx::Error::Database(db_err) = err else {
        return false;
    };
    db_err.is_unique_violation()
        && (db_err.constraint() == Some(index) || db_err.message().contains(sqlite_column))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io_failure() -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::other("disk full"))
    }

    #[tokio::test]
    async fn a_writer_that_cannot_get_its_turn_gives_up_and_counts_as_a_failure() {
        let gate = WriteGate::default();
        let mut first = gate.turn().await.unwrap();
        first.finished(&Ok::<(), sqlx::Error>(()));
        let waited = std::time::Instant::now();
        let second = gate.turn().await;
        assert!(matches!(second, Err(sqlx::Error::PoolTimedOut)));
        assert!(waited.elapsed() >= GATE_TIMEOUT);
        drop(first);
        // The success was recorded when `first` ended, after the timeout: the latest news is good.
        assert!(gate.wrote_recently(WRITE_PROBE_INTERVAL));
    }

    #[tokio::test]
    async fn recent_writes_settle_readiness_only_while_the_latest_one_succeeded() {
        let gate = WriteGate::default();
        assert!(!gate.wrote_recently(WRITE_PROBE_INTERVAL), "no news yet");

        gate.turn().await.unwrap().finished(&Ok::<u64, sqlx::Error>(1));
        assert!(gate.wrote_recently(WRITE_PROBE_INTERVAL));

        gate.turn().await.unwrap().finished(&Err::<u64, _>(io_failure()));
        assert!(
            !gate.wrote_recently(WRITE_PROBE_INTERVAL),
            "a storage failure is newer"
        );

        gate.turn()
            .await
            .unwrap()
            .finished(&Err::<u64, _>(sqlx::Error::RowNotFound));
        assert!(
            gate.wrote_recently(WRITE_PROBE_INTERVAL),
            "a missing row is an answer, not a storage failure"
        );

        drop(gate.turn().await.unwrap());
        assert!(
            !gate.wrote_recently(WRITE_PROBE_INTERVAL),
            "a write that left early (`?`) counts as failed"
        );
        assert!(!gate.wrote_recently(Duration::ZERO), "old news settles nothing");
    }
}
