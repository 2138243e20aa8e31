//! What a notice is about, who it is for, and where its row stands.

/// What happened. Stored as the key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// To the seller: the buyer paid; enter the tracking number.
    OrderPaid,
    /// To the buyer: the seller entered a tracking number.
    TrackingEntered,
    /// To the buyer: the seller changed the tracking number.
    TrackingChanged,
    /// To the seller: the buyer confirmed the purchase; confirm the sale.
    PurchaseConfirmed,
    /// To the buyer: the seller confirmed the sale; the trade is complete.
    SaleConfirmed,
    /// To both: the order was cancelled and the payment is being refunded.
    OrderCancelled,
    /// To the buyer: the refund went through.
    RefundDone,
    /// To the buyer: the hold on a product ran out before the payment was finished.
    HoldExpired,
    /// To the buyer: the purchase confirms itself tomorrow unless they act.
    AutoConfirmSoon,
    /// To both: the purchase was confirmed automatically; the seller can now confirm the sale.
    AutoConfirmed,
    /// To a member watching a keyword: a new product matches it.
    KeywordMatch,
    /// To a member whose keyword alerts passed the daily allowance: how many more matched.
    KeywordDigest,
    /// To members who saved a product: its price went down.
    PriceDrop,
    /// To members who saved a product: it was sold.
    FavouriteSold,
    /// To members who saved a product: it is on sale again.
    FavouriteBack,
    /// To a seller: a member offered a price for their product.
    OfferReceived,
    /// To a buyer: the seller accepted their offer; they may pay the offered price.
    OfferAccepted,
    /// To a buyer: the seller declined their offer (or accepted another).
    OfferDeclined,
    /// To a party of a completed trade: the other party left a review.
    ReviewReceived,
}

impl Kind {
    pub const ALL: [Kind; 19] = [
        Self::OrderPaid,
        Self::TrackingEntered,
        Self::TrackingChanged,
        Self::PurchaseConfirmed,
        Self::SaleConfirmed,
        Self::OrderCancelled,
        Self::RefundDone,
        Self::HoldExpired,
        Self::AutoConfirmSoon,
        Self::AutoConfirmed,
        Self::KeywordMatch,
        Self::KeywordDigest,
        Self::PriceDrop,
        Self::FavouriteSold,
        Self::FavouriteBack,
        Self::OfferReceived,
        Self::OfferAccepted,
        Self::OfferDeclined,
        Self::ReviewReceived,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::OrderPaid => "order_paid",
            Self::TrackingEntered => "tracking_entered",
            Self::TrackingChanged => "tracking_changed",
            Self::PurchaseConfirmed => "purchase_confirmed",
            Self::SaleConfirmed => "sale_confirmed",
            Self::OrderCancelled => "order_cancelled",
            Self::RefundDone => "refund_done",
            Self::HoldExpired => "hold_expired",
            Self::AutoConfirmSoon => "auto_confirm_soon",
            Self::AutoConfirmed => "auto_confirmed",
            Self::KeywordMatch => "keyword_match",
            Self::KeywordDigest => "keyword_digest",
            Self::PriceDrop => "price_drop",
            Self::FavouriteSold => "favourite_sold",
            Self::FavouriteBack => "favourite_back",
            Self::OfferReceived => "offer_received",
            Self::OfferAccepted => "offer_accepted",
            Self::OfferDeclined => "offer_declined",
            Self::ReviewReceived => "review_received",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// Trade notices are about the member's own order and always go; alerts are closer to advertising
    /// and obey the member's choices, quiet hours and the daily cap.
    pub fn class(self) -> Class {
        match self {
            Self::KeywordMatch
            | Self::KeywordDigest
            | Self::PriceDrop
            | Self::FavouriteSold
            | Self::FavouriteBack => Class::Alert,
            _ => Class::Trade,
        }
    }
}

crate::db::text_column!(Kind, key);

/// How a notice is treated by the sender.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// About the member's own order: sent at any hour, past the daily cap, whatever the member's alert
    /// choice (a notice the member needs in order to finish a trade is not advertising).
    Trade,
    /// Something the member asked to watch: held outside 08:00–21:00 KST without consent, held for the
    /// next day past the daily cap, never sent to a member who turned alerts off.
    Alert,
}

/// Where a notification row stands (see the migration for the whole life of a row).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Waiting for its time (`not_before`).
    Queued,
    /// Claimed by one sender until `check_at`.
    Sending,
    /// Kakao took the job (`task_id`); its result is read at `check_at`.
    Accepted,
    /// Kakao reported it delivered, or the event block's skill showed it.
    Delivered,
    /// The answer to the send was lost: Kakao may have the job. Looked at again at `check_at`, and sent
    /// again only if it never showed.
    Unsure,
    /// Kakao refused it (`last_error` says why); not sent again.
    Failed,
    /// Not sent: the member left, or turned alerts off.
    Dropped,
    /// A keyword alert over the member's daily allowance, counted in that day's digest instead.
    Folded,
}

impl State {
    pub const ALL: [State; 8] = [
        Self::Queued,
        Self::Sending,
        Self::Accepted,
        Self::Delivered,
        Self::Unsure,
        Self::Failed,
        Self::Dropped,
        Self::Folded,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sending => "sending",
            Self::Accepted => "accepted",
            Self::Delivered => "delivered",
            Self::Unsure => "unsure",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
            Self::Folded => "folded",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key)
    }
}

crate::db::text_column!(State, key);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.key()), Some(kind));
        }
        for state in State::ALL {
            assert_eq!(State::parse(state.key()), Some(state));
        }
    }

    #[test]
    fn only_watched_things_are_alerts() {
        let alerts: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.class() == Class::Alert)
            .collect();
        assert_eq!(
            alerts,
            [
                Kind::KeywordMatch,
                Kind::KeywordDigest,
                Kind::PriceDrop,
                Kind::FavouriteSold,
                Kind::FavouriteBack
            ]
        );
    }
}
