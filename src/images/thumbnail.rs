//! The carousel thumbnail: every product photo as a 640×640 JPEG, whole, on a white square.
//!
//! Kakao's carousel shows all cards with one image ratio, so photos of mixed shapes must be brought to the
//! same one; padding (rather than cropping) keeps the whole item visible. Decoding a photo is CPU work of
//! tens of milliseconds, so it runs on tokio's blocking pool, never on the async workers that answer skill
//! calls.
//!
//! Memory is what a hostile photo attacks: a few-KB file can declare a gigapixel image, and a 249 KB PNG
//! a 256 MB one. So a photo is priced from its header before a pixel is decoded ([`DecodePlan`]: the
//! decoded buffer, the decoder's working memory and the thumbnail's working copies), refused when it is
//! too wide, too tall or would cost more than the whole [`DecodeBudget`], and decoded only once that much
//! of the process-wide budget is reserved. The thumbnail step itself never holds a second full-size copy:
//! a large photo is first averaged down to [`PRESHRINK`] pixels a side by a box filter that writes only its
//! small output, then resized smoothly, and the EXIF orientation is applied to the 640-pixel result.

use std::io::Cursor;

use bytes::Bytes;
use image::imageops::{self, FilterType};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader, Limits, Rgba, RgbaImage};

use super::budget::{DECODE_BUDGET_BYTES, DecodeBudget, Shortfall};
use super::{ImageError, ImageKind};

/// Side of the square thumbnail, in pixels.
pub const THUMB_SIZE: u32 = 640;
/// Widest or tallest image we decode.
pub const MAX_DIMENSION: u32 = 8000;
/// Most pixels we decode (32 MP: beyond any phone photo Kakao passes on). Whether a photo this large
/// decodes also depends on its bytes per pixel: see [`DecodePlan::cost`].
pub const MAX_PIXELS: u64 = 32_000_000;
/// JPEG quality of thumbnails: visually clean at a fraction of the size.
pub const JPEG_QUALITY: u8 = 85;
/// Longest side a large photo is box-averaged down to before the smooth resize: twice the thumbnail, so
/// the triangle filter still has pixels to blend (a box filter alone aliases near 1:1), while its
/// floating-point working copy stays a few MB instead of the photo's width × 640 × 16 bytes.
pub const PRESHRINK: u32 = 2 * THUMB_SIZE;

/// Bytes per pixel of the resize's working copy (four `f32` channels, whatever the photo's format).
const RESIZE_BYTES_PER_PIXEL: u64 = 16;
/// Room for what a decoder allocates besides its output, whatever its size: tables, chunk buffers,
/// the inflate window.
const DECODER_OVERHEAD: u64 = 1024 * 1024;

/// A made thumbnail and the original's displayed size.
#[derive(Clone, Debug)]
pub struct Thumbnail {
    /// A 640×640 baseline JPEG.
    pub jpeg: Bytes,
    /// The original's size after its EXIF orientation.
    pub width: u32,
    pub height: u32,
}

/// What decoding one photo will take, read from its header alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DecodePlan {
    kind: ImageKind,
    /// As stored, before the EXIF orientation.
    width: u32,
    height: u32,
    cost: u64,
}

impl DecodePlan {
    /// Reads the header of `bytes` as `kind` and prices the decode. Refuses a photo with no pixels, one
    /// wider or taller than [`MAX_DIMENSION`] or larger than [`MAX_PIXELS`], and one that would need more
    /// than the whole [`DECODE_BUDGET_BYTES`] — before any pixel is decoded.
    pub fn read(bytes: &[u8], kind: ImageKind) -> Result<DecodePlan, ImageError> {
        let decoder = ImageReader::with_format(Cursor::new(bytes), kind.format())
            .into_decoder()
            .map_err(|e| decode_error(e, 0, 0))?;
        let (width, height) = decoder.dimensions();
        if width == 0 || height == 0 {
            return Err(ImageError::NotAnImage("image has no pixels".into()));
        }
        if width > MAX_DIMENSION
            || height > MAX_DIMENSION
            || u64::from(width) * u64::from(height) > MAX_PIXELS
        {
            return Err(ImageError::TooManyPixels { width, height });
        }
        let bytes_per_pixel = u64::from(decoder.color_type().bytes_per_pixel());
        let decoder_extra = decoder_working_bytes(kind, bytes, width, height);
        let cost = decoder.total_bytes()
            + decoder_extra
            + DECODER_OVERHEAD
            + thumbnail_working_bytes(width, height, bytes_per_pixel);
        if cost > DECODE_BUDGET_BYTES {
            return Err(ImageError::TooMuchMemory {
                width,
                height,
                bytes: cost,
            });
        }
        Ok(DecodePlan {
            kind,
            width,
            height,
            cost,
        })
    }

