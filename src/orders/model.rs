//! Orders: the status machine of a Kakao Pay purchase and the shapes the store returns.

use std::fmt;

use crate::domain::ids::{MemberId, OrderId, ProductId};

/// Where an order stands. Stored as the key; the label is what users see.
///
/// ```text
/// pending ──approve sent──▶ approving ──Kakao: paid──▶ paid ──buyer──▶ buyer_confirmed ──seller──▶ completed
///    │                         │                        │
///    └── quit / failed / hold expired / ready failed ──▶ abandoned      └─ buyer cancels (no tracking yet)
///                                                          │                ▶ refund_pending ──▶ refunded
///                                                          └─ watched, Kakao: paid late ──▶ refund_pending
/// ```
///
/// `pending`, `approving`, `paid` and `buyer_confirmed` hold the product (see [`OrderStatus::holds_product`]).
/// An abandoned order whose approve went unanswered stays watched ([`ApprovalWatch`]): the payment may
/// still complete, and is then refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Created with its hold; the buyer is on Kakao Pay's page.
    Pending,
    /// Our approve call is in flight (or its answer was lost): the money may be moving.
    Approving,
    /// Paid; the seller ships and enters a tracking number.
    Paid,
    /// The buyer confirmed receipt; waiting for the seller.
    BuyerConfirmed,
    /// Both confirmed; the product is sold.
    Completed,
    /// The money must go back; written before the refund is asked for and kept until Kakao confirms it.
    RefundPending,
    /// The money went back.
    Refunded,
    /// No money was taken (the buyer quit, the payment failed, or the hold expired).
    Abandoned,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 8] = [
        Self::Pending,
        Self::Approving,
        Self::Paid,
        Self::BuyerConfirmed,
        Self::Completed,
        Self::RefundPending,
        Self::Refunded,
        Self::Abandoned,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approving => "approving",
            Self::Paid => "paid",
            Self::BuyerConfirmed => "buyer_confirmed",
            Self::Completed => "completed",
            Self::RefundPending => "refund_pending",
            Self::Refunded => "refunded",
            Self::Abandoned => "abandoned",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "결제 진행 중",
            Self::Approving => "결제 확인 중",
            Self::Paid => "결제완료",
            Self::BuyerConfirmed => "구매확정",
            Self::Completed => "거래완료",
            Self::RefundPending => "환불 처리 중",
            Self::Refunded => "주문취소(환불완료)",
            Self::Abandoned => "결제 취소",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key.trim())
    }

    /// The order keeps its product from anyone else (a partial unique index enforces one holder).
    pub fn holds_product(self) -> bool {
        matches!(
            self,
            Self::Pending | Self::Approving | Self::Paid | Self::BuyerConfirmed
        )
    }

    /// Money was taken and the trade is under way (what the buyer and seller act on).
    pub fn is_paid(self) -> bool {
        matches!(self, Self::Paid | Self::BuyerConfirmed | Self::Completed)
    }

    /// Unfinished business: a member with such an order cannot withdraw.
    pub fn is_open(self) -> bool {
        self.holds_product() || self == Self::RefundPending
    }
}

crate::db::text_column!(OrderStatus, key);

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Why an order was abandoned or refunded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// Kakao Pay could not start the payment.
    ReadyFailed,
    /// The buyer left Kakao Pay's page.
    Quit,
    /// Kakao Pay reported the payment failed.
    Failed,
    /// The hold ran out before the payment was approved.
    Expired,
    /// The buyer cancelled before shipping.
    BuyerCancelled,
    /// An administrator cancelled the order.
    AdminCancelled,
    /// Paid, but the product could no longer be sold to this buyer.
    Unavailable,
    /// Kakao Pay approved an amount other than the order's.
    AmountMismatch,
    /// Kakao Pay completed the payment after the order was closed (its hold had run out while Kakao Pay
    /// still said the buyer was paying).
    LateApproval,
}

impl CloseReason {
    pub const ALL: [CloseReason; 9] = [
        Self::ReadyFailed,
        Self::Quit,
        Self::Failed,
        Self::Expired,
        Self::BuyerCancelled,
        Self::AdminCancelled,
        Self::Unavailable,
        Self::AmountMismatch,
        Self::LateApproval,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::ReadyFailed => "ready_failed",
            Self::Quit => "quit",
            Self::Failed => "failed",
            Self::Expired => "expired",
            Self::BuyerCancelled => "buyer_cancelled",
            Self::AdminCancelled => "admin_cancelled",
            Self::Unavailable => "unavailable",
            Self::AmountMismatch => "amount_mismatch",
            Self::LateApproval => "late_approval",
        }
    }

    /// A short Korean explanation for buyers and sellers.
    pub fn label(self) -> &'static str {
        match self {
            Self::ReadyFailed => "결제를 시작하지 못했어요",
            Self::Quit => "구매자가 결제를 그만뒀어요",
            Self::Failed => "결제가 실패했어요",
            Self::Expired => "결제 시간이 지났어요",
            Self::BuyerCancelled => "구매자가 주문을 취소했어요",
            Self::AdminCancelled => "관리자가 주문을 취소했어요",
            Self::Unavailable => "상품을 더 이상 판매할 수 없어요",
            Self::AmountMismatch => "결제 금액이 주문과 달랐어요",
            Self::LateApproval => "결제 시간이 지난 뒤에 결제가 완료됐어요",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key.trim())
    }
}

