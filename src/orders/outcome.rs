//! Where a buyer stands after a payment step, as the payment service reports it.

use super::model::{CloseReason, Order, OrderStatus};

/// What the buyer's browser is told after a payment step: one variant per situation, with what it needs
/// to say. The browser face ([`crate::pages`]) renders it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PayOutcome {
    LinkExpired,
    LinkInvalid,
    LinkUsed,
    /// Not on sale any more (someone else is paying, or it was sold, hidden or deleted).
    Unavailable,
    PriceChanged,
    NotMember,
    /// Kakao Pay could not start the payment; nothing was taken.
    PayUnavailable,
    /// Payments are not configured on this server.
    PaymentsOff,
    NotFound,
    /// Not approved; the buyer may try again while the order is open.
    NotApproved,
    /// The outcome is being confirmed with Kakao Pay.
    Checking,
    /// Kakao Pay says the buyer is still paying.
    StillOpen,
    Paid {
        item: String,
        amount: i64,
    },
    Refunding {
        item: String,
        reason: Option<CloseReason>,
    },
    Refunded {
        item: String,
        reason: Option<CloseReason>,
    },
    Abandoned {
        reason: Option<CloseReason>,
    },
    /// Closed while an approve was still unanswered: Kakao Pay may yet take the money, which then goes back.
    ClosedWhileChecking,
}

impl PayOutcome {
    /// The page describing an order's current state.
    pub fn for_order(order: &Order) -> Self {
        let item = order.item_name.clone();
        match order.status {
            OrderStatus::Pending => Self::NotApproved,
            OrderStatus::Approving => Self::Checking,
            OrderStatus::Paid | OrderStatus::BuyerConfirmed | OrderStatus::Completed => Self::Paid {
                item,
                amount: order.amount,
            },
            OrderStatus::RefundPending => Self::Refunding {
                item,
                reason: order.close_reason,
            },
            OrderStatus::Refunded => Self::Refunded {
                item,
                reason: order.close_reason,
            },
            OrderStatus::Abandoned if order.approval_watch.is_some() => Self::ClosedWhileChecking,
            OrderStatus::Abandoned => Self::Abandoned {
                reason: order.close_reason,
            },
        }
    }
}
