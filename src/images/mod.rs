//! Product images: from Kakao's secure-image plugin to a stored original and a carousel thumbnail.
//!
//! The path of one photo, and why each step exists:
//!
//! 1. [`secure`] reads the plugin's value (a JSON object inside a string, with a Scala-style `List(...)`
//!    of URLs) and refuses it unless the user agreed to hand over the photos, and at most
//!    [`secure::MAX_IMAGES`] of them.
//! 2. [`fetch`] downloads each URL, but only from the configured hosts (`*.kakaocdn.net` in production):
//!    the URLs arrive in a request body anyone can forge, and the original system fetched whatever it was
//!    given (server-side request forgery into the internal network). Redirects are followed by hand and
//!    re-checked, the size is capped while streaming, and the bytes must *be* a JPEG, PNG, WebP or GIF,
//!    whatever the `Content-Type` claims. Kakao's URLs expire within minutes, so this happens right away.
//! 3. [`thumbnail`] prices the decode from the header, refuses decompression bombs, waits for its share of
//!    the process-wide memory [`budget`], decodes off the async workers and makes a 640×640 JPEG padded
//!    onto white: Kakao's carousels require every card image to share one ratio.
//! 4. [`storage`] keeps both under fresh, collision-free keys (`products/{uuid}/…`) on local disk (served
//!    by this server at `/images/…`) or in an S3-compatible bucket.
//!
//! Nothing here panics on user input; every failure is an [`ImageError`] whose
//! [`user_message`](ImageError::user_message) is a Korean sentence for the chat and whose
//! [`reason`](ImageError::reason) is a stable key to store.

pub mod budget;
pub mod fetch;
pub mod secure;
pub mod storage;
pub mod thumbnail;

use std::borrow::Cow;
use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::ImageSettings;
use kakao_skill::WebUrl;

pub use budget::DecodeBudget;
pub use fetch::{Downloaded, Downloader, HostAllowList, ImageKind, Timeouts};
pub use secure::{MAX_IMAGES, parse_secure_images};
pub use storage::{ImageKeys, ImageStore};
pub use thumbnail::{THUMB_SIZE, Thumbnail};

/// Path of the image shown for a product whose photos are not ready: commerce cards require one.
pub const NO_PHOTO_PATH: &str = "/static/no-photo.png";
/// The placeholder itself (640×640, the same ratio as every thumbnail).
pub const NO_PHOTO_PNG: &[u8] = include_bytes!("../../assets/no-photo.png");

/// Downloads running at once in [`Images::ingest_all`]: enough to finish ten photos well within Kakao's
/// URL lifetime, few enough not to hammer the CDN. (How many photos *decode* at once, across all sets, is
/// the [`budget`]'s business.)
pub const MAX_CONCURRENT_DOWNLOADS: usize = 3;

/// Why an image could not be taken in. `Display` is for logs (it never contains a full URL, which may be
/// a short-lived credential); [`user_message`](Self::user_message) is for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// The URL's host is not on the allow-list, or the URL has a form we never fetch (userinfo, another
    /// scheme, an unlisted IP address). Also a redirect leading there.
    #[error("image host not allowed: {host}")]
    HostNotAllowed { host: String },
    /// Larger than `IMAGE_MAX_BYTES` (announced or while streaming).
    #[error("image larger than {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    /// Wider or taller than we decode, or too many pixels: a decompression bomb or an absurd photo.
    #[error("image dimensions {width}x{height} exceed the decoding limits")]
    TooManyPixels { width: u32, height: u32 },
    /// Within the pixel limits, but decoding it would take more memory than the whole decoding budget
    /// (deep colour: 16-bit channels take twice the bytes per pixel).
    #[error("image {width}x{height} needs about {bytes} bytes to decode, more than the decoding budget")]
    TooMuchMemory { width: u32, height: u32, bytes: u64 },
    /// Other photos held the decoding budget for longer than a decode may wait.
    #[error("no room in the decoding budget in time")]
    Busy,
    /// The bytes are not a JPEG, PNG, WebP or GIF, or do not decode.
    #[error("not a supported image: {0}")]
    NotAnImage(String),
    /// The server did not answer in time.
    #[error("image download timed out")]
    TooSlow,
    /// Connection refused, HTTP error status (an expired Kakao URL), too many redirects…
    #[error("image download failed: {0}")]
    DownloadFailed(String),
    /// Writing to or reading from the image storage failed.
    #[error("image storage failed: {0}")]
    Storage(String),
    /// The image settings cannot work (an invalid host pattern or base URL, a client that cannot be built).
    #[error("image settings invalid: {0}")]
    Config(String),
}