crate::db::text_column!(CloseReason, key);

/// Whether an approve of the order is still unaccounted for.
///
/// An approve whose answer was lost may still complete at Kakao Pay after the order was closed. Such an
/// order is watched until Kakao Pay reports a final status, so a payment taken late is found and refunded
/// rather than kept for an order that no longer exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ApprovalWatch {
    /// Kakao Pay has not reported a final status yet; the reconciler keeps asking.
    Watching,
    /// Kakao Pay gave no final status for days; the reconciler stopped asking and an administrator must
    /// check the payment.
    GivenUp,
}

impl ApprovalWatch {
    pub const ALL: [ApprovalWatch; 2] = [Self::Watching, Self::GivenUp];

    pub fn key(self) -> &'static str {
        match self {
            Self::Watching => "watching",
            Self::GivenUp => "given_up",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.key() == key.trim())
    }
}

crate::db::text_column!(ApprovalWatch, key);

/// One order, with the names the views show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    /// The unguessable id in Kakao Pay's redirect URLs (and `partner_order_id`).
    pub reference: String,
    pub product_id: ProductId,
    pub buyer_id: MemberId,
    pub buyer_name: String,
    pub seller_id: MemberId,
    pub seller_name: String,
    pub item_name: String,
    pub amount: i64,
    pub status: OrderStatus,
    pub close_reason: Option<CloseReason>,
    pub tid: Option<String>,
    pub aid: Option<String>,
    pub payment_method: Option<String>,
    pub tracking_number: Option<String>,
    pub hold_expires_at: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub paid_at: Option<i64>,
    pub shipped_at: Option<i64>,
    pub buyer_confirmed_at: Option<i64>,
    pub completed_at: Option<i64>,
    pub closed_at: Option<i64>,
    /// Set while an approve's outcome is unknown (see [`ApprovalWatch`]).
    pub approval_watch: Option<ApprovalWatch>,
}

impl Order {
    /// Which side of the trade `member_id` is on, if any.
    pub fn party(&self, member_id: MemberId) -> Option<Party> {
        if member_id == self.buyer_id {
            Some(Party::Buyer)
        } else if member_id == self.seller_id {
            Some(Party::Seller)
        } else {
            None
        }
    }
}

/// A side of a trade.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Party {
    Buyer,
    Seller,
}

/// A Kakao Pay call recorded against an order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentEvent {
    pub id: i64,
    pub order_id: OrderId,
    /// `ready`, `approve`, `cancel` or `order`.
    pub call: String,
    /// `ok`, `rejected`, `unavailable`, `ambiguous` or `invalid`.
    pub outcome: String,
    /// Kakao Pay's status or error; may name its ids (tid, aid).
    pub detail: String,
    /// Won the call named or Kakao Pay reported; `None` when neither is known.
    pub amount: Option<i64>,
    pub elapsed_ms: i64,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.key()), Some(status));
        }
        for reason in CloseReason::ALL {
            assert_eq!(CloseReason::parse(reason.key()), Some(reason));
        }
        for watch in ApprovalWatch::ALL {
            assert_eq!(ApprovalWatch::parse(watch.key()), Some(watch));
        }
        assert_eq!(OrderStatus::parse("sold"), None);
        for sql in [
            include_str!("../../migrations/sqlite/0009_watch_unsettled_approvals.sql"),
            include_str!("../../migrations/postgres/0009_watch_unsettled_approvals.sql"),
        ] {
            assert!(sql.contains("CHECK (approval_watch IN ('watching', 'given_up'))"));
        }
    }

    #[test]
    fn holders_match_the_unique_index() {
        // migrations/*/0004_orders.sql: orders_one_holder_per_product.
        let holders: Vec<_> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.holds_product())
            .map(OrderStatus::key)
            .collect();
        assert_eq!(holders, ["pending", "approving", "paid", "buyer_confirmed"]);
        for sql in [
            include_str!("../../migrations/sqlite/0004_orders.sql"),
            include_str!("../../migrations/postgres/0004_orders.sql"),
        ] {
            assert!(sql.contains("WHERE status IN ('pending', 'approving', 'paid', 'buyer_confirmed');"));
        }
        assert!(OrderStatus::RefundPending.is_open() && !OrderStatus::RefundPending.holds_product());
        assert!(!OrderStatus::Refunded.is_open() && !OrderStatus::Abandoned.is_open());
    }
}
