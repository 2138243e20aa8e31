//! Stored product images, served to browsers and Kakao's image proxy when the local store is used (S3
//! serves its own).

use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::images::ImageStore;
use crate::images::storage::{CACHE_CONTROL, is_valid_key};

/// `GET /images/{*key}`: serves stored images (the local store's public URLs point here).
///
/// Only keys of our exact shape are looked up (anything else is 404, so no path can climb out of the
/// directory); images are immutable, so browsers and Kakao's proxies may keep them for a year.
pub async fn serve(State(store): State<ImageStore>, UrlPath(key): UrlPath<String>) -> Response {
    if !is_valid_key(&key) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match store.get(&key).await {
        Ok(Some((bytes, content_type))) => {
            let content_type = HeaderValue::from_str(&content_type)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"));
            (
                [
                    (header::CONTENT_TYPE, content_type),
                    (header::CACHE_CONTROL, HeaderValue::from_static(CACHE_CONTROL)),
                    (
                        header::X_CONTENT_TYPE_OPTIONS,
                        HeaderValue::from_static("nosniff"),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => {
            tracing::error!(error = %e, "image read failed");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
