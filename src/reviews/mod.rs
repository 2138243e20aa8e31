//! 거래 후기 (reviews): after a completed trade each party may leave one review of the other — good or
//! bad, and what it was about. A member's profile and the seller line of their products show how many
//! reviews they have and the share of good ones.
//!
//! The rules are conditions of the insert: a completed order, the reviewer one of its parties, the
//! reviewee the other, no block between them, and one review per order and reviewer (a unique key, so
//! two submissions at once write one).

pub mod store;

pub use store::{Summary, Tag, Written};
