//! 가격 제안 (offers): a member offers a price for someone else's product on sale; the seller accepts one,
//! which lets that buyer pay the offered price (their payment link binds it) and declines the others, or
//! declines it. A seller can turn offers off for a product.
//!
//! Every rule is a condition of the statement that writes: an offer is made only on a product on sale,
//! open to offers, not the buyer's own, below its price; of two acceptances at once the unique index on
//! accepted offers lets one win; the order opened at an offered price needs the accepted offer in the
//! same statement that holds the product (`orders::store::open`).

pub mod store;

pub use store::{Accepted, Decided, Made, Offer, OfferStatus};
