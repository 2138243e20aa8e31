//! The admin web console (`/admin/ui`): server-rendered pages for operators, over the same operations as
//! the REST API.
//!
//! Each page calls the admin API's own handler functions (`super::orders::cancel`, …) with the signed-in
//! account's claims, so a change made here passes the same role check, rules and audit as one made with
//! a token; the console only turns their results into HTML ([`view`]) and their errors into a message on
//! the page. Templates are askama files in `templates/`, checked when the crate compiles; htmx (vendored,
//! pinned, in `assets/`) makes every change a small request that swaps `<main>`.
//!
//! Sign-in is a session, not a token: [`session`] keeps an opaque token in an HttpOnly, Secure,
//! SameSite=Strict cookie and its CSRF token in the page; [`session::require_session`] reads the session
//! and account on every request and refuses every change (any method but GET) whose `X-CSRF-Token`
//! header is not the session's. The URLs are listed in `crate::router::console_routes`.

pub mod accounts;
pub mod assets;
pub mod chart;
pub mod dashboard;
pub mod deals;
pub mod members;
pub mod notices;
pub mod orders;
pub mod products;
pub mod reports;
pub mod session;
pub mod skill_calls;
pub mod view;

pub use session::Operator;

/// Where the console lives.
pub const ROOT: &str = "/admin/ui";
/// The sign-in page.
pub const LOGIN_PATH: &str = "/admin/ui/login";

/// The console's URLs, as `crate::router::console_routes` lists them: `open` ones (sign-in, static files)
/// and `signed_in` ones, which [`crate::admin::mount`] puts behind [`session::require_session`].
pub struct Routes {
    pub open: axum::Router<crate::admin::AdminState>,
    pub signed_in: axum::Router<crate::admin::AdminState>,
}
