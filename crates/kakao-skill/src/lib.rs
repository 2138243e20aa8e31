//! Kakao i Open Builder's skill protocol: read what Kakao's bot engine posts to a skill, and answer with
//! JSON that Kakao accepts — by construction.
//!
//! Kakao drops a skill answer that breaks any limit of its response format (a title one character too
//! long, an eleventh quick reply, a twelfth carousel card) and the user sees only an error. This crate
//! makes such answers unrepresentable. It knows nothing of any particular bot: use it for any Rust skill
//! server (axum, actix, lambda…); it depends only on `serde`, `serde_json`, `thiserror` and `tracing`.
//!
//! ```
//! use kakao_skill::{Button, QuickReply, SkillPayload, SkillResponse, TextCard};
//!
//! let payload = SkillPayload::from_slice(
//!     br#"{"userRequest":{"user":{"id":"u1","type":"botUserKey"},"utterance":"hi"}}"#,
//! )
//! .unwrap();
//! let card = TextCard::titled("안녕하세요")
//!     .description("무엇을 도와드릴까요?")
//!     .button(Button::message("상품 보기", "상품목록"));
//! let answer = SkillResponse::new(card).quick_reply(QuickReply::message("처음으로", "처음으로"));
//! let json = serde_json::to_value(&answer).unwrap();
//! assert_eq!(json["version"], "2.0");
//! assert_eq!(payload.user_id(), "u1");
//! ```
//!
//! * [`payload`] reads what Kakao's bot engine posts to a skill (tolerant of missing optional fields,
//!   unknown fields and numbers sent as strings).
//! * [`text`], [`card`] and [`response`] build what we answer. Every documented limit of the response
//!   format is enforced by the types: texts are cut at a character boundary, collections stop growing at
//!   their maximum, required fields are constructor arguments. A response Kakao would reject cannot be built.
//! * [`validation`] is the smaller format of parameter-validation skills.
//! * [`check`] (cargo feature `check`) is an independent checker over plain JSON that shares no code with
//!   the builders: property tests feed it arbitrary builder output, and a server's own tests can run it on
//!   every answer they receive, and a development tool can judge answers before Kakao would.

pub mod card;
#[cfg(feature = "check")]
pub mod check;
pub mod payload;
pub mod response;
pub mod text;
pub mod validation;

pub use card::{
    BasicCard, Button, Carousel, CarouselCard, CommerceCard, ItemCard, ItemRow, ListCard, ListItem, Profile,
    SimpleImage, SimpleText, TextCard, Thumbnail,
};
pub use payload::{SkillPayload, ValidationPayload};
pub use response::{ContextValue, Output, QuickReply, SkillResponse};
pub use text::{BlockId, Extra, PhoneDigits, Text, WebUrl};
pub use validation::ValidationResponse;
