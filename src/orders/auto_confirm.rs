//! Auto-confirmation: a purchase the buyer never confirms confirms itself `AUTO_CONFIRM_DAYS` after the
//! tracking number was entered, so a trade does not stay open forever because a buyer forgot; the seller
//! can then confirm the sale.
//!
//! Run by the reconciler's loop ([`super::reconcile::spawn`]) on every instance. Each order is moved by a
//! conditional update (`paid` → `buyer_confirmed`, only while it is still `paid` and was shipped long
//! enough ago), so of several instances exactly one confirms it and tells the buyer and the seller, in
//! the same transaction.
//!
//! A day before, the buyer is warned once per shipment (the notice's dedupe key names the order and its
//! `shipped_at`; a changed tracking number moves `shipped_at`, and the new shipment is warned again). The
//! warning is only a notice: with notifications off there is nothing to do.

use std::time::Duration;

use super::model::{Order, OrderStatus};
use super::payment::Payments;
use super::store;
use crate::clock::now_ms;

/// Orders confirmed, and orders warned, per pass.
const BATCH: i64 = 100;

/// How long before the confirmation the buyer is warned.
const WARN_AHEAD_MS: i64 = 24 * 3_600_000;

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AutoConfirmReport {
    /// Buyers warned that their purchase confirms itself within a day.
    pub warned: usize,
    /// Purchases confirmed for their buyer.
    pub confirmed: usize,
}

/// When `order`'s purchase confirms itself unless the buyer confirms it first: `after` past its
/// shipment, while it is paid with a tracking number; `None` otherwise.
pub fn confirms_itself_at(order: &Order, after: Duration) -> Option<i64> {
    if order.status != OrderStatus::Paid || order.tracking_number.is_none() {
        return None;
    }
    Some(order.shipped_at? + millis(after))
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

impl Payments {
    /// When `order`'s purchase confirms itself (see [`confirms_itself_at`]).
    pub fn auto_confirms_at(&self, order: &Order) -> Option<i64> {
        confirms_itself_at(order, self.auto_confirm_after())
    }

    /// One pass: confirms what is due and warns what is due tomorrow, now.
    pub async fn auto_confirm(&self) -> Result<AutoConfirmReport, sqlx::Error> {
        self.auto_confirm_at(now_ms()).await
    }

    /// One pass as if the clock said `now` (tests move time forward instead of waiting days).
    ///
    /// Confirmations come first, so an order already past its time (the service was down) is confirmed,
    /// not warned about a confirmation that has happened.
    pub async fn auto_confirm_at(&self, now: i64) -> Result<AutoConfirmReport, sqlx::Error> {
        let (db, outbox) = (self.db_handle(), self.outbox());
        let confirm_before = now.saturating_sub(millis(self.auto_confirm_after()));
        let mut report = AutoConfirmReport::default();
        for id in store::auto_confirm_due(db, confirm_before, BATCH).await? {
            if store::auto_confirm(db, outbox, id, confirm_before, now).await? {
                report.confirmed += 1;
            }
        }
        if outbox.is_on() {
            let warn_before = confirm_before.saturating_add(WARN_AHEAD_MS);
            for shipment in store::auto_confirm_soon_due(db, warn_before, confirm_before, BATCH).await? {
                if store::warn_auto_confirm(db, outbox, &shipment, now).await? {
                    report.warned += 1;
                }
            }
        }
        if report != AutoConfirmReport::default() {
            tracing::info!(
                confirmed = report.confirmed,
                warned = report.warned,
                "purchases auto-confirmed"
            );
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::actions::tests::order;

    const WEEK: Duration = Duration::from_secs(7 * 86_400);

    #[test]
    fn only_a_shipped_paid_order_confirms_itself() {
        let mut shipped = order(OrderStatus::Paid, Some("123456789"));
        shipped.shipped_at = Some(1_000);
        assert_eq!(confirms_itself_at(&shipped, WEEK), Some(1_000 + 7 * 86_400_000));

        let mut unshipped = order(OrderStatus::Paid, None);
        unshipped.shipped_at = Some(1_000);
        assert_eq!(confirms_itself_at(&unshipped, WEEK), None);

        for status in OrderStatus::ALL.into_iter().filter(|s| *s != OrderStatus::Paid) {
            let mut other = order(status, Some("123456789"));
            other.shipped_at = Some(1_000);
            assert_eq!(confirms_itself_at(&other, WEEK), None, "{status:?}");
        }
    }
}
