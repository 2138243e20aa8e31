//! Products: categories, the status state machine, and the shapes the store returns.

use std::fmt;

use crate::domain::ids::{MemberId, ProductId};

/// The ten categories of the market. The key is stored and carried in `clientExtra`; the label is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    Fashion,
    Appliances,
    Furniture,
    Beauty,
    Tickets,
    Digital,
    Books,
    Hobby,
    Sports,
    Etc,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Fashion,
        Category::Appliances,
        Category::Furniture,
        Category::Beauty,
        Category::Tickets,
        Category::Digital,
        Category::Books,
        Category::Hobby,
        Category::Sports,
        Category::Etc,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Fashion => "fashion",
            Self::Appliances => "appliances",
            Self::Furniture => "furniture",
            Self::Beauty => "beauty",
            Self::Tickets => "tickets",
            Self::Digital => "digital",
            Self::Books => "books",
            Self::Hobby => "hobby",
            Self::Sports => "sports",
            Self::Etc => "etc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Fashion => "패션/잡화",
            Self::Appliances => "생활가전",
            Self::Furniture => "가구/인테리어",
            Self::Beauty => "뷰티/미용",
            Self::Tickets => "티켓/교환권",
            Self::Digital => "디지털기기",
            Self::Books => "도서",
            Self::Hobby => "취미/게임/음반",
            Self::Sports => "스포츠/레저",
            Self::Etc => "기타",
        }
    }

    /// Reads a category from its key or its label (users and old buttons may send either).
    pub fn parse(input: &str) -> Option<Self> {
        let input = input.trim();
        Self::ALL
            .into_iter()
            .find(|c| c.key() == input || c.label() == input)
    }
}

crate::db::text_column!(Category, key);

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Where a product is in its life. Stored as the key; the label is what users see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProductStatus {
    OnSale,
    Reserved,
    Hidden,
    /// A buyer is paying (a hold with an expiry).
    PendingPayment,
    /// Paid; waiting for shipping and both confirmations.
    AwaitingCompletion,
    Sold,
    Deleted,
}

impl ProductStatus {
    pub const ALL: [ProductStatus; 7] = [
        ProductStatus::OnSale,
        ProductStatus::Reserved,
        ProductStatus::Hidden,
        ProductStatus::PendingPayment,
        ProductStatus::AwaitingCompletion,
        ProductStatus::Sold,
        ProductStatus::Deleted,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::OnSale => "on_sale",
            Self::Reserved => "reserved",
            Self::Hidden => "hidden",
            Self::PendingPayment => "pending_payment",
            Self::AwaitingCompletion => "awaiting_completion",
            Self::Sold => "sold",
            Self::Deleted => "deleted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OnSale => "판매중",
            Self::Reserved => "예약중",
            Self::Hidden => "숨김",
            Self::PendingPayment => "결제 진행 중",
            Self::AwaitingCompletion => "판매대기",
            Self::Sold => "판매완료",
            Self::Deleted => "삭제됨",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == key.trim())
    }

    /// The statuses shown in browse lists and search (everyone sees these).
    pub const LISTED: [ProductStatus; 2] = [ProductStatus::OnSale, ProductStatus::Reserved];

    /// Shown in browse lists and search (everyone sees these).
    pub fn is_listed(self) -> bool {
        Self::LISTED.contains(&self)
    }

    /// A product in this state is shown in detail to people other than its seller.
    pub fn is_public(self) -> bool {
        !matches!(self, Self::Hidden | Self::Deleted)
    }

    /// Where an owner's action leads from this state; `None` when the state machine forbids it.
    /// Payment states are left only through the payment flow, never by hand.
    pub fn after(self, action: StatusAction) -> Option<ProductStatus> {
        use ProductStatus::*;
        use StatusAction::*;
        Some(match (self, action) {
            (OnSale, Hide) => Hidden,
            (OnSale, Reserve) => Reserved,
            (OnSale, MarkSold) => Sold,
            (OnSale, Delete) => Deleted,
            (Hidden, Show) => OnSale,
            (Hidden, Delete) => Deleted,
            (Reserved, Unreserve) => OnSale,
            (Reserved, MarkSold) => Sold,
            (Sold, Delete) => Deleted,
            _ => return None,
        })
    }

    /// The actions an owner may take now, in the order they are offered.
    pub fn actions(self) -> Vec<StatusAction> {
        StatusAction::ALL
            .into_iter()
            .filter(|a| self.after(*a).is_some())
            .collect()
    }
}

crate::db::text_column!(ProductStatus, key);

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What an owner can do to a product's status by hand (`clientExtra.action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StatusAction {
    Hide,
    Show,
    Reserve,
    Unreserve,
    MarkSold,
    Delete,
}

impl StatusAction {
    pub const ALL: [StatusAction; 6] = [
        StatusAction::Reserve,
        StatusAction::Unreserve,
        StatusAction::MarkSold,
        StatusAction::Hide,
        StatusAction::Show,
        StatusAction::Delete,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Self::Hide => "hide",
            Self::Show => "show",
            Self::Reserve => "reserve",
            Self::Unreserve => "unreserve",
            Self::MarkSold => "sold",
            Self::Delete => "delete",
        }
    }

    /// The quick-reply label offering the action.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hide => "숨기기",
            Self::Show => "다시 판매하기",
            Self::Reserve => "예약중으로",
            Self::Unreserve => "예약 취소",
            Self::MarkSold => "판매완료",
            Self::Delete => "삭제",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key.trim())
    }
}

