//! The reconciler: a background task that settles orders nobody else will.
//!
//! - `pending` past its hold: the buyer never came back from Kakao Pay (or the approve redirect was
//!   lost before it reached us). Kakao Pay's status is asked: paid → recorded; anything else → released.
//!   No approve was ever sent for a pending order, so if Kakao cannot be asked, releasing is still safe.
//! - `approving` untouched for a while: our approve's answer was lost. Kakao's status decides; without an
//!   answer the order waits for the next pass.
//! - `refund_pending` untouched for a while: the refund is tried again (after asking whether an earlier
//!   one went through).
//!
//! Each order is first claimed with a conditional update of `updated_at`, so several instances running
//! the reconciler never work on the same order at once.

use std::time::Duration;

use super::model::{CloseReason, OrderStatus};
use super::payment::Payments;
use super::store;
use crate::db::now_ms;

/// Orders looked at per pass.
const BATCH: i64 = 100;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Holds released: the product is back on sale.
    pub released: usize,
    /// Payments found approved and recorded.
    pub paid: usize,
    /// Refunds confirmed.
    pub refunded: usize,
    /// Still unsettled (Kakao Pay could not say); retried next pass.
    pub left: usize,
}

impl Payments {
    /// One pass over the unsettled orders, now.
    pub async fn reconcile(&self) -> Result<Report, sqlx::Error> {
        self.reconcile_at(now_ms()).await
    }

    /// One pass as if the clock said `now` (tests move time forward instead of sleeping).
    pub async fn reconcile_at(&self, now: i64) -> Result<Report, sqlx::Error> {
        let db = self.db_handle();
        // An approve or cancel in flight finishes within a few timeouts; only older ones are stuck.
        let stale_before = now - self.stale_after_ms();
        let mut report = Report::default();
        for order in store::unsettled(db, now, stale_before, BATCH).await? {
            if !store::claim(db, order.id, order.status, order.updated_at).await? {
                continue;
            }
            match order.status {
                OrderStatus::Pending => match self.ask(&order).await {
                    Some(state) if state.is_paid() => {
                        let outcome =
                            store::mark_paid(db, order.id, OrderStatus::Pending, None, None).await?;
                        self.after_paid(&order, outcome).await?;
                    }
                    _ => {
                        self.abandon(order.id, OrderStatus::Pending, CloseReason::Expired)
                            .await?
                    }
                },
                OrderStatus::Approving => self.settle_approving(&order).await?,
                OrderStatus::RefundPending => {
                    self.refund(order.id).await?;
                }
                _ => {}
            }
            match store::get(db, order.id).await?.map(|o| o.status) {
                Some(OrderStatus::Abandoned) => report.released += 1,
                Some(OrderStatus::Paid) => report.paid += 1,
                Some(OrderStatus::Refunded) => report.refunded += 1,
                _ => report.left += 1,
            }
        }
        if report != Report::default() {
            tracing::info!(
                released = report.released,
                paid = report.paid,
                refunded = report.refunded,
                left = report.left,
                "payments reconciled"
            );
        }
        Ok(report)
    }
}

/// Runs [`Payments::reconcile`] every `every` until the process ends. Errors are logged; the next pass
/// tries again.
pub fn spawn(payments: Payments, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let result = payments.reconcile().await;
            crate::metrics::global().job_run("payment_reconcile", result.is_ok());
            if let Err(e) = result {
                tracing::warn!(error = %e, "payment reconciliation failed");
            }
        }
    })
}
