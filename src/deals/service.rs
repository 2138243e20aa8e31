//! [`Deals`]: the handle the application holds. Background refreshers read the boards into the shared
//! cache; skill calls read this process's copy and never wait on a board.
//!
//! How the pieces meet:
//!
//! - **Refresh** (one source): single-flight in this process (`in_flight`), skipped while the source's
//!   [`Breaker`] is open, and across instances guarded by the source's lock in the shared cache (`SET NX
//!   PX`, released only by its owner). Under the lock the shared snapshot is read first: if another instance
//!   refreshed within half an interval, nothing is fetched. A failure (site down, layout changed) keeps the
//!   previous snapshot and is written to the source's health. With the cache unreachable the lock cannot be
//!   taken; the refresh then reads the board anyway and keeps the result in this process only.
//! - **Refreshers**: one task per enabled source, on `refresh_secs` ± 10 %, sooner after a failure (at the
//!   breaker's pace). Started by `junggye serve` ([`Deals::spawn_refreshers`]), not by tests.
//! - **Skill reads** ([`Deals::view`]): memory only. At most once per `sync_every` one background task
//!   re-reads the shared snapshots into the copy. A cold process waits up to `cold_wait` for its first sync;
//!   a source still without data, or with data past its refresh time (stale-while-revalidate: shown with its
//!   age), gets a refresh started in the background — at most one per `trigger_gap`, never one per call.

use crate::deal_sources::DealSettings;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use super::breaker::{Breaker, BreakerPolicy};
use super::fetch::{FetchPolicy, Fetcher};
use super::refresh::{RefreshError, scrape};
use super::shelf::{Health, Shelf, ShelfError, Snapshot};
use super::view::{Part, View};
use crate::cache::Cache;
use crate::clock::now_ms;
use crate::deal_sources::DealSource;
use crate::images::NO_PHOTO_PATH;
use kakao_skill::WebUrl;

/// Timings and limits that are not configuration but differ in tests.
#[derive(Clone, Debug)]
pub struct DealsOptions {
    /// Goes in front of every cache key (tests sharing one Redis use a unique one).
    pub key_prefix: String,
    pub fetch: FetchPolicy,
    pub breaker: BreakerPolicy,
    /// Least time between two re-reads of the shared cache into this process's copy.
    pub sync_every: Duration,
    /// Longest a cold process waits for its first re-read before answering "loading".
    pub cold_wait: Duration,
    /// Least time between two refreshes of a source started by skill calls.
    pub trigger_gap: Duration,
    /// How long a source's lock lives; a refresh is cut off before it expires.
    pub lock_ttl: Duration,
}

impl Default for DealsOptions {
    fn default() -> Self {
        Self {
            key_prefix: String::new(),
            fetch: FetchPolicy::default(),
            breaker: BreakerPolicy::default(),
            sync_every: Duration::from_secs(1),
            cold_wait: Duration::from_millis(250),
            trigger_gap: Duration::from_secs(30),
            lock_ttl: Duration::from_secs(180),
        }
    }
}

/// Why the deal readers could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DealsError {
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("PUBLIC_URL: {0}")]
    PublicUrl(#[from] kakao_skill::text::BadUrl),
}

/// A source key that is not an enabled source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no enabled deal source is called {0:?}")]
pub struct UnknownSource(pub String);

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshOutcome {
    /// The board was read; the snapshot now holds this many deals.
    Refreshed { deals: usize },
    /// The board could not be read; the previous snapshot is kept.
    Failed(String),
    /// A refresh of this source is already running in this process.
    AlreadyRunning,
    /// Another instance holds the source's lock and is reading it.
    LockedElsewhere,
    /// Another instance refreshed it moments ago.
    Fresh,
    /// The source failed repeatedly; it is left alone for this long.
    BreakerOpen { retry_in: Duration },
    /// Hot deals are switched off (`DEALS_ENABLED=false`): no board is read, not even on request.
    Disabled,
}

impl RefreshOutcome {
    /// The outcome's name in the metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Refreshed { .. } => "refreshed",
            Self::Failed(_) => "failed",
            Self::AlreadyRunning => "already_running",
            Self::LockedElsewhere => "locked_elsewhere",
            Self::Fresh => "fresh",
            Self::BreakerOpen { .. } => "breaker_open",
            Self::Disabled => "disabled",
        }
    }
}

