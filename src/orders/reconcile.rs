//! The reconciler: a background task that settles orders nobody else will.
//!
//! - `pending` past its hold: the buyer never came back from Kakao Pay (or the approve redirect was
//!   lost before it reached us). Kakao Pay's status is asked: paid → recorded; anything else → released.
//!   Unless an approve of it went unanswered, no approve of ours can complete for a pending order, so if
//!   Kakao cannot be asked, releasing is still safe; one that went unanswered stays watched (below).
//! - `approving` untouched for a while: our approve's answer was lost, so the order is watched from now
//!   on. Kakao's status decides; without an answer the order waits for the next pass.
//! - `refund_pending` untouched for a while: the refund is tried again (after asking whether an earlier
//!   one went through).
//! - `abandoned` and watched: its hold ended while Kakao Pay was still deciding on an approve whose
//!   answer we never got. Kakao Pay is asked again a minute after the order closed, then after waits as
//!   long as the order has been closed (at most an hour): a payment completed after all is refunded
//!   ([`CloseReason::LateApproval`]); a final status without money ends the watch; with nothing final
//!   after three days the reconciler stops asking, warns, and leaves the order `given_up` for an
//!   administrator.
//!
//! Each order is first claimed with a conditional update of `updated_at` (for a watched order together
//! with its next look), so several instances running the reconciler never work on the same order at once.
//!
//! The same loop ([`spawn`]) also confirms purchases whose buyer never did ([`super::auto_confirm`]).

use std::time::Duration;

use super::model::{ApprovalWatch, CloseReason, Order, OrderStatus};
use super::payment::Payments;
use super::store::{self, Watch};
use crate::clock::now_ms;
use crate::db::Db;
use crate::domain::ids::OrderId;
use crate::kakaopay::PaymentState;

/// Orders looked at per pass.
const BATCH: i64 = 100;

/// The shortest wait between two looks at a watched order (also the wait before the first one).
const SHORTEST_WAIT_MS: i64 = 60_000;
/// The longest wait between two looks at a watched order.
const LONGEST_WAIT_MS: i64 = 3_600_000;
/// How long after its close a watched order is asked about before the reconciler gives up: far longer
/// than Kakao Pay takes to finish an approve, long enough to outlast an outage of its status lookup.
const GIVE_UP_AFTER_MS: i64 = 3 * 24 * 3_600_000;

/// When a watched order closed at `closed_at` and asked about at `now` is asked about next: after a wait
/// as long as it has been closed, so the looks thin out as a late payment grows less likely, bounded by
/// [`SHORTEST_WAIT_MS`] and [`LONGEST_WAIT_MS`].
pub(super) fn next_look(closed_at: i64, now: i64) -> i64 {
    now + (now - closed_at).clamp(SHORTEST_WAIT_MS, LONGEST_WAIT_MS)
}

/// The first look at a watched order closing at `closed_at`.
pub(super) fn first_look(closed_at: i64) -> i64 {
    next_look(closed_at, closed_at)
}

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
    /// Closed orders whose unanswered approve Kakao Pay has still not decided; asked about again later.
    pub watching: usize,
    /// Closed orders the reconciler stopped asking about; marked for an administrator.
    pub given_up: usize,
}

