//! What a buyer or seller may do with an order, and why not when they may not.
//!
//! One place for these rules, so the order detail offers exactly the actions the skills then accept, and a
//! refusal says the same thing wherever it comes from. The store's conditional updates enforce the same
//! rules again against races; these checks are for explaining, not for safety.

use super::model::{Order, OrderStatus, Party};

/// An order action a party takes from KakaoTalk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderAction {
    /// The seller enters or changes the tracking number.
    Tracking,
    /// The buyer confirms receipt.
    ConfirmPurchase,
    /// The buyer cancels (and is refunded) before the product is shipped.
    Cancel,
    /// The seller confirms after the buyer did; the trade completes.
    ConfirmSale,
}

impl OrderAction {
    pub const ALL: [OrderAction; 4] = [
        Self::Tracking,
        Self::ConfirmPurchase,
        Self::Cancel,
        Self::ConfirmSale,
    ];

    /// The quick-reply label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Tracking => "운송장 입력",
            Self::ConfirmPurchase => "구매확정",
            Self::Cancel => "주문 취소",
            Self::ConfirmSale => "판매확정",
        }
    }

    /// The only side of the trade that may take the action.
    pub fn party(self) -> Party {
        match self {
            Self::Tracking | Self::ConfirmSale => Party::Seller,
            Self::ConfirmPurchase | Self::Cancel => Party::Buyer,
        }
    }

    /// Whether `party` may take the action on `order` now; the error says why not, in Korean.
    pub fn check(self, order: &Order, party: Party) -> Result<(), String> {
        if party != self.party() {
            return Err(self.wrong_party().to_owned());
        }
        let shipped = order.tracking_number.is_some();
        let refusal = match (self, order.status) {
            (Self::Tracking, OrderStatus::Paid) => return Ok(()),
            (Self::ConfirmPurchase, OrderStatus::Paid) if shipped => return Ok(()),
            (Self::Cancel, OrderStatus::Paid) if !shipped => return Ok(()),
            (Self::ConfirmSale, OrderStatus::BuyerConfirmed) => return Ok(()),
            (Self::Tracking, OrderStatus::BuyerConfirmed | OrderStatus::Completed) => {
                "구매자가 구매확정한 주문은 운송장 번호를 바꿀 수 없어요."
            }
            (Self::ConfirmPurchase, OrderStatus::Paid) => {
                "판매자가 운송장 번호를 입력한 뒤에 구매확정할 수 있어요."
            }
            (Self::ConfirmPurchase, OrderStatus::BuyerConfirmed | OrderStatus::Completed) => {
                "이미 구매확정한 주문이에요."
            }
            (Self::Cancel, OrderStatus::Paid) => {
                "판매자가 이미 상품을 보냈어요(운송장 입력). 주문을 취소하려면 판매자와 먼저 이야기해 주세요."
            }
            (Self::Cancel, OrderStatus::BuyerConfirmed | OrderStatus::Completed) => {
                "구매확정한 주문은 취소할 수 없어요."
            }
            (Self::Cancel, OrderStatus::RefundPending | OrderStatus::Refunded) => "이미 취소된 주문이에요.",
            (Self::ConfirmSale, OrderStatus::Paid) => "구매자가 구매확정한 뒤에 판매확정할 수 있어요.",
            (Self::ConfirmSale, OrderStatus::Completed) => "이미 거래가 완료된 주문이에요.",
            _ => {
                return Err(format!(
                    "'{}' 상태인 주문이라 지금은 {}을(를) 할 수 없어요.",
                    order.status.label(),
                    self.label()
                ));
            }
        };
        Err(refusal.to_owned())
    }

    fn wrong_party(self) -> &'static str {
        match self {
            Self::Tracking => "운송장 번호는 판매자만 입력할 수 있어요.",
            Self::ConfirmPurchase => "구매확정은 구매자만 할 수 있어요.",
            Self::Cancel => "주문 취소는 구매자만 할 수 있어요.",
            Self::ConfirmSale => "판매확정은 판매자만 할 수 있어요.",
        }
    }
}

/// The actions `party` may take on `order` now, in [`OrderAction::ALL`] order.
pub fn available(order: &Order, party: Party) -> impl Iterator<Item = OrderAction> + '_ {
    OrderAction::ALL
        .into_iter()
        .filter(move |action| action.check(order, party).is_ok())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::ids::{MemberId, OrderId, ProductId};

    /// An order between member 10 (buyer) and 20 (seller), for tests of what is shown and allowed.
    pub(crate) fn order(status: OrderStatus, tracking: Option<&str>) -> Order {
        Order {
            id: OrderId::new(1),
            reference: "r".into(),
            product_id: ProductId::new(1),
            buyer_id: MemberId::new(10),
            buyer_name: "구매자".into(),
            seller_id: MemberId::new(20),
            seller_name: "판매자".into(),
            item_name: "자전거".into(),
            amount: 15_000,
            status,
            close_reason: None,
            tid: Some("T1".into()),
            aid: None,
            payment_method: None,
            tracking_number: tracking.map(str::to_owned),
            hold_expires_at: 0,
            created_at: 0,
            updated_at: 0,
            paid_at: None,
            shipped_at: None,
            buyer_confirmed_at: None,
            completed_at: None,
            closed_at: None,
            approval_watch: None,
        }
    }

    fn offered(status: OrderStatus, tracking: Option<&str>, party: Party) -> Vec<OrderAction> {
        available(&order(status, tracking), party).collect()
    }

    #[test]
    fn each_step_offers_exactly_the_next_action_to_the_right_party() {
        use OrderAction::*;
        use OrderStatus::*;
        assert_eq!(offered(Paid, None, Party::Seller), [Tracking]);
        assert_eq!(offered(Paid, None, Party::Buyer), [Cancel]);
        assert_eq!(offered(Paid, Some("123456789"), Party::Seller), [Tracking]);
        assert_eq!(offered(Paid, Some("123456789"), Party::Buyer), [ConfirmPurchase]);
        assert_eq!(
            offered(BuyerConfirmed, Some("123456789"), Party::Seller),
            [ConfirmSale]
        );
        assert!(offered(BuyerConfirmed, Some("123456789"), Party::Buyer).is_empty());
        for status in [Pending, Approving, Completed, RefundPending, Refunded, Abandoned] {
            for party in [Party::Buyer, Party::Seller] {
                assert!(offered(status, Some("123456789"), party).is_empty(), "{status:?}");
                assert!(offered(status, None, party).is_empty(), "{status:?}");
            }
        }
    }

    #[test]
    fn the_wrong_party_is_told_who_may() {
        let paid = order(OrderStatus::Paid, None);
        let refusal = OrderAction::Tracking.check(&paid, Party::Buyer).unwrap_err();
        assert!(refusal.contains("판매자만"), "{refusal}");
        let refusal = OrderAction::Cancel.check(&paid, Party::Seller).unwrap_err();
        assert!(refusal.contains("구매자만"), "{refusal}");
    }
}