/// One source's health for operators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceHealth {
    pub key: String,
    pub name: String,
    /// As last written by whichever instance refreshed the source (this process's own record when the
    /// shared cache cannot be read).
    pub health: Health,
    /// When this process's breaker for the source is open: how long until it may be read again.
    pub breaker_open_for: Option<Duration>,
}

/// The hot-deal readers and their cache; cheap to clone.
#[derive(Clone)]
pub struct Deals {
    inner: Arc<Inner>,
}

struct Inner {
    enabled: bool,
    sources: Vec<SourceState>,
    fetcher: Fetcher,
    shelf: Shelf,
    mirror: Arc<super::mirror::Mirror>,
    options: DealsOptions,
    placeholder: WebUrl,
    /// Distinguishes this process's lock tokens from other instances'.
    instance: String,
    store_down: AtomicBool,
    epoch: Instant,
}

struct SourceState {
    source: Arc<DealSource>,
    in_flight: AtomicBool,
    breaker: Mutex<Breaker>,
    /// Milliseconds after `epoch` (plus one) of the last refresh a skill call started; 0 for never.
    last_trigger: AtomicU64,
    /// This process's record, used when the shared one cannot be read.
    health: Mutex<Health>,
}

impl Deals {
    pub fn new(
        settings: &DealSettings,
        public_url: &str,
        cache: Cache,
        options: DealsOptions,
    ) -> Result<Self, DealsError> {
        let sources = settings
            .sources
            .iter()
            .filter(|s| s.enabled)
            .map(|source| SourceState {
                source: Arc::new(source.clone()),
                in_flight: AtomicBool::new(false),
                breaker: Mutex::new(Breaker::new(options.breaker)),
                last_trigger: AtomicU64::new(0),
                health: Mutex::new(Health {
                    source: source.key.clone(),
                    ..Health::default()
                }),
            })
            .collect();
        Ok(Self {
            inner: Arc::new(Inner {
                enabled: settings.enabled,
                sources,
                fetcher: Fetcher::new(&settings.user_agent, options.fetch)?,
                shelf: Shelf::new(cache, &options.key_prefix),
                mirror: Arc::default(),
                placeholder: WebUrl::parse(&format!("{public_url}{NO_PHOTO_PATH}"))?,
                instance: uuid::Uuid::new_v4().simple().to_string(),
                store_down: AtomicBool::new(false),
                epoch: Instant::now(),
                options,
            }),
        })
    }

    /// Whether hot deals are on (`DEALS_ENABLED`) with at least one enabled source.
    pub fn is_enabled(&self) -> bool {
        self.inner.enabled && !self.inner.sources.is_empty()
    }

    /// The enabled sources, in the file's order.
    pub fn sources(&self) -> impl Iterator<Item = &DealSource> {
        self.inner.sources.iter().map(|s| s.source.as_ref())
    }

    pub fn has_source(&self, key: &str) -> bool {
        self.state(key).is_some()
    }

    /// The image shown on a deal without a thumbnail (commerce cards need one).
    pub fn placeholder(&self) -> &WebUrl {
        &self.inner.placeholder
    }

    /// Starts one refresher per enabled source (nothing when hot deals are off).
    pub fn spawn_refreshers(&self) -> Vec<JoinHandle<()>> {
        if !self.is_enabled() {
            return Vec::new();
        }
        (0..self.inner.sources.len())
            .map(|index| {
                let deals = self.clone();
                tokio::spawn(async move { deals.run_refresher(index).await })
            })
            .collect()
    }

    /// Reads `source` (or every enabled source) now, even if the data is fresh or the breaker open, and
    /// waits for the outcome. For operators; the lock still keeps two instances from reading at once.
    pub async fn refresh_now(
        &self,
        source: Option<&str>,
    ) -> Result<Vec<(String, RefreshOutcome)>, UnknownSource> {
        let indexes: Vec<usize> = match source {
            Some(key) => vec![self.index(key)?],
            None => (0..self.inner.sources.len()).collect(),
        };
        let tasks: Vec<_> = indexes
            .into_iter()
            .map(|index| {
                let deals = self.clone();
                let key = self.inner.sources[index].source.key.clone();
                (
                    key,
                    tokio::spawn(async move { deals.refresh_at(index, true).await }),
                )
            })
            .collect();
        let mut outcomes = Vec::with_capacity(tasks.len());
        for (key, task) in tasks {
            let outcome = task
                .await
                .unwrap_or_else(|e| RefreshOutcome::Failed(format!("refresh task failed: {e}")));
            outcomes.push((key, outcome));
        }
        Ok(outcomes)
    }

