//! The console's static files, compiled into the binary: htmx (2.0.11 from npm's `htmx.org`, 0BSD, its
//! licence beside it) and the style sheet. Their names carry a version, so they are cached for a year.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The pinned htmx, as its page reference names it.
pub const HTMX: &str = "htmx-2.0.11.min.js";
/// The style sheet; its name changes when it does (`console-N.css`).
pub const STYLE: &str = "console-1.css";

/// `GET /admin/ui/assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, content_type): (&'static [u8], &str) = match name.as_str() {
        HTMX => (
            include_bytes!("assets/htmx-2.0.11.min.js"),
            "text/javascript; charset=utf-8",
        ),
        STYLE => (include_bytes!("assets/console.css"), "text/css; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}
