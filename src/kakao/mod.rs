//! Kakao i Open Builder's skill protocol, written as a library the rest of the server uses.
//!
//! * [`payload`] reads what Kakao's bot engine posts to a skill (tolerant of missing optional fields,
//!   unknown fields and numbers sent as strings).
//! * [`text`], [`card`] and [`response`] build what we answer. Every documented limit of the response
//!   format is enforced by the types: texts are cut at a character boundary, collections stop growing at
//!   their maximum, required fields are constructor arguments. A response Kakao would reject cannot be built.
//! * [`validation`] is the smaller format of parameter-validation skills.
//! * [`check`] is an independent checker over plain JSON, used by tests to prove the builders right.

pub mod card;
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