    /// What a refresher does on each tick: reads `source` unless its data is fresh, its breaker open, or
    /// another refresh of it is under way here or elsewhere.
    pub async fn refresh_due(&self, source: &str) -> Result<RefreshOutcome, UnknownSource> {
        let index = self.index(source)?;
        Ok(self.refresh_at(index, false).await)
    }

    /// Every enabled source's health.
    pub async fn health(&self) -> Vec<SourceHealth> {
        let mut out = Vec::with_capacity(self.inner.sources.len());
        for state in &self.inner.sources {
            let key = &state.source.key;
            let shared = match self.inner.shelf.health(key).await {
                Ok(found) => found,
                Err(error) => {
                    self.shelf_failed(&error);
                    None
                }
            };
            let health = shared.unwrap_or_else(|| lock(&state.health).clone());
            let remaining = lock(&state.breaker).remaining(Instant::now());
            out.push(SourceHealth {
                key: key.clone(),
                name: state.source.name.clone(),
                health,
                breaker_open_for: (!remaining.is_zero()).then_some(remaining),
            });
        }
        out
    }

    /// The deals of `filter` (or of every enabled source), from this process's copy; see the module
    /// documentation for what it starts in the background.
    pub async fn view(&self, filter: Option<&str>) -> View {
        self.sync_if_due();
        let inner = &self.inner;
        if !inner.mirror.has_synced() {
            inner.mirror.wait_first_sync(inner.options.cold_wait).await;
        }
        let now = now_ms();
        let mut view = View::default();
        for (index, state) in inner.sources.iter().enumerate() {
            if filter.is_some_and(|key| key != state.source.key) {
                continue;
            }
            let Some(snapshot) = inner.mirror.get(&state.source.key) else {
                if lock(&state.health).consecutive_failures > 0 {
                    view.failing += 1;
                } else {
                    view.waiting += 1;
                }
                self.trigger(index);
                continue;
            };
            let age = age(now, snapshot.fetched_at_ms);
            if age > stale_after(&state.source) {
                view.stale_age = view.stale_age.max(Some(age));
                self.trigger(index);
            }
            view.parts.push(Part {
                source: state.source.clone(),
                snapshot,
            });
        }
        view
    }

    fn state(&self, key: &str) -> Option<&SourceState> {
        self.inner.sources.iter().find(|s| s.source.key == key)
    }

    fn index(&self, key: &str) -> Result<usize, UnknownSource> {
        self.inner
            .sources
            .iter()
            .position(|s| s.source.key == key)
            .ok_or_else(|| UnknownSource(key.to_owned()))
    }