    /// The most memory the decode and the thumbnail step hold at once, in bytes (an upper estimate).
    pub fn cost(&self) -> u64 {
        self.cost
    }

    /// Decodes `bytes` (the same bytes the plan was read from) and makes the thumbnail. The decoder may
    /// allocate no more than the plan's cost.
    pub fn decode(&self, bytes: &[u8]) -> Result<Thumbnail, ImageError> {
        let (width, height) = (self.width, self.height);
        let mut reader = ImageReader::with_format(Cursor::new(bytes), self.kind.format());
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_DIMENSION);
        limits.max_image_height = Some(MAX_DIMENSION);
        limits.max_alloc = Some(self.cost);
        reader.limits(limits);
        let mut decoder = reader
            .into_decoder()
            .map_err(|e| decode_error(e, width, height))?;
        if decoder.dimensions() != (width, height) {
            return Err(ImageError::NotAnImage(
                "image header changed between reads".into(),
            ));
        }
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        let full = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, width, height))?;
        let mut small = shrink(full);
        small.apply_orientation(orientation);
        let (width, height) = if turns_sideways(orientation) {
            (height, width)
        } else {
            (width, height)
        };
        Ok(Thumbnail {
            jpeg: Bytes::from(encode_square(&small)?),
            width,
            height,
        })
    }

    /// Why a decode could not have its share of `budget`, for the seller.
    fn refusal(&self, shortfall: Shortfall) -> ImageError {
        match shortfall {
            Shortfall::MoreThanBudget { .. } => ImageError::TooMuchMemory {
                width: self.width,
                height: self.height,
                bytes: self.cost,
            },
            Shortfall::Busy => ImageError::Busy,
        }
    }
}

/// Decodes `bytes` as `kind` and makes the thumbnail, on the blocking pool, once the decode's cost is
/// reserved from `budget` (the process's is [`DecodeBudget::shared`]).
pub async fn make_thumbnail(
    bytes: Bytes,
    kind: ImageKind,
    budget: &DecodeBudget,
) -> Result<Thumbnail, ImageError> {
    let header = bytes.clone();
    let plan = blocking(move || DecodePlan::read(&header, kind)).await?;
    let reservation = budget
        .reserve(plan.cost())
        .await
        .map_err(|shortfall| plan.refusal(shortfall))?;
    // The reservation moves into the blocking task: it is given back when the decode has really ended,
    // even if the caller stopped waiting for it.
    blocking(move || {
        let _reserved = reservation;
        plan.decode(&bytes)
    })
    .await
}

/// The synchronous work of [`make_thumbnail`] without waiting for the shared budget (each photo is still
/// priced and refused alone); call it only where blocking is fine.
pub fn make_thumbnail_blocking(bytes: &[u8], kind: ImageKind) -> Result<Thumbnail, ImageError> {
    DecodePlan::read(bytes, kind)?.decode(bytes)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ImageError> + Send + 'static,
) -> Result<T, ImageError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ImageError::NotAnImage(format!("decoder task failed: {e}")))?
}

/// What the decoder of `kind` allocates besides its output, at most.
fn decoder_working_bytes(kind: ImageKind, bytes: &[u8], width: u32, height: u32) -> u64 {
    let pixels = u64::from(width) * u64::from(height);
    match kind {
        // Its own copy of the file, and (progressive or multi-scan files) every DCT coefficient.
        ImageKind::Jpeg => bytes.len() as u64 + jpeg_coefficient_bytes(bytes, width, height),
        // A few rows of at most 16-bit RGBA: the current, the previous and the de-interlaced one.
        ImageKind::Png => 4 * u64::from(width) * 8,
        // Lossless WebP decodes into 32-bit ARGB first; lossy into YUV planes and alpha (less).
        ImageKind::Webp => pixels * 4,
        // One palette index per pixel, and a frame buffer to place a frame smaller than the canvas.
        ImageKind::Gif => pixels * 5,
    }
}

