//! What a member watches, to be told when it changes: keywords that new products are checked against
//! (키워드 알림), and the products they saved (찜).
//!
//! - [`keywords`]: at most [`keywords::MAX_KEYWORDS`] per member, one per needle (the lower-cased
//!   keyword), added under a lock on the member so two adds cannot pass the limit together.
//! - [`favourites`]: saving, removing and listing saved products, and how many saved one product.
//!
//! Who is alerted, and when, is decided where the change happens: `products::store` (registration, price,
//! status) writes the alerts through [`crate::notifications`], in the transaction of the change. These
//! stores only keep the lists the alerts are drawn from.

pub mod favourites;
pub mod keywords;
