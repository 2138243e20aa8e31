//! The market's products: the model and state machine, storage, and the browse, register and manage skills.

pub mod cards;
pub mod catalog;
pub mod model;
pub mod skills;
pub mod store;

pub use model::{Category, Product, ProductStatus, ProductSummary, StatusAction};