/// Bytes of a JPEG's DCT coefficients (two each), which the decoder keeps for the whole image when the
/// file is progressive or not interleaved: the components' sampling from the frame header, padded to
/// whole MCUs. Without a readable frame header, four full-resolution components (the most there can be).
fn jpeg_coefficient_bytes(bytes: &[u8], width: u32, height: u32) -> u64 {
    let sampling = jpeg_sampling(bytes).unwrap_or_else(|| vec![(1, 1); 4]);
    let h_max = u64::from(sampling.iter().map(|&(h, _)| h).max().unwrap_or(1));
    let v_max = u64::from(sampling.iter().map(|&(_, v)| v).max().unwrap_or(1));
    let mcus = u64::from(width).div_ceil(8 * h_max) * u64::from(height).div_ceil(8 * v_max);
    let blocks_per_mcu: u64 = sampling.iter().map(|&(h, v)| u64::from(h) * u64::from(v)).sum();
    mcus * blocks_per_mcu * 64 * 2
}

/// The horizontal and vertical sampling factors (1–4) of each component, from the first frame header
/// (SOF0–SOF15 but DHT, JPG and DAC), if the markers before it are well formed.
fn jpeg_sampling(bytes: &[u8]) -> Option<Vec<(u8, u8)>> {
    let mut at = 2; // after SOI
    loop {
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        let marker = *bytes.get(at + 1)?;
        at += 2;
        match marker {
            0xFF => at -= 1, // fill byte
            0x01 | 0xD0..=0xD7 => {}
            // Another SOI, the end (EOI) or the scan (SOS) before any frame header.
            0xD8..=0xDA => return None,
            _ => {
                let length = usize::from(u16::from_be_bytes([*bytes.get(at)?, *bytes.get(at + 1)?]));
                let segment = bytes.get(at + 2..at + length.max(2))?;
                if matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC) {
                    let count = usize::from(*segment.get(5)?);
                    let components = segment.get(6..6 + 3 * count)?;
                    return Some(
                        components
                            .chunks_exact(3)
                            .map(|c| ((c[1] >> 4).clamp(1, 4), (c[1] & 0x0F).clamp(1, 4)))
                            .collect(),
                    );
                }
                at += length;
            }
        }
    }
}

/// The working copies [`shrink`] and [`encode_square`] make for a `width`×`height` photo of
/// `bytes_per_pixel`: the box-averaged copy, the resize's floating-point pass and its output, the
/// 640×640 canvas in RGBA and RGB, and the JPEG.
fn thumbnail_working_bytes(width: u32, height: u32, bytes_per_pixel: u64) -> u64 {
    let area = |(w, h): (u32, u32)| u64::from(w) * u64::from(h);
    let (mut w, mut h) = (width, height);
    let mut bytes = 0;
    if w.max(h) > PRESHRINK {
        (w, h) = fit(w, h, PRESHRINK);
        bytes += area((w, h)) * bytes_per_pixel;
    }
    let (thumb_w, thumb_h) = fit(w, h, THUMB_SIZE);
    bytes += u64::from(w) * u64::from(thumb_h) * RESIZE_BYTES_PER_PIXEL;
    bytes += area((thumb_w, thumb_h)) * (bytes_per_pixel + 4);
    let square = area((THUMB_SIZE, THUMB_SIZE));
    bytes + square * (4 + 3 + 3)
}

/// `width`×`height` scaled to fit a `side`×`side` square, rounded up (an upper estimate of the image
/// crate's own rounding).
fn fit(width: u32, height: u32, side: u32) -> (u32, u32) {
    let scaled = |long: u32, short: u32| {
        let short = (u64::from(short) * u64::from(side)).div_ceil(u64::from(long.max(1)));
        u32::try_from(short).unwrap_or(side).clamp(1, side)
    };
    if width >= height {
        (side, scaled(width, height))
    } else {
        (scaled(height, width), side)
    }
}

/// Brings `full` down to fit [`THUMB_SIZE`] (or up, for a small photo), dropping the full-size image as
/// soon as the box-averaged copy exists.
fn shrink(full: DynamicImage) -> DynamicImage {
    let reduced = if full.width().max(full.height()) > PRESHRINK {
        full.thumbnail(PRESHRINK, PRESHRINK)
    } else {
        full
    };
    reduced.resize(THUMB_SIZE, THUMB_SIZE, FilterType::Triangle)
}

