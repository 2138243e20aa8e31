//! Telling people when something happens: trade notices about a member's own orders, and the alerts a
//! member asked for (키워드 알림, 찜), sent through Kakao's Event API.
//!
//! - [`model`]: what a notice is about ([`Kind`]), whether it is a trade notice or an alert ([`Class`]), and
//!   where a row stands ([`State`]).
//! - [`outbox`]: the [`Outbox`] handle and the inserts the market's stores run inside their own write
//!   transactions, so a change and its notice commit together or not at all.
//! - [`sender`]: the background task that hands due notices to Kakao, with the manners (quiet hours,
//!   caps, opt-out) and the care with money (no retry of what Kakao may already have).
//! - [`store`]: the sender's queries, the event skill's lookup, members' alert choices.
//! - [`hours`]: KST days and the hours alerts may be sent in.

pub mod hours;
pub mod model;
pub mod outbox;
pub mod sender;
pub mod store;

pub use model::{Class, Kind, State};
pub use outbox::Outbox;
pub use sender::Sender;
