//! Buying with Kakao Pay (trade flow B): orders, the payment flow and the reconciler. The order skills are
//! in [`crate::kakao::orders`], the browser pages around Kakao Pay in [`crate::pages`].
//!
//! - [`link`]: signed single-use payment links (`/pay/{token}`).
//! - [`payment`]: ready → approve → refund against Kakao Pay, written so money and rows always agree.
//! - [`reconcile`]: the background task that settles what a lost answer left open.
//! - [`auto_confirm`]: purchases that confirm themselves days after shipping, and the warning before.
//! - [`store`]: orders and payment events in the database (conditional updates only).
//! - [`actions`]: who may do what with an order when, and why not.

pub mod actions;
pub mod auto_confirm;
pub mod link;
pub mod model;
pub mod outcome;
pub mod payment;
pub mod reconcile;
pub mod store;

pub use model::{ApprovalWatch, CloseReason, Order, OrderStatus, Party};
pub use payment::Payments;