/// A product as the detail view needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Product {
    pub id: ProductId,
    pub seller_id: MemberId,
    pub seller_name: String,
    pub name: String,
    pub price: i64,
    pub description: String,
    pub category: Category,
    pub location: String,
    pub open_chat_url: String,
    pub status: ProductStatus,
    pub photos: Vec<Photo>,
    pub photos_state: PhotosState,
    /// How many photos the seller sent (0 without a photo set).
    pub photos_requested: usize,
    /// The seller's photos that were not stored, in upload order, with why (shown to the seller only).
    pub photo_failures: Vec<PhotoFailure>,
    /// Why the market holds it off the lists, when it does (its status is then `hidden`).
    pub held: Option<super::holds::Hold>,
    pub created_at: i64,
}

/// A product as a list card needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct ProductSummary {
    pub id: ProductId,
    pub seller_id: MemberId,
    pub name: String,
    pub price: i64,
    pub category: Category,
    pub status: ProductStatus,
    pub seller_name: String,
    /// The first photo's square thumbnail, when the photos are ready.
    pub cover_thumb_key: Option<String>,
    pub created_at: i64,
    /// When it was registered or last bumped (끌어올리기): the lists' order.
    pub listed_at: i64,
}

/// One stored photo of a product.
#[derive(Clone, Debug, PartialEq)]
pub struct Photo {
    pub original_key: String,
    pub thumb_key: String,
    pub width: u32,
    pub height: u32,
}

/// One of the seller's photos that was not stored, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhotoFailure {
    /// Its place among the photos the seller sent, from 0 (shown as "1번째 사진").
    pub position: usize,
    /// The kind of failure ([`ImageError::reason`](crate::images::ImageError::reason)).
    pub reason: String,
    /// What the seller is told (the failure's Korean sentence, as it was when the photo failed).
    pub message: String,
}

/// Photos are downloaded after the skill answers; this says how far that got.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotosState {
    None,
    Pending,
    Ready,
    Failed,
}

impl PhotosState {
    pub fn key(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    pub fn parse(key: Option<&str>) -> Self {
        match key {
            Some("pending") => Self::Pending,
            Some("ready") => Self::Ready,
            Some("failed") => Self::Failed,
            _ => Self::None,
        }
    }
}

crate::db::text_column!(PhotosState, key);

/// Where a price offer (가격 제안, [`crate::offers`]) on a product stands. It is declared with the product
/// because a product's own changes end its offers (sold or deleted: `store::change_status`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfferStatus {
    Pending,
    Accepted,
    Declined,
    Withdrawn,
}

impl OfferStatus {
    pub fn key(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        [Self::Pending, Self::Accepted, Self::Declined, Self::Withdrawn]
            .into_iter()
            .find(|s| s.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "답을 기다리는 중",
            Self::Accepted => "수락됨",
            Self::Declined => "거절됨",
            Self::Withdrawn => "끝남",
        }
    }
}

crate::db::text_column!(OfferStatus, key);

/// One page of a list, and the cursor of the next page when there is one (an id, unless the list says
/// otherwise).
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T, C = i64> {
    pub items: Vec<T>,
    pub next: Option<C>,
}

/// Where a page of a product list ends: the last product's `listed_at` and its id. Lists are ordered by
/// `listed_at` (registration or the last bump), so a bumped product moves up without a page repeating or
/// skipping the others; the id orders products listed in the same millisecond.
///
/// It travels through the chat as text (`clientExtra.cursor`), which the user controls; [`ListCursor::parse`]
/// accepts only what [`fmt::Display`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListCursor {
    pub listed_at: i64,
    pub id: i64,
}

impl ListCursor {
    /// Before every product: the first page.
    pub const START: ListCursor = ListCursor {
        listed_at: i64::MAX,
        id: i64::MAX,
    };

    pub fn after(product: &ProductSummary) -> Self {
        Self {
            listed_at: product.listed_at,
            id: product.id.get(),
        }
    }

    /// Reads `listed_at.id` (e.g. `1767225600000.42`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let (listed_at, id) = text.trim().split_once('.')?;
        let number = |part: &str| -> Option<i64> {
            let digits = !part.is_empty() && part.len() <= 19 && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        };
        let cursor = Self {
            listed_at: number(listed_at)?,
            id: number(id)?,
        };
        (cursor.id > 0).then_some(cursor)
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.listed_at, self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_cursor_reads_back_only_what_it_writes() {
        let cursor = ListCursor {
            listed_at: 1_767_225_600_000,
            id: 42,
        };
        assert_eq!(cursor.to_string(), "1767225600000.42");
        assert_eq!(ListCursor::parse(&cursor.to_string()), Some(cursor));
        for bad in [
            "",
            "42",
            "1.0",
            "-1.2",
            "1.-2",
            "a.b",
            "1.2.3",
            "1 .2",
            "99999999999999999999.1",
        ] {
            assert_eq!(ListCursor::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_owner_state_machine_matches_the_market_rules() {
        use ProductStatus::*;
        use StatusAction::*;
        assert_eq!(OnSale.actions(), [Reserve, MarkSold, Hide, Delete]);
        assert_eq!(Hidden.actions(), [Show, Delete]);
        assert_eq!(Reserved.actions(), [Unreserve, MarkSold]);
        assert_eq!(Sold.actions(), [Delete]);
        for frozen in [PendingPayment, AwaitingCompletion, Deleted] {
            assert!(
                frozen.actions().is_empty(),
                "{frozen:?} is left only by the payment flow"
            );
        }
    }

    #[test]
    fn keys_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.key()), Some(c));
            assert_eq!(Category::parse(c.label()), Some(c));
        }
        for s in ProductStatus::ALL {
            assert_eq!(ProductStatus::parse(s.key()), Some(s));
        }
        for a in StatusAction::ALL {
            assert_eq!(StatusAction::parse(a.key()), Some(a));
        }
        assert_eq!(Category::parse("가전"), None);
    }
}
