//! The market's products: the model and state machine, storage, the browse cache and the photo pipeline.
//! The browse, register and manage skills are in [`crate::kakao::products`].

pub mod bump;
pub mod catalog;
pub mod holds;
pub mod model;
pub mod photos;
pub mod reservation;
pub mod search;
pub mod store;

pub use model::{Category, Product, ProductStatus, ProductSummary, StatusAction};
