//! Every `clientExtra` key our answers write and our skills read, declared once.
//!
//! Kakao hands a block quick reply's or button's `extra` back to the skill it opens as `clientExtra`. Our
//! answers write it and our skills read it, so each key is named here and nowhere else: a button and the
//! skill it opens cannot drift apart. It is still user input (anyone can post a payload), so every reader
//! parses what it gets.

use kakao_skill::Extra;

/// A key of `clientExtra`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// An owner's status change: the action's key (`products::StatusAction`).
    Action,
    /// A category's key.
    Category,
    /// [`CONFIRM_YES`] on the second step of an action that cannot be undone.
    Confirm,
    /// Where the next page starts ("더보기").
    Cursor,
    /// A price offer (its id).
    OfferId,
    /// The caller's own registration preview.
    DraftId,
    /// The product status the seller saw when the button was made (a stale button then fails).
    From,
    /// A watched keyword, as the member typed it (its remove button).
    Keyword,
    /// Another member (the one to block or unblock).
    MemberId,
    OrderId,
    ProductId,
    /// Why a list was opened ([`PURPOSE_REGISTER`]: to pick a category for a new product).
    Purpose,
    /// A search carried to its next page.
    Query,
    /// An alert choice to apply ([`alerts`](crate::kakao::alerts): `alerts_on`, `alerts_off`, `night_on`,
    /// `night_off`).
    Set,
    /// The price (won) the seller saw when the button was made: a price change from a stale screen fails.
    SeenPrice,
    /// A deal board's key (a filter of the hot-deals list).
    Source,
    /// A status filter of the seller's own list.
    Status,
    /// A review's verdict: `good` or `bad`.
    Rating,
    /// A review's tag (`reviews::Tag`), or `none`.
    Tag,
    /// Why a member reports (`reports::Reason`).
    Reason,
    /// A direct trade (flow A: a reserved product sold to the member its seller named), to review.
    TradeId,
}

impl Key {
    /// The key as it appears in `clientExtra`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Action => "action",
            Self::Category => "category",
            Self::Confirm => "confirm",
            Self::Cursor => "cursor",
            Self::OfferId => "offerId",
            Self::DraftId => "draftId",
            Self::From => "from",
            Self::Keyword => "keyword",
            Self::MemberId => "memberId",
            Self::OrderId => "orderId",
            Self::ProductId => "productId",
            Self::Purpose => "purpose",
            Self::Query => "query",
            Self::Set => "set",
            Self::SeenPrice => "seenPrice",
            Self::Source => "source",
            Self::Status => "status",
            Self::Rating => "rating",
            Self::Tag => "tag",
            Self::Reason => "reason",
            Self::TradeId => "tradeId",
        }
    }
}

/// The value of [`Key::Confirm`] that confirms.
pub const CONFIRM_YES: &str = "yes";
/// The value of [`Key::Purpose`] of a category list opened to register a product.
pub const PURPOSE_REGISTER: &str = "register";

/// Writing `clientExtra` by [`Key`].
pub trait ExtraKeys {
    /// Adds `key = value`.
    fn put(self, key: Key, value: impl std::fmt::Display) -> Self;
}

impl ExtraKeys for Extra {
    fn put(self, key: Key, value: impl std::fmt::Display) -> Self {
        self.with(key.name(), value)
    }
}

/// An `Extra` holding one `key = value`.
pub fn extra(key: Key, value: impl std::fmt::Display) -> Extra {
    Extra::new().put(key, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_has_its_own_name() {
        let all = [
            Key::Action,
            Key::Category,
            Key::Confirm,
            Key::Cursor,
            Key::OfferId,
            Key::MemberId,
            Key::Rating,
            Key::Tag,
            Key::Reason,
            Key::TradeId,
            Key::DraftId,
            Key::From,
            Key::Keyword,
            Key::OrderId,
            Key::ProductId,
            Key::Purpose,
            Key::Query,
            Key::Set,
            Key::SeenPrice,
            Key::Source,
            Key::Status,
        ];
        let names: std::collections::HashSet<_> = all.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), all.len());
    }
}
