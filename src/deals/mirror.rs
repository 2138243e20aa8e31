//! This process's copy of every source's snapshot.
//!
//! A skill call reads only this copy, so it never waits on Redis or a board. The copy is brought up to date
//! from the shared cache at most once per `DealsOptions::sync_every` (about a second), by one background
//! task at a time (see `Deals::view`); refreshes made by this instance land in it directly. When Redis is
//! down the copy simply stops changing, and the skill keeps answering from it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::sync::watch;

use super::shelf::Snapshot;

pub struct Mirror {
    snapshots: RwLock<HashMap<String, Arc<Snapshot>>>,
    epoch: Instant,
    /// Milliseconds after `epoch` (plus one) when the last sync finished; 0 before the first.
    synced_at: AtomicU64,
    syncing: AtomicBool,
    /// How many syncs have finished, for callers waiting on the first one.
    syncs: watch::Sender<u64>,
}

impl Default for Mirror {
    fn default() -> Self {
        Self {
            snapshots: RwLock::default(),
            epoch: Instant::now(),
            synced_at: AtomicU64::new(0),
            syncing: AtomicBool::new(false),
            syncs: watch::Sender::new(0),
        }
    }
}

impl Mirror {
    pub fn get(&self, source: &str) -> Option<Arc<Snapshot>> {
        let snapshots = self.snapshots.read().unwrap_or_else(|p| p.into_inner());
        snapshots.get(source).cloned()
    }

    /// Keeps `snapshot` unless the copy already holds one read at the same time or later (an instance that
    /// synced late must not replace newer deals with older ones). True when kept.
    pub fn offer(&self, snapshot: Arc<Snapshot>) -> bool {
        let mut snapshots = self.snapshots.write().unwrap_or_else(|p| p.into_inner());
        let newer = snapshots
            .get(&snapshot.source)
            .is_none_or(|held| held.fetched_at_ms < snapshot.fetched_at_ms);
        if newer {
            snapshots.insert(snapshot.source.clone(), snapshot);
        }
        newer
    }

    /// Claims the next sync when the last one finished at least `every` ago and none is running. The
    /// caller runs it and drops the returned guard when done.
    pub fn claim_sync(self: &Arc<Self>, every: Duration) -> Option<SyncClaim> {
        let last = self.synced_at.load(Ordering::Acquire);
        let due = last == 0 || self.now() >= last.saturating_add(millis(every));
        if !due || self.syncing.swap(true, Ordering::AcqRel) {
            return None;
        }
        Some(SyncClaim(self.clone()))
    }

    pub fn has_synced(&self) -> bool {
        *self.syncs.borrow() > 0
    }

    /// Waits up to `limit` for the first sync to finish (a cold instance may find Redis already full).
    pub async fn wait_first_sync(&self, limit: Duration) {
        let mut syncs = self.syncs.subscribe();
        let _ = tokio::time::timeout(limit, syncs.wait_for(|n| *n > 0)).await;
    }

    fn now(&self) -> u64 {
        millis(self.epoch.elapsed()).saturating_add(1)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The right to run one sync; dropping it records the sync as finished, even if the task failed.
pub struct SyncClaim(Arc<Mirror>);

impl Drop for SyncClaim {
    fn drop(&mut self) {
        let mirror = &self.0;
        mirror.synced_at.store(mirror.now(), Ordering::Release);
        mirror.syncing.store(false, Ordering::Release);
        mirror.syncs.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(at: i64) -> Arc<Snapshot> {
        Arc::new(Snapshot {
            source: "board".into(),
            fetched_at_ms: at,
            deals: vec![],
        })
    }

    #[test]
    fn only_a_newer_snapshot_replaces_the_copy() {
        let mirror = Mirror::default();
        assert!(mirror.offer(snapshot(10)));
        assert!(!mirror.offer(snapshot(5)));
        assert!(!mirror.offer(snapshot(10)));
        assert!(mirror.offer(snapshot(11)));
        assert_eq!(mirror.get("board").unwrap().fetched_at_ms, 11);
        assert!(mirror.get("other").is_none());
    }

    #[tokio::test]
    async fn one_sync_at_a_time_and_not_before_it_is_due() {
        let mirror = Arc::new(Mirror::default());
        let every = Duration::from_millis(50);
        assert!(!mirror.has_synced());
        let claim = mirror.claim_sync(every).expect("the first sync is due");
        assert!(mirror.claim_sync(every).is_none(), "one at a time");
        drop(claim);
        assert!(mirror.has_synced());
        assert!(mirror.claim_sync(every).is_none(), "not due yet");
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(mirror.claim_sync(every).is_some());
    }

    #[tokio::test]
    async fn waiting_for_the_first_sync_ends_when_it_finishes_or_at_the_limit() {
        let mirror = Arc::new(Mirror::default());
        let started = Instant::now();
        mirror.wait_first_sync(Duration::from_millis(30)).await;
        assert!(started.elapsed() >= Duration::from_millis(30));
        let claim = mirror.claim_sync(Duration::ZERO).unwrap();
        let waiter = {
            let mirror = mirror.clone();
            tokio::spawn(async move { mirror.wait_first_sync(Duration::from_secs(5)).await })
        };
        drop(claim);
        tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .expect("woken by the sync")
            .unwrap();
    }
}
