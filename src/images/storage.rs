//! Where image files live: a local directory served by this server, or an S3-compatible bucket.
//!
//! Keys are `products/{uuid-v4}/original.{ext}` and `products/{uuid-v4}/thumb.jpg`: random, so two uploads
//! never overwrite each other (the original system's random 6-digit names collided), and the extension is
//! the *real* format's. A stored key never changes content, which is why images are served as immutable
//! for a year. Only keys of exactly this shape are accepted anywhere, so a key cannot climb out of the
//! image directory (`..`, absolute paths, backslashes).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::primitives::ByteStream;
use bytes::Bytes;
use secrecy::ExposeSecret;

use super::{ImageError, ImageKind};
use crate::config::{ImageStorage, S3Settings};
use kakao_skill::WebUrl;

/// `Cache-Control` of every stored image: a key's content never changes.
pub const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// The pair of keys for one new image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageKeys {
    pub original: String,
    pub thumb: String,
}

impl ImageKeys {
    /// Fresh keys under a new random id; the original's extension is `kind`'s.
    pub fn new(kind: ImageKind) -> ImageKeys {
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        ImageKeys {
            original: format!("products/{id}/original.{}", kind.extension()),
            thumb: format!("products/{id}/thumb.jpg"),
        }
    }
}

/// Whether `key` has exactly the shape of a key we create (`products/{lowercase uuid}/original.{jpg|png|
/// webp|gif}` or `…/thumb.jpg`), and so is safe as a file path and URL path.
pub fn is_valid_key(key: &str) -> bool {
    kind_of_key(key).is_some()
}

/// The format a valid key's extension names.
fn kind_of_key(key: &str) -> Option<ImageKind> {
    let rest = key.strip_prefix("products/")?;
    let (id, file) = rest.split_once('/')?;
    if !is_uuid(id) {
        return None;
    }
    match file {
        "thumb.jpg" => Some(ImageKind::Jpeg),
        _ => ImageKind::from_extension(file.strip_prefix("original.")?),
    }
}

/// A lowercase hyphenated UUID: `8-4-4-4-12` hex digits.
fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => matches!(c, '0'..='9' | 'a'..='f'),
        })
}

/// The image store chosen by `IMAGE_STORAGE`; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct ImageStore(Arc<Backend>);

enum Backend {
    Local {
        dir: PathBuf,
        /// `{PUBLIC_URL}/images`.
        base: String,
        fallback: WebUrl,
    },
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        /// `S3_PUBLIC_URL`.
        base: String,
        fallback: WebUrl,
    },
}

impl std::fmt::Debug for ImageStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.0 {
            Backend::Local { dir, .. } => f.debug_struct("ImageStore::Local").field("dir", dir).finish(),
            Backend::S3 { bucket, .. } => f.debug_struct("ImageStore::S3").field("bucket", bucket).finish(),
        }
    }
}

impl ImageStore {
    /// The store `storage` describes; `public_url` is the server's `PUBLIC_URL` (used by local storage).
    pub fn from_settings(storage: &ImageStorage, public_url: &str) -> Result<ImageStore, ImageError> {
        match storage {
            ImageStorage::Local { dir } => Self::local(dir, public_url),
            ImageStorage::S3(settings) => Self::s3(settings),
        }
    }

    /// Files under `dir`, public at `{public_url}/images/{key}` (served by `crate::pages::images`).
    pub fn local(dir: &Path, public_url: &str) -> Result<ImageStore, ImageError> {
        let base = format!("{}/images", public_url.trim_end_matches('/'));
        let fallback = base_url(&base)?;
        Ok(ImageStore(Arc::new(Backend::Local {
            dir: dir.to_owned(),
            base,
            fallback,
        })))
    }

    /// Objects in an S3-compatible bucket, public at `{S3_PUBLIC_URL}/{key}` (the bucket's policy must allow
    /// anonymous reads of `products/*`; nothing else needs to be public).
    pub fn s3(settings: &S3Settings) -> Result<ImageStore, ImageError> {
        let base = settings.public_url.trim_end_matches('/').to_owned();
        let fallback = base_url(&base)?;
        Ok(ImageStore(Arc::new(Backend::S3 {
            client: s3_client(settings),
            bucket: settings.bucket.clone(),
            base,
            fallback,
        })))
    }