impl Report {
    /// Counts what became of an order that was `before` when the pass took it, and is `after` now.
    fn count(&mut self, before: OrderStatus, after: Option<&Order>) {
        let Some(after) = after else {
            self.left += 1;
            return;
        };
        match (before, after.status) {
            (OrderStatus::Abandoned, OrderStatus::Abandoned) => match after.approval_watch {
                Some(ApprovalWatch::Watching) => self.watching += 1,
                Some(ApprovalWatch::GivenUp) => self.given_up += 1,
                // Kakao Pay said no money was taken: nothing to report.
                None => {}
            },
            (_, OrderStatus::Abandoned) => self.released += 1,
            (_, OrderStatus::Paid) => self.paid += 1,
            (_, OrderStatus::Refunded) => self.refunded += 1,
            _ => self.left += 1,
        }
    }
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
            if !self.claim(&order, now).await? {
                continue;
            }
            match order.status {
                OrderStatus::Pending => self.settle_expired_hold(&order, now).await?,
                OrderStatus::Approving => self.settle_approving(&order, true).await?,
                OrderStatus::RefundPending => {
                    self.refund(order.id).await?;
                }
                OrderStatus::Abandoned => self.settle_late_approval(&order, now).await?,
                _ => {}
            }
            report.count(order.status, store::get(db, order.id).await?.as_ref());
        }
        if report != Report::default() {
            tracing::info!(
                released = report.released,
                paid = report.paid,
                refunded = report.refunded,
                left = report.left,
                watching = report.watching,
                given_up = report.given_up,
                "payments reconciled"
            );
        }
        Ok(report)
    }

    /// Takes `order` for this pass, unless another reconciler already did. A watched order's next look is
    /// scheduled by the same update, so it is not listed again before then, whatever this pass does.
    async fn claim(&self, order: &Order, now: i64) -> Result<bool, sqlx::Error> {
        let db = self.db_handle();
        match order.status {
            OrderStatus::Abandoned => {
                let next = next_look(closed_at(order), now);
                store::claim_watch(db, order.id, order.updated_at, next).await
            }
            status => store::claim(db, order.id, status, order.updated_at).await,
        }
    }

    /// A pending order past its hold: recorded if Kakao Pay says it was paid, released otherwise. An
    /// unanswered approve keeps it watched unless Kakao Pay's status is final.
    async fn settle_expired_hold(&self, order: &Order, now: i64) -> Result<(), sqlx::Error> {
        let from = OrderStatus::Pending;
        let watch = match self.ask(order).await {
            Some(state) if state.is_paid() => {
                let (db, catalog, outbox) = (self.db_handle(), self.catalog(), self.outbox());
                let outcome = store::mark_paid(db, catalog, outbox, order.id, from, None, None).await?;
                return self.after_paid(order, outcome).await;
            }
            Some(state) if state.is_abandoned() || state.is_cancelled() => Watch::End,
            _ => Watch::AskAgainAt(first_look(now)),
        };
        self.abandon(order.id, from, CloseReason::Expired, watch).await
    }

    /// A closed, watched order: asks Kakao Pay whether the unanswered approve went through after all.
    async fn settle_late_approval(&self, order: &Order, now: i64) -> Result<(), sqlx::Error> {
        let db = self.db_handle();
        match self.ask(order).await {
            Some(state) if state.is_paid() => self.refund_late_payment(order.id).await,
            Some(state) if state.is_abandoned() || state.is_cancelled() => {
                end_watch(db, order.id, &state).await
            }
            _ if now - closed_at(order) >= GIVE_UP_AFTER_MS => give_up_watch(db, order.id).await,
            // Not final, unknown, or no answer: the claim already scheduled the next look.
            _ => Ok(()),
        }
    }

    /// Kakao Pay took the money for an order that no longer exists: it goes back, once.
    async fn refund_late_payment(&self, id: OrderId) -> Result<(), sqlx::Error> {
        if store::begin_late_refund(self.db_handle(), id).await? {
            tracing::warn!(order = id.get(), "paid after the order closed; refunding");
            self.refund(id).await?;
        }
        Ok(())
    }
}

/// Kakao Pay's status is final and no money was taken: the closed order needs no more looks.
async fn end_watch(db: &Db, id: OrderId, state: &PaymentState) -> Result<(), sqlx::Error> {
    if store::end_watch(db, id).await? {
        tracing::info!(order = id.get(), status = %state, "no late payment; watch ended");
    }
    Ok(())
}

/// Days without a final status: stop asking, and say so loudly (the order stays marked `given_up`).
async fn give_up_watch(db: &Db, id: OrderId) -> Result<(), sqlx::Error> {
    if store::give_up_watch(db, id).await? {
        tracing::warn!(
            order = id.get(),
            "Kakao Pay never gave a final status for a closed order's unanswered approve; \
             stopped asking, an administrator must check the payment"
        );
    }
    Ok(())
}

/// When a closed order closed (abandoning always sets `closed_at`; `updated_at` is a safe stand-in).
fn closed_at(order: &Order) -> i64 {
    order.closed_at.unwrap_or(order.updated_at)
}

/// Runs [`Payments::reconcile`] and then [`Payments::auto_confirm`](super::auto_confirm) every `every`
/// until the process ends. Errors are logged; the next pass tries again.
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
            let result = payments.auto_confirm().await;
            crate::metrics::global().job_run("auto_confirm", result.is_ok());
            if let Err(e) = result {
                tracing::warn!(error = %e, "auto-confirmation failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: i64 = 60_000;

    #[test]
    fn looks_thin_out_to_one_an_hour() {
        let closed = 1_000_000;
        assert_eq!(first_look(closed), closed + MINUTE);
        // Each wait as long as the order has been closed: a look at 5 minutes waits 5 more.
        assert_eq!(next_look(closed, closed + 5 * MINUTE), closed + 10 * MINUTE);
        // Never less than a minute apart, never more than an hour.
        assert_eq!(next_look(closed, closed + 1_000), closed + 1_000 + MINUTE);
        assert_eq!(next_look(closed, closed + 600 * MINUTE), closed + 660 * MINUTE);
    }

    #[test]
    fn three_days_of_looks_stay_few() {
        let closed = 0;
        let mut at = first_look(closed);
        let mut looks = 0;
        while at - closed < GIVE_UP_AFTER_MS {
            looks += 1;
            at = next_look(closed, at);
        }
        // About six doublings to an hour, then hourly to 72 hours.
        assert!((70..=80).contains(&looks), "{looks}");
    }
}
