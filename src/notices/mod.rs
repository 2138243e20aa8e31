//! Notices: announcements admins write and everyone (members or not) reads in the chat — the model,
//! its storage and its skills.

pub mod model;
pub mod skills;
pub mod store;

pub use model::{NewNotice, Notice, NoticeInput, NoticeKind, NoticeLink, NoticeStatus};
