//! How much memory photo decoding may hold at once, across every user of the process.
//!
//! A photo's file size says little about what decoding it costs: a 249 KB PNG can declare 5656×5656
//! pixels of 16-bit RGBA, 256 MB once decoded, and six of them decoding side by side took the server to
//! 1.8 GB. Counting downloads per photo set does not help, because every preview is its own set. So each
//! decode first reserves its estimated cost (priced from the header by
//! [`DecodePlan`](super::thumbnail::DecodePlan)) from one budget shared by the whole process: a photo that
//! alone costs more than the budget is refused, and the others wait their turn (first come, first served)
//! instead of decoding at the same time. The budget is a weighted semaphore whose permits are KiB.

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Memory all decodes together may hold: with the server's own 40–90 MB this keeps the process near
/// 300 MB however many hostile photos arrive, and a 12 MP phone photo (about 100 MB with its working
/// copies) still decodes.
pub const DECODE_BUDGET_BYTES: u64 = 160 * 1024 * 1024;

/// Longest a decode waits for its share of the budget. A queue that long means far more photos than the
/// server can take in; the seller is told to try again rather than left with photos pending for minutes
/// (and the downloaded files held in memory meanwhile).
pub const DECODE_MAX_WAIT: Duration = Duration::from_secs(60);

const KIB: u64 = 1024;

/// Why a decode was not given its share of the budget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shortfall {
    /// The photo alone needs more than the whole budget: it can never be decoded.
    MoreThanBudget { budget_bytes: u64 },
    /// The budget stayed taken by other decodes for longer than the budget's wait limit.
    Busy,
}

/// A share of the budget, given back when dropped (after the decode, whether it succeeded or not).
#[derive(Debug)]
pub struct Reservation {
    _permit: OwnedSemaphorePermit,
}

/// A memory budget that decodes reserve from before they start.
#[derive(Debug)]
pub struct DecodeBudget {
    permits: Arc<Semaphore>,
    capacity_kib: u32,
    max_wait: Duration,
}

static SHARED: LazyLock<DecodeBudget> =
    LazyLock::new(|| DecodeBudget::new(DECODE_BUDGET_BYTES, DECODE_MAX_WAIT));

impl DecodeBudget {
    /// A budget of `bytes` (rounded down to whole KiB, at least one) where a decode waits at most
    /// `max_wait` for its share.
    pub fn new(bytes: u64, max_wait: Duration) -> Self {
        let capacity_kib = u32::try_from(bytes / KIB).unwrap_or(u32::MAX).max(1);
        Self {
            permits: Arc::new(Semaphore::new(capacity_kib as usize)),
            capacity_kib,
            max_wait,
        }
    }

    /// The process's budget ([`DECODE_BUDGET_BYTES`], [`DECODE_MAX_WAIT`]), shared by every pipeline.
    pub fn shared() -> &'static DecodeBudget {
        &SHARED
    }

    /// The whole budget, in bytes.
    pub fn capacity(&self) -> u64 {
        u64::from(self.capacity_kib) * KIB
    }

    /// What is not reserved right now, in bytes.
    pub fn available(&self) -> u64 {
        self.permits.available_permits() as u64 * KIB
    }

    /// Waits until `bytes` (rounded up to whole KiB) are free and reserves them; refuses at once what
    /// exceeds the whole budget, and gives up after the wait limit.
    pub async fn reserve(&self, bytes: u64) -> Result<Reservation, Shortfall> {
        let kib = bytes.div_ceil(KIB).max(1);
        let kib = match u32::try_from(kib) {
            Ok(kib) if kib <= self.capacity_kib => kib,
            _ => {
                return Err(Shortfall::MoreThanBudget {
                    budget_bytes: self.capacity(),
                });
            }
        };
        let acquire = Arc::clone(&self.permits).acquire_many_owned(kib);
        match tokio::time::timeout(self.max_wait, acquire).await {
            Ok(Ok(permit)) => Ok(Reservation { _permit: permit }),
            // The semaphore is never closed; treat it like a full queue rather than panic.
            Ok(Err(_)) | Err(_) => Err(Shortfall::Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    #[tokio::test]
    async fn reservations_past_the_budget_wait_until_earlier_ones_are_given_back() {
        let budget = Arc::new(DecodeBudget::new(100 * MB, Duration::from_secs(5)));
        let first = budget.reserve(60 * MB).await.unwrap();
        assert_eq!(budget.available(), 40 * MB);

        let waiting = tokio::spawn({
            let budget = Arc::clone(&budget);
            async move { budget.reserve(60 * MB).await.map(|_held| ()) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !waiting.is_finished(),
            "two 60 MB decodes must not run side by side"
        );
        drop(first);
        waiting.await.unwrap().expect("runs once the first is done");
        assert_eq!(budget.available(), 100 * MB, "everything given back");
    }

    #[tokio::test]
    async fn a_decode_larger_than_the_whole_budget_is_refused_without_waiting() {
        let budget = DecodeBudget::new(100 * MB, Duration::from_secs(60));
        let _other = budget.reserve(90 * MB).await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(
            budget.reserve(100 * MB + 1).await.unwrap_err(),
            Shortfall::MoreThanBudget {
                budget_bytes: 100 * MB
            }
        );
        assert_eq!(
            budget.reserve(u64::MAX).await.unwrap_err(),
            Shortfall::MoreThanBudget {
                budget_bytes: 100 * MB
            }
        );
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[tokio::test]
    async fn a_decode_that_waits_too_long_gives_up_and_holds_nothing() {
        let budget = DecodeBudget::new(100 * MB, Duration::from_millis(100));
        let held = budget.reserve(80 * MB).await.unwrap();
        let started = std::time::Instant::now();
        assert_eq!(budget.reserve(50 * MB).await.unwrap_err(), Shortfall::Busy);
        assert!(started.elapsed() >= Duration::from_millis(100));
        assert_eq!(budget.available(), 20 * MB, "the one that gave up took nothing");
        drop(held);
        assert!(budget.reserve(100 * MB).await.is_ok());
    }

    #[test]
    fn the_shared_budget_is_the_documented_one() {
        assert_eq!(DecodeBudget::shared().capacity(), DECODE_BUDGET_BYTES);
    }
}
