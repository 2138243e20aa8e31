//! The watch skills: keywords a member is alerted about (키워드 알림) and the products they saved (찜).
//! Members only; each skill touches only the caller's own list.
//!
//! The alerts themselves are written by the changes they announce (`products::store`); these skills keep
//! the lists they are drawn from.

pub mod favourites;
pub mod keywords;
