//! Members: joining, profile, phone change, withdrawal — the model, its storage and its skills.

pub mod model;
pub mod skills;
pub mod store;

pub use model::{Grade, Member};
