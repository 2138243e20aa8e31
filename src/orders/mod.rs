//! Buying with Kakao Pay (trade flow B): orders, the payment flow, the reconciler, and the order skills.
//!
//! - [`link`]: signed single-use payment links (`/pay/{token}`).
//! - [`payment`]: ready → approve → refund against Kakao Pay, written so money and rows always agree.
//! - [`reconcile`]: the background task that settles what a lost answer left open.
//! - [`store`]: orders and payment events in the database (conditional updates only).
//! - [`routes`] and [`pages`]: the browser URLs and the pages they show.
//! - [`skills`]: purchases, sales, detail, tracking number, confirmations, cancel; [`actions`] decides
//!   who may do what when, and [`cards`] is how orders look in KakaoTalk.

pub mod actions;
pub mod cards;
pub mod link;
pub mod model;
pub mod pages;
pub mod payment;
pub mod reconcile;
pub mod routes;
pub mod skills;
pub mod store;

pub use model::{ApprovalWatch, CloseReason, Order, OrderStatus, Party};
pub use payment::Payments;