impl ImageError {
    /// A Korean sentence (해요체) telling the user what happened and what to do.
    ///
    /// A `Cow` rather than `&'static str` because the size refusal names the configured limit in MB.
    pub fn user_message(&self) -> Cow<'static, str> {
        match self {
            Self::HostNotAllowed { .. } => {
                "카카오톡에서 올린 사진만 등록할 수 있어요. 사진 올리기 버튼으로 다시 올려 주세요.".into()
            }
            Self::TooLarge { limit_bytes } => format!(
                "사진이 너무 커요. {} 이하의 사진으로 다시 올려 주세요.",
                megabytes(*limit_bytes)
            )
            .into(),
            Self::TooManyPixels { .. } | Self::TooMuchMemory { .. } => {
                "사진의 가로세로 크기가 너무 커요. 조금 작은 사진으로 다시 올려 주세요.".into()
            }
            Self::Busy => "지금은 사진이 많이 몰려 처리하지 못했어요. 잠시 후 다시 올려 주세요.".into(),
            Self::NotAnImage(_) => "사진 파일이 아니에요. JPG, PNG, WEBP, GIF 사진을 올려 주세요.".into(),
            Self::TooSlow => "사진을 받아오는 데 너무 오래 걸렸어요. 잠시 후 다시 올려 주세요.".into(),
            Self::DownloadFailed(_) => {
                "사진을 받아오지 못했어요. 사진 주소는 몇 분 뒤 만료되니 다시 올려 주세요.".into()
            }
            Self::Storage(_) | Self::Config(_) => {
                "사진을 저장하지 못했어요. 잠시 후 다시 시도해 주세요.".into()
            }
        }
    }

    /// Every [`reason`](Self::reason), as stored (the database checks against the same list).
    pub const REASONS: [&'static str; 9] = [
        "host_not_allowed",
        "too_large",
        "too_many_pixels",
        "too_much_memory",
        "not_an_image",
        "too_slow",
        "download_failed",
        "busy",
        "storage",
    ];

    /// A stable key for the kind of failure, kept with the photo it happened to (the message may be
    /// reworded; the key is what operators count by).
    pub fn reason(&self) -> &'static str {
        match self {
            Self::HostNotAllowed { .. } => "host_not_allowed",
            Self::TooLarge { .. } => "too_large",
            Self::TooManyPixels { .. } => "too_many_pixels",
            Self::TooMuchMemory { .. } => "too_much_memory",
            Self::NotAnImage(_) => "not_an_image",
            Self::TooSlow => "too_slow",
            Self::DownloadFailed(_) => "download_failed",
            Self::Busy => "busy",
            Self::Storage(_) | Self::Config(_) => "storage",
        }
    }
}

/// `10485760` → `10MB`, `5000000` → `4.8MB`; below 0.1 MB in KB (`2048` → `2KB`).
fn megabytes(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes < MB / 10 {
        format!("{}KB", bytes.div_ceil(1024))
    } else if bytes.is_multiple_of(MB) {
        format!("{}MB", bytes / MB)
    } else {
        let tenths = (bytes * 10 + MB / 2) / MB;
        format!("{}.{}MB", tenths / 10, tenths % 10)
    }
}

/// One product photo, kept: the original as downloaded and its 640×640 JPEG thumbnail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredImage {
    /// `products/{uuid}/original.{jpg|png|webp|gif}`.
    pub original_key: String,
    /// `products/{uuid}/thumb.jpg`.
    pub thumb_key: String,
    /// The original's type, from its bytes (never from the server's `Content-Type`).
    pub content_type: &'static str,
    /// The original's size in pixels, as displayed (after its EXIF orientation).
    pub width: u32,
    pub height: u32,
    /// The original's size in bytes.
    pub bytes: u64,
}

impl StoredImage {
    /// Where users' phones load the original.
    pub fn original_url(&self, store: &ImageStore) -> WebUrl {
        store.public_url(&self.original_key)
    }

    /// Where users' phones load the thumbnail (the image to put on carousel cards).
    pub fn thumb_url(&self, store: &ImageStore) -> WebUrl {
        store.public_url(&self.thumb_key)
    }
}

/// The image pipeline: one downloader (one HTTP client, one connection pool) and one store, built once at
/// start-up and cloned cheaply into handlers.
#[derive(Clone)]
pub struct Images {
    downloader: Arc<Downloader>,
    store: ImageStore,
    budget: &'static DecodeBudget,
}

impl Images {
    /// Builds the pipeline from the configuration; `public_url` is the server's `PUBLIC_URL` (local storage
    /// serves images under it).
    pub fn new(settings: &ImageSettings, public_url: &str) -> Result<Images, ImageError> {
        Self::with_timeouts(settings, public_url, Timeouts::default())
    }

    /// Like [`new`](Self::new) with other download timeouts (tests use short ones).
    pub fn with_timeouts(
        settings: &ImageSettings,
        public_url: &str,
        timeouts: Timeouts,
    ) -> Result<Images, ImageError> {
        Ok(Images {
            downloader: Arc::new(Downloader::with_timeouts(settings, timeouts)?),
            store: ImageStore::from_settings(&settings.storage, public_url)?,
            budget: DecodeBudget::shared(),
        })
    }

