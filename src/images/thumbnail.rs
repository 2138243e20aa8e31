//! The carousel thumbnail: every product photo as a 640×640 JPEG, whole, on a white square.
//!
//! Kakao's carousel shows all cards with one image ratio, so photos of mixed shapes must be brought to the
//! same one; padding (rather than cropping) keeps the whole item visible. Decoding a photo is CPU work of
//! tens of milliseconds, so it runs on tokio's blocking pool, never on the async workers that answer skill
//! calls. A few-KB file can declare a gigapixel image (a decompression bomb), so its declared size is
//! checked before decoding and the decoder's allocation is capped.

use std::io::Cursor;

use bytes::Bytes;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, Rgba, RgbaImage};

use super::{ImageError, ImageKind};

/// Side of the square thumbnail, in pixels.
pub const THUMB_SIZE: u32 = 640;
/// Widest or tallest image we decode.
pub const MAX_DIMENSION: u32 = 8000;
/// Most pixels we decode (32 MP: beyond any phone photo Kakao passes on, ~128 MB as RGBA).
pub const MAX_PIXELS: u64 = 32_000_000;
/// JPEG quality of thumbnails: visually clean at a fraction of the size.
pub const JPEG_QUALITY: u8 = 85;

/// A made thumbnail and the original's displayed size.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    /// A 640×640 baseline JPEG.
    pub jpeg: Bytes,
    /// The original's size after its EXIF orientation.
    pub width: u32,
    pub height: u32,
}

/// Decodes `bytes` as `kind` and makes the thumbnail, on the blocking pool.
pub async fn make_thumbnail(bytes: Bytes, kind: ImageKind) -> Result<Thumbnail, ImageError> {
    tokio::task::spawn_blocking(move || make_thumbnail_blocking(&bytes, kind))
        .await
        .map_err(|e| ImageError::NotAnImage(format!("decoder task failed: {e}")))?
}

/// The synchronous work of [`make_thumbnail`]; call it only where blocking is fine.
pub fn make_thumbnail_blocking(bytes: &[u8], kind: ImageKind) -> Result<Thumbnail, ImageError> {
    // The header alone first: a bomb is refused with its declared size, before any decoding.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), kind.format())
        .into_dimensions()
        .map_err(|e| decode_error(e, 0, 0))?;
    if width == 0 || height == 0 {
        return Err(ImageError::NotAnImage("image has no pixels".into()));
    }
    if width > MAX_DIMENSION || height > MAX_DIMENSION || u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(ImageError::TooManyPixels { width, height });
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    // 8 bytes per pixel covers 16-bit RGBA PNGs; plus room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 8 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| decode_error(e, width, height))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height))?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());

    let jpeg = encode_square(&image)?;
    Ok(Thumbnail {
        jpeg: Bytes::from(jpeg),
        width,
        height,
    })
}

/// Scales `image` to fit [`THUMB_SIZE`] and centres it on white (transparency becomes white too).
fn encode_square(image: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let fitted = image
        .resize(THUMB_SIZE, THUMB_SIZE, FilterType::Triangle)
        .to_rgba8();
    let mut canvas = RgbaImage::from_pixel(THUMB_SIZE, THUMB_SIZE, Rgba([255, 255, 255, 255]));
    let x = i64::from((THUMB_SIZE - fitted.width().min(THUMB_SIZE)) / 2);
    let y = i64::from((THUMB_SIZE - fitted.height().min(THUMB_SIZE)) / 2);
    imageops::overlay(&mut canvas, &fitted, x, y);
    let rgb = DynamicImage::ImageRgba8(canvas).to_rgb8();
    let mut out = Vec::with_capacity(64 * 1024);
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| ImageError::Storage(format!("thumbnail encoding failed: {e}")))?;
    Ok(out)
}

fn decode_error(error: image::ImageError, width: u32, height: u32) -> ImageError {
    match error {
        image::ImageError::Limits(_) => ImageError::TooManyPixels { width, height },
        other => ImageError::NotAnImage(other.to_string()),
    }
}