    /// Stores `bytes` under `key` (which must be one of ours, see [`is_valid_key`]).
    pub async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), ImageError> {
        if !is_valid_key(key) {
            return Err(ImageError::Storage(format!(
                "refusing to store under key `{key}`"
            )));
        }
        match &*self.0 {
            Backend::Local { dir, .. } => {
                let path = dir.join(key);
                tokio::task::spawn_blocking(move || write_atomically(&path, &bytes))
                    .await
                    .map_err(|e| ImageError::Storage(format!("write task failed: {e}")))?
                    .map_err(|e| ImageError::Storage(format!("writing {key}: {e}")))
            }
            Backend::S3 { client, bucket, .. } => client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(bytes))
                .content_type(content_type)
                .cache_control(CACHE_CONTROL)
                .send()
                .await
                .map(drop)
                .map_err(|e| {
                    ImageError::Storage(format!("S3 put {key}: {}", crate::telemetry::error_chain(&e)))
                }),
        }
    }

    /// The bytes and content type stored under `key`; `Ok(None)` when there is none (or the key is not one
    /// of ours), `Err` when the store could not be asked.
    pub async fn get(&self, key: &str) -> Result<Option<(Bytes, String)>, ImageError> {
        let Some(kind) = kind_of_key(key) else {
            return Ok(None);
        };
        match &*self.0 {
            Backend::Local { dir, .. } => {
                let path = dir.join(key);
                let read = tokio::task::spawn_blocking(move || std::fs::read(path))
                    .await
                    .map_err(|e| ImageError::Storage(format!("read task failed: {e}")))?;
                match read {
                    Ok(bytes) => Ok(Some((Bytes::from(bytes), kind.content_type().to_owned()))),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                    Err(e) => Err(ImageError::Storage(format!("reading {key}: {e}"))),
                }
            }
            Backend::S3 { client, bucket, .. } => {
                let object = match client.get_object().bucket(bucket).key(key).send().await {
                    Ok(object) => object,
                    Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
                    Err(e) => {
                        return Err(ImageError::Storage(format!(
                            "S3 get {key}: {}",
                            crate::telemetry::error_chain(&e)
                        )));
                    }
                };
                let content_type = object.content_type().unwrap_or(kind.content_type()).to_owned();
                let bytes = object
                    .body
                    .collect()
                    .await
                    .map_err(|e| ImageError::Storage(format!("S3 read {key}: {e}")))?
                    .into_bytes();
                Ok(Some((bytes, content_type)))
            }
        }
    }

    /// The URL users' phones load `key` from.
    ///
    /// Never fails: the base URL was checked when the store was built, and our keys hold only URL-safe
    /// characters. A key that is not ours (it cannot have come from this store) yields the base URL, with
    /// a warning.
    pub fn public_url(&self, key: &str) -> WebUrl {
        let (base, fallback) = match &*self.0 {
            Backend::Local { base, fallback, .. } | Backend::S3 { base, fallback, .. } => (base, fallback),
        };
        if is_valid_key(key)
            && let Ok(url) = WebUrl::parse(&format!("{base}/{key}"))
        {
            return url;
        }
        tracing::warn!(key, "public URL asked for a key that is not an image key");
        fallback.clone()
    }
}

fn base_url(base: &str) -> Result<WebUrl, ImageError> {
    WebUrl::parse(base).map_err(|e| ImageError::Config(format!("image base URL `{base}`: {e}")))
}

/// Writes `bytes` to a temporary file beside `path`, flushes it and renames it into place, so a reader
/// (or a crash) never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("image path has no parent"))?;
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// An S3 client from our settings alone: static keys, the region, an optional endpoint (MinIO, moto, R2…)
/// and path-style addressing. Checksums are only sent where S3 requires them, which every S3-compatible
/// store understands.
pub fn s3_client(settings: &S3Settings) -> aws_sdk_s3::Client {
    let credentials = Credentials::new(
        settings.access_key_id.clone(),
        settings.secret_access_key.expose_secret().to_owned(),
        None,
        None,
        "junggye-config",
    );
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(settings.region.clone()))
        .credentials_provider(credentials)
        .force_path_style(settings.path_style)
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(3))
                .operation_timeout(Duration::from_secs(30))
                .build(),
        );
    if let Some(endpoint) = &settings.endpoint {
        config = config.endpoint_url(endpoint.trim_end_matches('/'));
    }
    aws_sdk_s3::Client::from_conf(config.build())
}
