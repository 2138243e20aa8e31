//! Members: joining, profile, phone change, withdrawal — the model and its storage (the skills are
//! in [`crate::kakao::members`]).

pub mod blocks;
pub mod model;
pub mod store;
pub mod suspension;

pub use model::{Grade, Member};