/// Whether `orientation` swaps width and height.
fn turns_sideways(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

/// Centres `fitted` (already at most [`THUMB_SIZE`] a side) on white (transparency becomes white too).
fn encode_square(fitted: &DynamicImage) -> Result<Vec<u8>, ImageError> {
    let fitted = fitted.to_rgba8();
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

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    /// A frame header (SOF0) for a `width`×`height` JPEG with the given components' sampling.
    fn jpeg_header(width: u16, height: u16, sampling: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00];
        let length = 8 + 3 * sampling.len() as u16;
        out.extend_from_slice(&[0xFF, 0xC0]);
        out.extend_from_slice(&length.to_be_bytes());
        out.push(8);
        out.extend_from_slice(&height.to_be_bytes());
        out.extend_from_slice(&width.to_be_bytes());
        out.push(sampling.len() as u8);
        for (id, hv) in sampling.iter().enumerate() {
            out.extend_from_slice(&[id as u8 + 1, *hv, 0]);
        }
        out
    }

    #[test]
    fn jpeg_coefficients_follow_the_components_sampling() {
        // 4:2:0: one luma block per pixel block, and a quarter each for the two chroma components.
        let yuv420 = jpeg_header(4000, 3000, &[0x22, 0x11, 0x11]);
        assert_eq!(jpeg_sampling(&yuv420), Some(vec![(2, 2), (1, 1), (1, 1)]));
        // 16×16 MCUs: 250 × 188 of them, six blocks of 64 two-byte coefficients each.
        assert_eq!(
            jpeg_coefficient_bytes(&yuv420, 4000, 3000),
            250 * 188 * 6 * 64 * 2
        );
        let yuv444 = jpeg_header(4000, 3000, &[0x11, 0x11, 0x11]);
        assert_eq!(jpeg_coefficient_bytes(&yuv444, 4000, 3000), 4000 * 3000 * 3 * 2);
        // Unreadable: priced as four full components.
        assert_eq!(
            jpeg_coefficient_bytes(b"\xFF\xD8\xFF", 800, 800),
            800 * 800 * 4 * 2
        );
    }

    #[test]
    fn a_malformed_jpeg_header_is_read_without_panicking_or_looping() {
        for bytes in [
            &b"\xFF\xD8"[..],
            b"\xFF\xD8\xFF",
            b"\xFF\xD8\xFF\xE0\x00\x00",
            b"\xFF\xD8\xFF\xE0\x00\x01\xFF\xD9",
            b"\xFF\xD8\xFF\xFF\xFF\xC0\x00\x02",
            b"\xFF\xD8\xFF\xC0\x00\x08\x08\x00\x10\x00\x10\x09",
            b"\xFF\xD8\xFF\xDA\x00\x08",
        ] {
            assert_eq!(jpeg_sampling(bytes), None, "{bytes:?}");
        }
    }

    #[test]
    fn an_ordinary_phone_photo_fits_the_budget_and_a_deep_png_bomb_does_not() {
        // 12 MP JPEG, 4:2:0, 4 MB file: decoded RGB, a copy of the file, coefficients, thumbnail copies.
        let phone = 4000 * 3000 * 3
            + 4 * MB
            + jpeg_coefficient_bytes(&jpeg_header(4000, 3000, &[0x22, 0x11, 0x11]), 4000, 3000)
            + DECODER_OVERHEAD
            + thumbnail_working_bytes(4000, 3000, 3);
        assert!(phone < DECODE_BUDGET_BYTES, "{} MB", phone / MB);
        assert!(
            phone > 80 * MB,
            "the decoded image alone is 36 MB: {} MB",
            phone / MB
        );
        // 5656×5656 RGBA at 16 bits: 256 MB decoded, within the pixel limit.
        let bomb = 5656 * 5656 * 8 + thumbnail_working_bytes(5656, 5656, 8);
        const { assert!(5656 * 5656 <= MAX_PIXELS) };
        assert!(bomb > DECODE_BUDGET_BYTES);
    }

    #[test]
    fn the_thumbnail_steps_never_hold_a_second_full_size_copy() {
        // Bounded by the pre-shrunk size, whatever the photo's: at most 1280² 16-bit RGBA, its 1280×640
        // floating-point pass, and the 640-pixel copies (about 35 MB).
        for (width, height, bpp) in [
            (5656, 5656, 8),
            (8000, 4000, 4),
            (4000, 3000, 3),
            (8000, 1, 4),
            (1281, 1281, 8),
        ] {
            let working = thumbnail_working_bytes(width, height, bpp);
            assert!(
                working < 36 * MB,
                "{width}×{height}: {} MB of working copies",
                working / MB
            );
        }
        assert!(
            thumbnail_working_bytes(4000, 3000, 3) < 4000 * 3000 * 3,
            "less than the photo itself"
        );
    }

    #[test]
    fn fitting_keeps_the_ratio_and_at_least_one_pixel() {
        assert_eq!(fit(4000, 3000, 640), (640, 480));
        assert_eq!(fit(3000, 4000, 640), (480, 640));
        assert_eq!(fit(8000, 1, 1280), (1280, 1));
        assert_eq!(fit(40, 30, 640), (640, 480));
    }
}
