//! Notices: announcements admins write and everyone (members or not) reads in the chat — the model and
//! its storage (the skills are in [`crate::kakao::notices`], the admin API in [`crate::admin::notices`]).

pub mod model;
pub mod store;

pub use model::{NewNotice, Notice, NoticeInput, NoticeKind, NoticeLink, NoticeStatus};
