//! The Kakao face: everything that speaks to Kakao's bot engine.
//!
//! - [`runtime`]: how a skill call becomes a handler call and always comes back as a valid answer
//!   ([`SkillCall`], [`skill`]); [`guard`] checks the shared secret before any of it; [`replies`] are the
//!   answers every skill shares (apologies, the main menu); [`crate::blocks`] maps our block keys to Open Builder's.
//! - One module per area of the market — [`members`], [`products`], [`orders`], [`notices`], [`deals`],
//!   [`watch`] (키워드 알림 and 찜) —
//!   holds its skill handlers and how its things look in KakaoTalk (cards). Handlers parse input with the
//!   [`crate::domain`] parsers, call the market core, and build answers with the `kakao_skill` builders.
//! - [`extra`]: every `clientExtra` key our answers write and our skills read, declared once.
//! - [`validation`]: Open Builder's parameter-validation skills, with the same parsers.
//!
//! Nothing below this module imports it: the market core knows nothing of Kakao.

pub mod alerts;
pub mod blocking;
pub mod chat;
pub mod deals;
pub mod extra;
pub mod guard;
pub mod members;
pub mod notices;
pub mod offers;
pub mod orders;
pub mod products;
pub mod replies;
pub mod reports;
pub mod reviews;
pub mod runtime;
pub mod validation;
pub mod watch;

pub use crate::blocks::{Block, Nav};
pub use runtime::{SkillCall, SkillError, SkillResult, not_a_skill_call, skill};