    async fn run_refresher(&self, index: usize) {
        loop {
            let outcome = self.refresh_at(index, false).await;
            let wait = self.next_wait(index, &outcome);
            tracing::debug!(
                source = %self.inner.sources[index].source.key,
                ?outcome,
                next_in_s = wait.as_secs(),
                "deal refresher tick"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// The refresher's pause: the interval with jitter (so instances and sources spread out), or after a
    /// failure the breaker's pace, at least a minute (never longer than the interval) apart.
    fn next_wait(&self, index: usize, outcome: &RefreshOutcome) -> Duration {
        let state = &self.inner.sources[index];
        let every = state.source.politeness.refresh();
        match outcome {
            RefreshOutcome::Failed(_) | RefreshOutcome::BreakerOpen { .. } => {
                let soon = every.min(Duration::from_secs(60));
                lock(&state.breaker).remaining(Instant::now()).max(soon)
            }
            _ => every.mul_f64(0.9 + 0.2 * random_unit()),
        }
    }

    /// Starts a background refresh of a source a skill call found empty or stale, unless one runs, the
    /// breaker is open, or a skill call started one within `trigger_gap`.
    fn trigger(&self, index: usize) {
        let state = &self.inner.sources[index];
        if state.in_flight.load(Ordering::Acquire) || !lock(&state.breaker).allows(Instant::now()) {
            return;
        }
        let now = millis(self.inner.epoch.elapsed()).saturating_add(1);
        let last = state.last_trigger.load(Ordering::Acquire);
        if last != 0 && now.saturating_sub(last) < millis(self.inner.options.trigger_gap) {
            return;
        }
        if state
            .last_trigger
            .compare_exchange(last, now, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return;
        }
        let deals = self.clone();
        tokio::spawn(async move {
            let outcome = deals.refresh_at(index, false).await;
            tracing::debug!(source = %deals.inner.sources[index].source.key, ?outcome, "deal refresh asked by a skill call");
        });
    }

    /// Re-reads the shared snapshots into this process's copy, in the background, when due.
    fn sync_if_due(&self) {
        let Some(claim) = self.inner.mirror.claim_sync(self.inner.options.sync_every) else {
            return;
        };
        let deals = self.clone();
        tokio::spawn(async move {
            deals.sync().await;
            drop(claim);
        });
    }

    async fn sync(&self) {
        for state in &self.inner.sources {
            match self.inner.shelf.snapshot(&state.source.key).await {
                Ok(Some(snapshot)) => {
                    self.inner.mirror.offer(Arc::new(snapshot));
                }
                Ok(None) => {}
                Err(error) => {
                    // The next source's read would fail the same way, slowly.
                    self.shelf_failed(&error);
                    return;
                }
            }
        }
        self.store_ok();
    }

    async fn refresh_at(&self, index: usize, force: bool) -> RefreshOutcome {
        let outcome = if self.inner.enabled {
            self.refresh_unmetered(index, force).await
        } else {
            RefreshOutcome::Disabled
        };
        crate::metrics::global().deal_refresh(&self.inner.sources[index].source.key, outcome.label());
        outcome
    }

    async fn refresh_unmetered(&self, index: usize, force: bool) -> RefreshOutcome {
        let state = &self.inner.sources[index];
        let Some(_flight) = Flight::take(&state.in_flight) else {
            return RefreshOutcome::AlreadyRunning;
        };
        if !force {
            let remaining = lock(&state.breaker).remaining(Instant::now());
            if !remaining.is_zero() {
                return RefreshOutcome::BreakerOpen { retry_in: remaining };
            }
        }
        let key = &state.source.key;
        let token = format!("{}:{}", self.inner.instance, uuid::Uuid::new_v4().simple());
        let shelf = &self.inner.shelf;
        let locked = match shelf.try_lock(key, &token, self.inner.options.lock_ttl).await {
            Ok(true) => true,
            Ok(false) => return RefreshOutcome::LockedElsewhere,
            Err(error) => {
                self.shelf_failed(&error);
                tracing::warn!(source = %key, "deal cache unreachable: reading the board without the lock");
                false
            }
        };
        let outcome = self.refresh_locked(state, force).await;
        if locked && let Err(error) = shelf.unlock(key, &token).await {
            // The lock expires by itself.
            self.shelf_failed(&error);
        }
        outcome
    }

    async fn refresh_locked(&self, state: &SourceState, force: bool) -> RefreshOutcome {
        let inner = &self.inner;
        let source = &state.source;
        let previous = self.latest_snapshot(&source.key).await;
        let half_interval = source.politeness.refresh() / 2;
        if !force
            && let Some(previous) = &previous
            && age(now_ms(), previous.fetched_at_ms) < half_interval
        {
            return RefreshOutcome::Fresh;
        }
        let started_ms = now_ms();
        let budget = inner.options.lock_ttl.mul_f64(0.8);
        let result = tokio::time::timeout(budget, scrape(&inner.fetcher, source, previous.as_deref()))
            .await
            .unwrap_or(Err(RefreshError::Budget));
        let mut health = self.shared_health(state).await;
        health.last_attempt_ms = Some(started_ms);
        let outcome = match result {
            Ok(deals) => {
                let snapshot = Snapshot {
                    source: source.key.clone(),
                    fetched_at_ms: started_ms,
                    deals,
                };
                health.last_success_ms = Some(started_ms);
                health.item_count = snapshot.deals.len();
                health.consecutive_failures = 0;
                lock(&state.breaker).success();
                if let Err(error) = inner.shelf.put_snapshot(&snapshot).await {
                    self.shelf_failed(&error);
                }
                let deals = snapshot.deals.len();
                inner.mirror.offer(Arc::new(snapshot));
                tracing::info!(source = %source.key, deals, "deal source refreshed");
                RefreshOutcome::Refreshed { deals }
            }
            Err(error) => {
                health.last_error = Some(error.to_string());
                health.last_error_kind = Some(error.kind());
                health.last_error_ms = Some(started_ms);
                health.consecutive_failures = health.consecutive_failures.saturating_add(1);
                health.item_count = previous.as_ref().map_or(0, |p| p.deals.len());
                lock(&state.breaker).failure(Instant::now(), error.retry_after());
                tracing::warn!(source = %source.key, %error, "deal source refresh failed; previous deals kept");
                RefreshOutcome::Failed(error.to_string())
            }
        };
        *lock(&state.health) = health.clone();
        if let Err(error) = inner.shelf.put_health(&health).await {
            self.shelf_failed(&error);
        }
        outcome
    }

    /// The newer of the shared snapshot and this process's copy (the copy is all there is while the
    /// shared cache is unreachable); the shared one is taken into the copy.
    async fn latest_snapshot(&self, key: &str) -> Option<Arc<Snapshot>> {
        match self.inner.shelf.snapshot(key).await {
            Ok(Some(shared)) => {
                self.inner.mirror.offer(Arc::new(shared));
            }
            Ok(None) => {}
            Err(error) => self.shelf_failed(&error),
        }
        self.inner.mirror.get(key)
    }

    /// The shared health record (another instance may have written it last), else this process's.
    async fn shared_health(&self, state: &SourceState) -> Health {
        match self.inner.shelf.health(&state.source.key).await {
            Ok(Some(shared)) => shared,
            Ok(None) => lock(&state.health).clone(),
            Err(error) => {
                self.shelf_failed(&error);
                lock(&state.health).clone()
            }
        }
    }

    /// Logs the cache going away once, not on every call while it is away.
    fn shelf_failed(&self, error: &ShelfError) {
        if !self.inner.store_down.swap(true, Ordering::AcqRel) {
            tracing::warn!(%error, "deal cache unreachable; serving this process's copy");
        }
    }

    fn store_ok(&self) {
        if self.inner.store_down.swap(false, Ordering::AcqRel) {
            tracing::info!("deal cache reachable again");
        }
    }
}

/// Marks a source's refresh as running; cleared when dropped, even if the refresh panicked.
struct Flight<'a>(&'a AtomicBool);

impl<'a> Flight<'a> {
    fn take(flag: &'a AtomicBool) -> Option<Self> {
        (!flag.swap(true, Ordering::AcqRel)).then_some(Self(flag))
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Data older than its refresh interval and a half missed a refresh: shown with its age, and refreshed.
fn stale_after(source: &DealSource) -> Duration {
    source.politeness.refresh().mul_f64(1.5)
}

fn age(now_ms: i64, at_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(now_ms.saturating_sub(at_ms)).unwrap_or(0))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// A number in [0, 1) that differs between calls and processes; enough to spread timers apart.
fn random_unit() -> f64 {
    use std::hash::BuildHasher;
    let bits = std::collections::hash_map::RandomState::new().hash_one(Instant::now());
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_never_go_negative_and_stale_means_half_an_interval_late() {
        assert_eq!(age(1_000, 2_000), Duration::ZERO);
        assert_eq!(age(2_500, 1_000), Duration::from_millis(1_500));
        let source = &crate::deals::shipped_sources().unwrap()[0];
        assert_eq!(stale_after(source), Duration::from_secs(900));
    }

    #[test]
    fn random_units_stay_in_range() {
        for _ in 0..100 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r));
        }
    }

    #[test]
    fn a_flight_is_single_and_ends_when_dropped() {
        let flag = AtomicBool::new(false);
        let first = Flight::take(&flag).expect("free");
        assert!(Flight::take(&flag).is_none());
        drop(first);
        assert!(Flight::take(&flag).is_some());
    }
}