    /// Downloads one image, checks it, makes its thumbnail and stores both.
    ///
    /// The thumbnail is made before anything is stored, so a file that does not decode leaves nothing
    /// behind. Decoding waits for its share of the process-wide [`DecodeBudget`].
    pub async fn ingest(&self, url: &str) -> Result<StoredImage, ImageError> {
        let Downloaded { bytes, kind } = self.downloader.download(url).await?;
        let thumb = thumbnail::make_thumbnail(bytes.clone(), kind, self.budget).await?;
        let keys = ImageKeys::new(kind);
        let size = bytes.len() as u64;
        let (original, thumbnail) = tokio::join!(
            self.store.put(&keys.original, bytes, kind.content_type()),
            self.store
                .put(&keys.thumb, thumb.jpeg, ImageKind::Jpeg.content_type()),
        );
        original?;
        thumbnail?;
        Ok(StoredImage {
            original_key: keys.original,
            thumb_key: keys.thumb,
            content_type: kind.content_type(),
            width: thumb.width,
            height: thumb.height,
            bytes: size,
        })
    }

    /// [`ingest`](Self::ingest) for every URL, at most [`MAX_CONCURRENT_DOWNLOADS`] at a time; the results
    /// are in the order of `urls`, so the user's first photo stays the product's first photo.
    pub async fn ingest_all(&self, urls: &[String]) -> Vec<Result<StoredImage, ImageError>> {
        let permits = Arc::new(Semaphore::new(MAX_CONCURRENT_DOWNLOADS));
        let tasks: Vec<_> = urls
            .iter()
            .map(|url| {
                let images = self.clone();
                let permits = Arc::clone(&permits);
                let url = url.clone();
                tokio::spawn(async move {
                    let _permit = permits
                        .acquire_owned()
                        .await
                        .map_err(|_| ImageError::DownloadFailed("download queue closed".into()))?;
                    images.ingest(&url).await
                })
            })
            .collect();
        let mut results = Vec::with_capacity(tasks.len());
        for task in tasks {
            results.push(task.await.unwrap_or_else(|e| {
                tracing::error!(error = %e, "image ingestion task failed");
                Err(ImageError::DownloadFailed("ingestion task failed".into()))
            }));
        }
        results
    }

    /// The store, for public URLs and for serving local images.
    pub fn store(&self) -> &ImageStore {
        &self.store
    }

    /// The downloader, for callers that only need to fetch.
    pub fn downloader(&self) -> &Downloader {
        &self.downloader
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_shown_in_megabytes() {
        assert_eq!(megabytes(10 * 1024 * 1024), "10MB");
        assert_eq!(megabytes(5_000_000), "4.8MB");
        assert_eq!(megabytes(2048), "2KB");
        let msg = ImageError::TooLarge {
            limit_bytes: 10 * 1024 * 1024,
        }
        .user_message();
        assert!(msg.contains("10MB"), "{msg}");
    }

    #[test]
    fn every_failure_has_a_listed_reason_and_a_korean_sentence() {
        let all = [
            ImageError::HostNotAllowed { host: "x".into() },
            ImageError::TooLarge { limit_bytes: 1024 },
            ImageError::TooManyPixels { width: 1, height: 1 },
            ImageError::TooMuchMemory {
                width: 1,
                height: 1,
                bytes: 1,
            },
            ImageError::NotAnImage("x".into()),
            ImageError::TooSlow,
            ImageError::DownloadFailed("x".into()),
            ImageError::Busy,
            ImageError::Storage("x".into()),
            ImageError::Config("x".into()),
        ];
        for error in &all {
            assert!(ImageError::REASONS.contains(&error.reason()), "{error:?}");
            assert!(error.user_message().ends_with("주세요."), "{error:?}");
        }
        let used: std::collections::HashSet<_> = all.iter().map(ImageError::reason).collect();
        assert_eq!(
            used.len(),
            ImageError::REASONS.len(),
            "no listed reason is unused"
        );
    }

    #[test]
    fn the_stored_reasons_are_the_ones_the_database_accepts() {
        for sql in [
            include_str!("../../migrations/sqlite/0010_photo_failures.sql"),
            include_str!("../../migrations/postgres/0010_photo_failures.sql"),
        ] {
            let check = sql
                .split("reason IN (")
                .nth(1)
                .and_then(|rest| rest.split(')').next());
            let listed: Vec<&str> = check
                .expect("a CHECK on reason")
                .split(',')
                .map(|key| key.trim().trim_matches('\''))
                .collect();
            assert_eq!(listed, ImageError::REASONS);
        }
    }
}
