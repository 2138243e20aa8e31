//! Product images: the secure-image plugin value, the SSRF-safe downloader against a fake CDN (a real HTTP
//! server on 127.0.0.1 started by each test), thumbnails and decompression bombs, local storage served by
//! its router, and S3 storage against a real S3-compatible server (`TEST_S3_ENDPOINT`, moto in CI; the test
//! fails, never skips, without it).

use std::io::Cursor;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http_body_util::BodyExt;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use junggye::config::{ImageSettings, ImageStorage, S3Settings};
use junggye::images::budget::DECODE_BUDGET_BYTES;
use junggye::images::storage::{CACHE_CONTROL, is_valid_key, s3_client};
use junggye::images::thumbnail::{DecodePlan, make_thumbnail, make_thumbnail_blocking};
use junggye::images::{
    DecodeBudget, HostAllowList, ImageError, ImageKind, ImageStore, Images, MAX_IMAGES, THUMB_SIZE, Timeouts,
    parse_secure_images,
};
use tower::ServiceExt;

/// Largest image the test downloader accepts.
const MAX_BYTES: u64 = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// The fake CDN

struct FakeCdn {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    /// Most `/paced.jpg` requests ever in progress at once.
    most_at_once: Arc<AtomicUsize>,
}

fn jpeg_800x400() -> Vec<u8> {
    let img = RgbImage::from_fn(800, 400, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 120]));
    encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)
}

/// Tall, with a transparent left half (which must become white in the thumbnail).
fn png_300x600() -> Vec<u8> {
    let img = RgbaImage::from_fn(300, 600, |x, _| {
        if x < 150 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([200, 30, 30, 255])
        }
    });
    encode(DynamicImage::ImageRgba8(img), ImageFormat::Png)
}

fn small(format: ImageFormat) -> Vec<u8> {
    let img = RgbaImage::from_pixel(40, 30, Rgba([10, 120, 200, 255]));
    encode(DynamicImage::ImageRgba8(img), format)
}

fn encode(img: DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), format)
        .expect("encode test image");
    out
}

fn image_response(content_type: &'static str, body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn redirect(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

impl FakeCdn {
    async fn start() -> FakeCdn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        let most_at_once = Arc::new(AtomicUsize::new(0));
        let (at_once, most) = (Arc::new(AtomicUsize::new(0)), Arc::clone(&most_at_once));
        let (jpeg, png) = (jpeg_800x400(), png_300x600());
        let (webp, gif) = (small(ImageFormat::WebP), small(ImageFormat::Gif));
        let port = addr.port();
        let app = Router::new()
            .route(
                "/photo.jpg",
                get(move || async move { image_response("image/jpeg", jpeg) }),
            )
            // Served with a wrong type: the bytes decide.
            .route(
                "/photo.png",
                get(move || async move { image_response("image/jpeg", png) }),
            )
            .route(
                "/photo.webp",
                get(move || async move { image_response("image/webp", webp) }),
            )
            .route(
                "/photo.gif",
                get(move || async move { image_response("application/octet-stream", gif) }),
            )
            .route(
                "/fake.jpg",
                get(|| async { image_response("image/jpeg", b"<html><body>hello</body></html>".to_vec()) }),
            )
            .route(
                "/corrupt.jpg",
                get(|| async {
                    let mut body = vec![0xFF, 0xD8, 0xFF, 0xE0];
                    body.extend_from_slice(&[0x42; 200]);
                    image_response("image/jpeg", body)
                }),
            )
            .route(
                "/big.jpg",
                get(|| async {
                    let mut body = vec![0u8; MAX_BYTES as usize + 1];
                    body[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
                    image_response("image/jpeg", body)
                }),
            )
            // No Content-Length and no end: only a downloader that stops at the cap returns.
            .route(
                "/endless.jpg",
                get(|| async {
                    let chunks = futures_util::stream::unfold(0u64, |n| async move {
                        let mut chunk = vec![0u8; 16 * 1024];
                        if n == 0 {
                            chunk[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
                        }
                        Some((Ok::<_, std::io::Error>(Bytes::from(chunk)), n + 1))
                    });
                    ([(header::CONTENT_TYPE, "image/jpeg")], Body::from_stream(chunks))
                }),
            )
            .route(
                "/slow.jpg",
                get(|| async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    image_response("image/jpeg", jpeg_800x400())
                }),
            )
            .route(
                "/paced.jpg",
                get(move || async move {
                    let now = at_once.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    at_once.fetch_sub(1, Ordering::SeqCst);
                    image_response("image/gif", small(ImageFormat::Gif))
                }),
            )
            .route("/redirect-ok", get(|| async { redirect("/photo.jpg".into()) }))
            .route(
                "/redirect-elsewhere",
                // The same server under a name that is not allowed.
                get(move || async move { redirect(format!("http://localhost:{port}/photo.jpg")) }),
            )
            .route("/loop", get(|| async { redirect("/loop".into()) }))
            .route("/gone.jpg", get(|| async { StatusCode::NOT_FOUND }))
            .layer(axum::middleware::from_fn(
                move |req: Request<Body>, next: axum::middleware::Next| {
                    counter.fetch_add(1, Ordering::SeqCst);
                    next.run(req)
                },
            ));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeCdn {
            addr,
            hits,
            most_at_once,
        }
    }

    /// `127.0.0.1:{port}`: the allow-list entry for this server.
    fn host(&self) -> String {
        self.addr.to_string()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn settings(hosts: &[String], storage: ImageStorage) -> ImageSettings {
    ImageSettings {
        allowed_hosts: hosts.to_vec(),
        max_bytes: MAX_BYTES,
        storage,
    }
}

const TEST_TIMEOUTS: Timeouts = Timeouts {
    connect: Duration::from_secs(1),
    total: Duration::from_secs(1),
};

/// A pipeline allowed to download from `cdn` only, storing under a fresh temporary directory.
fn local_images(cdn: &FakeCdn) -> (Images, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = ImageStorage::Local {
        dir: dir.path().to_owned(),
    };
    let images = Images::with_timeouts(
        &settings(&[cdn.host()], storage),
        "http://market.test/",
        TEST_TIMEOUTS,
    )
    .expect("image pipeline builds");
    (images, dir)
}

fn assert_square_jpeg(bytes: &[u8]) -> RgbImage {
    assert_eq!(ImageKind::sniff(bytes), Some(ImageKind::Jpeg));
    let thumb = image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).expect("thumbnail decodes");
    assert_eq!((thumb.width(), thumb.height()), (THUMB_SIZE, THUMB_SIZE));
    thumb.to_rgb8()
}

fn is_white(pixel: &Rgb<u8>) -> bool {
    pixel.0.iter().all(|&c| c >= 245)
}

// ---------------------------------------------------------------------------------------------
// The secure-image plugin value

fn plugin_value(agreement: &str, urls: &str) -> String {
    serde_json::json!({
        "privacyAgreement": agreement,
        "imageQuantity": "2",
        "secureUrls": urls,
        "expire": "2026-01-01T00:10:00",
    })
    .to_string()
}

#[test]
fn a_well_formed_secure_image_value_gives_its_urls_in_the_users_order() {
    let value = plugin_value(
        "Y",
        "List(http://secure.kakaocdn.net/dna/a.jpg, http://secure.kakaocdn.net/dna/b.jpg)",
    );
    assert_eq!(
        parse_secure_images(&value).unwrap(),
        [
            "http://secure.kakaocdn.net/dna/a.jpg",
            "http://secure.kakaocdn.net/dna/b.jpg"
        ]
    );
}

#[test]
fn spaces_a_single_url_a_numeric_quantity_and_a_missing_expiry_are_tolerated() {
    let spaced = r#"  {"privacyAgreement":" Y ","imageQuantity":2,"secureUrls":"  List( http://secure.kakaocdn.net/a.jpg ,   http://secure.kakaocdn.net/b.jpg  )  "}  "#;
    assert_eq!(
        parse_secure_images(spaced).unwrap(),
        [
            "http://secure.kakaocdn.net/a.jpg",
            "http://secure.kakaocdn.net/b.jpg"
        ]
    );
    let single =
        r#"{"privacyAgreement":"Y","imageQuantity":"1","secureUrls":"http://secure.kakaocdn.net/a.jpg"}"#;
    assert_eq!(
        parse_secure_images(single).unwrap(),
        ["http://secure.kakaocdn.net/a.jpg"]
    );
    let array = r#"{"privacyAgreement":"Y","secureUrls":["http://secure.kakaocdn.net/a.jpg"]}"#;
    assert_eq!(
        parse_secure_images(array).unwrap(),
        ["http://secure.kakaocdn.net/a.jpg"]
    );
}

#[test]
fn a_value_that_is_not_the_plugins_is_refused_with_a_polite_sentence() {
    let deeply_nested = "{".repeat(100_000);
    for value in [
        "",
        "http://secure.kakaocdn.net/a.jpg",
        "List(http://secure.kakaocdn.net/a.jpg)",
        "{not json",
        "[]",
        "{}",
        r#"{"privacyAgreement":"Y","secureUrls":42}"#,
        r#"{"privacyAgreement":"Y","secureUrls":"List(file:///etc/passwd)"}"#,
        r#"{"privacyAgreement":"Y","secureUrls":"List(http://a/x y.jpg)"}"#,
        deeply_nested.as_str(),
    ] {
        let refusal = parse_secure_images(value).expect_err(value);
        assert!(refusal.message().ends_with("올려 주세요."), "{refusal}");
    }
}

#[test]
fn photos_sent_without_the_privacy_agreement_are_refused() {
    let value = plugin_value("N", "List(http://secure.kakaocdn.net/a.jpg)");
    let refusal = parse_secure_images(&value).unwrap_err();
    assert!(
        refusal.message().contains("개인정보 제공에 동의해야"),
        "{refusal}"
    );
    let missing = r#"{"secureUrls":"List(http://secure.kakaocdn.net/a.jpg)"}"#;
    assert_eq!(parse_secure_images(missing).unwrap_err(), refusal);
}

#[test]
fn more_than_ten_photos_or_none_at_all_are_refused() {
    let urls = |n: usize| {
        let list: Vec<String> = (0..n)
            .map(|i| format!("http://secure.kakaocdn.net/{i}.jpg"))
            .collect();
        format!("List({})", list.join(", "))
    };
    assert_eq!(
        parse_secure_images(&plugin_value("Y", &urls(MAX_IMAGES)))
            .unwrap()
            .len(),
        10
    );
    let refusal = parse_secure_images(&plugin_value("Y", &urls(11))).unwrap_err();
    assert!(refusal.message().contains("10장까지"), "{refusal}");
    let refusal = parse_secure_images(&plugin_value("Y", "List()")).unwrap_err();
    assert!(refusal.message().contains("사진이 없어요"), "{refusal}");
}

// ---------------------------------------------------------------------------------------------
// Which hosts may be fetched

#[test]
fn the_kakao_cdn_pattern_matches_its_subdomains_and_nothing_else() {
    let list = HostAllowList::new(&["*.kakaocdn.net".to_owned()]).unwrap();
    for allowed in [
        "http://secure.kakaocdn.net/dna/a.jpg",
        "https://secure.kakaocdn.net/dna/a.jpg?credential=x&expires=1",
        "http://SECURE.KakaoCDN.net/a.jpg",
        "http://k.kakaocdn.net:80/a.jpg",
        "http://a.b.kakaocdn.net/a.jpg",
    ] {
        assert!(list.allows(allowed), "{allowed} should be allowed");
    }
    for refused in [
        "http://evil.com/a.jpg",
        "http://kakaocdn.net/a.jpg",
        "http://kakaocdn.net.evil.com/a.jpg",
        "http://evilkakaocdn.net/a.jpg",
        "http://secure.kakaocdn.net.evil.com/a.jpg",
        "http://secure.kakaocdn.net@evil.com/a.jpg",
        "http://user:pass@secure.kakaocdn.net/a.jpg",
        "http://evil.com\\@secure.kakaocdn.net/a.jpg",
        "http://evil.com#@secure.kakaocdn.net/a.jpg",
        "http://evil.com?.kakaocdn.net/a.jpg",
        "http://secure.kakaocdn.net:8080/a.jpg",
        "https://secure.kakaocdn.net:80/a.jpg",
        "http://secure.kakaocdn.net./a.jpg",
        "ftp://secure.kakaocdn.net/a.jpg",
        "file:///etc/passwd",
        "gopher://secure.kakaocdn.net/",
        "http://127.0.0.1/a.jpg",
        "http://2130706433/a.jpg",
        "http://0x7f.1/a.jpg",
        "http://[::1]/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "//secure.kakaocdn.net/a.jpg",
        "secure.kakaocdn.net/a.jpg",
        "",
    ] {
        assert!(!list.allows(refused), "{refused} should be refused");
    }
    assert!(HostAllowList::new(&["*".to_owned()]).is_err());
    assert!(HostAllowList::new(&["*.net".to_owned()]).is_err());
}

#[tokio::test]
async fn a_host_that_is_not_allowed_is_refused_without_any_request_being_made() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let port = cdn.addr.port();
    for url in [
        format!("http://localhost:{port}/photo.jpg"),
        format!("http://127.0.0.2:{port}/photo.jpg"),
        format!("http://[::1]:{port}/photo.jpg"),
        format!("http://user@127.0.0.1:{port}/photo.jpg"),
        format!("http://127.0.0.1:{}/photo.jpg", port.wrapping_add(1)),
        "http://127.0.0.1/photo.jpg".to_owned(),
        format!("https://evil.example:{port}/photo.jpg"),
        "file:///etc/passwd".to_owned(),
        "not a url".to_owned(),
    ] {
        let err = images.ingest(&url).await.expect_err(&url);
        assert!(matches!(err, ImageError::HostNotAllowed { .. }), "{url}: {err:?}");
        assert!(
            err.user_message().contains("카카오톡에서 올린 사진만"),
            "{}",
            err.user_message()
        );
    }
    assert_eq!(cdn.hits(), 0, "no request may reach any server");
}

// ---------------------------------------------------------------------------------------------
// Downloading, checking and storing

#[tokio::test]
async fn images_from_an_allowed_host_are_stored_with_a_640_square_jpeg_thumbnail() {
    let cdn = FakeCdn::start().await;
    let (images, dir) = local_images(&cdn);

    let jpeg = images.ingest(&cdn.url("/photo.jpg")).await.unwrap();
    assert_eq!(jpeg.content_type, "image/jpeg");
    assert_eq!((jpeg.width, jpeg.height), (800, 400));
    assert_eq!(jpeg.bytes, jpeg_800x400().len() as u64);
    assert!(jpeg.original_key.starts_with("products/") && jpeg.original_key.ends_with("/original.jpg"));
    assert!(jpeg.thumb_key.ends_with("/thumb.jpg"));
    assert!(is_valid_key(&jpeg.original_key) && is_valid_key(&jpeg.thumb_key));
    let original = std::fs::read(dir.path().join(&jpeg.original_key)).unwrap();
    assert_eq!(original, jpeg_800x400(), "the original is kept byte for byte");
    let thumb = assert_square_jpeg(&std::fs::read(dir.path().join(&jpeg.thumb_key)).unwrap());
    // 800×400 fits as 640×320, centred: white bands above and below, the photo in the middle.
    assert!(is_white(thumb.get_pixel(320, 10)) && is_white(thumb.get_pixel(320, 630)));
    assert!(!is_white(thumb.get_pixel(320, 320)));

    // Served as image/jpeg, but the bytes say PNG: the key, type and thumbnail follow the bytes.
    let png = images.ingest(&cdn.url("/photo.png")).await.unwrap();
    assert_eq!(png.content_type, "image/png");
    assert!(png.original_key.ends_with("/original.png"));
    assert_eq!((png.width, png.height), (300, 600));
    let thumb = assert_square_jpeg(&std::fs::read(dir.path().join(&png.thumb_key)).unwrap());
    assert!(is_white(thumb.get_pixel(5, 320)), "padding is white");
    assert!(is_white(thumb.get_pixel(240, 320)), "transparency becomes white");
    let red = thumb.get_pixel(400, 320);
    assert!(
        red[0] > 150 && red[1] < 80,
        "the opaque half keeps its colour: {red:?}"
    );

    for (path, content_type, ext) in [
        ("/photo.webp", "image/webp", "webp"),
        ("/photo.gif", "image/gif", "gif"),
    ] {
        let stored = images.ingest(&cdn.url(path)).await.unwrap();
        assert_eq!(stored.content_type, content_type);
        assert!(stored.original_key.ends_with(&format!("/original.{ext}")));
        assert_eq!((stored.width, stored.height), (40, 30));
        assert_square_jpeg(&std::fs::read(dir.path().join(&stored.thumb_key)).unwrap());
    }

    let again = images.ingest(&cdn.url("/photo.jpg")).await.unwrap();
    assert_ne!(
        again.original_key, jpeg.original_key,
        "every upload gets its own keys"
    );
}

#[tokio::test]
async fn a_body_that_is_not_an_image_is_refused_whatever_its_content_type_says() {
    let cdn = FakeCdn::start().await;
    let (images, dir) = local_images(&cdn);
    for path in ["/fake.jpg", "/corrupt.jpg"] {
        let err = images.ingest(&cdn.url(path)).await.unwrap_err();
        assert!(matches!(err, ImageError::NotAnImage(_)), "{path}: {err:?}");
        assert!(err.user_message().contains("사진 파일이 아니에요"));
    }
    assert!(
        !dir.path().join("products").exists(),
        "nothing is stored for a file that is not an image"
    );
}

#[tokio::test]
async fn an_oversized_image_is_refused_by_its_length_and_while_streaming() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let err = images.ingest(&cdn.url("/big.jpg")).await.unwrap_err();
    assert_eq!(
        err,
        ImageError::TooLarge {
            limit_bytes: MAX_BYTES
        }
    );
    assert!(err.user_message().contains("MB"), "{}", err.user_message());

    // An endless body without Content-Length: the downloader must stop reading at the cap.
    let started = Instant::now();
    let err = images.ingest(&cdn.url("/endless.jpg")).await.unwrap_err();
    assert_eq!(
        err,
        ImageError::TooLarge {
            limit_bytes: MAX_BYTES
        }
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_slow_server_is_given_up_on_after_the_configured_time() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let started = Instant::now();
    let err = images.ingest(&cdn.url("/slow.jpg")).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err, ImageError::TooSlow);
    assert!(err.user_message().contains("너무 오래"));
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn redirects_are_followed_only_to_allowed_hosts_and_only_a_few_times() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);

    let stored = images.ingest(&cdn.url("/redirect-ok")).await.unwrap();
    assert_eq!((stored.width, stored.height), (800, 400));
    assert_eq!(cdn.hits(), 2);

    let err = images.ingest(&cdn.url("/redirect-elsewhere")).await.unwrap_err();
    assert!(
        matches!(&err, ImageError::HostNotAllowed { host } if host.starts_with("localhost")),
        "{err:?}"
    );
    assert_eq!(cdn.hits(), 3, "the redirect's target was not requested");

    let err = images.ingest(&cdn.url("/loop")).await.unwrap_err();
    assert!(matches!(err, ImageError::DownloadFailed(_)), "{err:?}");
    assert_eq!(cdn.hits(), 3 + 4, "the first request and three redirects");
}

#[tokio::test]
async fn an_expired_or_missing_image_is_a_download_failure() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let err = images.ingest(&cdn.url("/gone.jpg")).await.unwrap_err();
    assert!(
        matches!(&err, ImageError::DownloadFailed(why) if why.contains("404")),
        "{err:?}"
    );
    assert!(err.user_message().contains("다시 올려 주세요"));
}

#[tokio::test]
async fn ingesting_several_photos_keeps_their_order_and_reports_each_failure() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let urls: Vec<String> = [
        "/photo.png",
        "/fake.jpg",
        "/photo.jpg",
        "/gone.jpg",
        "/photo.gif",
        "/photo.webp",
    ]
    .iter()
    .map(|p| cdn.url(p))
    .collect();
    let results = images.ingest_all(&urls).await;
    assert_eq!(results.len(), 6);
    assert_eq!(results[0].as_ref().unwrap().content_type, "image/png");
    assert!(matches!(results[1], Err(ImageError::NotAnImage(_))));
    assert_eq!(results[2].as_ref().unwrap().content_type, "image/jpeg");
    assert!(matches!(results[3], Err(ImageError::DownloadFailed(_))));
    assert_eq!(results[4].as_ref().unwrap().content_type, "image/gif");
    assert_eq!(results[5].as_ref().unwrap().content_type, "image/webp");
}

#[tokio::test]
async fn at_most_three_photos_are_downloaded_at_once() {
    let cdn = FakeCdn::start().await;
    let (images, _dir) = local_images(&cdn);
    let urls = vec![cdn.url("/paced.jpg"); 8];
    let results = images.ingest_all(&urls).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(cdn.most_at_once.load(Ordering::SeqCst), 3);
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A few dozen bytes declaring a `width`×`height` RGB image: a decompression bomb's header.
fn png_declaring(width: u32, height: u32) -> Vec<u8> {
    png_declaring_depth(width, height, 8, 2)
}

/// The same, with another bit depth and colour type (6: RGBA).
fn png_declaring_depth(width: u32, height: u32, depth: u8, color: u8) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[depth, color, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    png_chunk(&mut out, b"IEND", &[]);
    out
}

#[test]
fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    for (width, height) in [(20_000, 20_000), (8001, 10), (7000, 7000)] {
        let bomb = png_declaring(width, height);
        assert!(bomb.len() < 100);
        let started = Instant::now();
        let err = make_thumbnail_blocking(&bomb, ImageKind::Png).unwrap_err();
        assert_eq!(err, ImageError::TooManyPixels { width, height });
        assert!(
            started.elapsed() < Duration::from_millis(500),
            "refused without decoding"
        );
    }
    let err = make_thumbnail_blocking(&png_declaring(100, 100), ImageKind::Png).unwrap_err();
    assert!(
        matches!(err, ImageError::NotAnImage(_)),
        "a truncated image: {err:?}"
    );
}

#[test]
fn a_deep_colour_bomb_within_the_pixel_limits_is_refused_by_what_it_would_cost() {
    // 5656×5656 is under 32 MP, but at 16 bits per RGBA channel it is 256 MB decoded: a 249 KB file of
    // these took the server to 293 MB, and six at once to 1.8 GB.
    let bomb = png_declaring_depth(5656, 5656, 16, 6);
    let started = Instant::now();
    let err = DecodePlan::read(&bomb, ImageKind::Png).unwrap_err();
    assert!(
        matches!(err, ImageError::TooMuchMemory { width: 5656, height: 5656, bytes } if bytes > DECODE_BUDGET_BYTES),
        "{err:?}"
    );
    assert_eq!(make_thumbnail_blocking(&bomb, ImageKind::Png).unwrap_err(), err);
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "refused without decoding"
    );
    assert_eq!(err.reason(), "too_much_memory");
    assert!(err.user_message().contains("너무 커요"), "{}", err.user_message());

    // The same size at 8 bits without alpha fits: it is priced, not refused by its dimensions.
    let plan = DecodePlan::read(&png_declaring(5656, 5656), ImageKind::Png).unwrap();
    assert!(plan.cost() >= 5656 * 5656 * 3 && plan.cost() <= DECODE_BUDGET_BYTES);
}

#[tokio::test]
async fn a_decode_waits_for_its_share_of_the_memory_budget_and_gives_it_back() {
    let photo = Bytes::from(jpeg_800x400());
    let cost = DecodePlan::read(&photo, ImageKind::Jpeg).unwrap().cost();
    let budget = Arc::new(DecodeBudget::new(cost + cost / 2, Duration::from_secs(10)));

    // Another decode holds most of the budget: this one must wait, not decode beside it.
    let other = budget.reserve(cost).await.unwrap();
    let waiting = tokio::spawn({
        let (budget, photo) = (Arc::clone(&budget), photo.clone());
        async move { make_thumbnail(photo, ImageKind::Jpeg, &budget).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "decoded while the budget was taken");
    drop(other);
    let thumb = waiting.await.unwrap().expect("decoded once the budget was free");
    assert_square_jpeg(&thumb.jpeg);
    assert_eq!(budget.available(), budget.capacity(), "its share is given back");

    // Kept waiting past the budget's limit: refused, with a reason for the seller.
    let impatient = DecodeBudget::new(cost + cost / 2, Duration::from_millis(100));
    let _other = impatient.reserve(cost).await.unwrap();
    let err = make_thumbnail(photo.clone(), ImageKind::Jpeg, &impatient)
        .await
        .unwrap_err();
    assert_eq!(err, ImageError::Busy);
    assert!(err.user_message().contains("잠시 후 다시 올려 주세요"));

    // More than a whole (small) budget: refused at once.
    let small = DecodeBudget::new(cost / 2, Duration::from_secs(10));
    let err = make_thumbnail(photo, ImageKind::Jpeg, &small).await.unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::TooMuchMemory {
                width: 800,
                height: 400,
                ..
            }
        ),
        "{err:?}"
    );
}

/// A 4000×3000 JPEG as a phone takes it: smooth gradients, 4:2:0.
fn phone_photo() -> Vec<u8> {
    let img = RgbImage::from_fn(4000, 3000, |x, y| Rgb([(x / 16) as u8, (y / 12) as u8, 90]));
    encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg)
}

#[tokio::test]
async fn an_ordinary_12_mp_phone_photo_still_becomes_a_thumbnail() {
    let photo = Bytes::from(phone_photo());
    let plan = DecodePlan::read(&photo, ImageKind::Jpeg).unwrap();
    assert!(
        plan.cost() < DECODE_BUDGET_BYTES,
        "a phone photo fits the budget: {} MB",
        plan.cost() >> 20
    );
    let thumb = make_thumbnail(photo, ImageKind::Jpeg, DecodeBudget::shared())
        .await
        .unwrap();
    assert_eq!((thumb.width, thumb.height), (4000, 3000));
    let square = assert_square_jpeg(&thumb.jpeg);
    // 4000×3000 fits as 640×480: white bands above and below.
    assert!(is_white(square.get_pixel(320, 20)) && !is_white(square.get_pixel(320, 320)));
}

/// `jpeg` with an EXIF block saying "rotate 90° clockwise to display" (orientation 6), as phones write.
fn with_exif_orientation_6(jpeg: &[u8]) -> Vec<u8> {
    let mut tiff = b"Exif\0\0MM\0\x2A\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&[0, 1]); // one entry
    tiff.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]); // Orientation, SHORT, 1, 6
    tiff.extend_from_slice(&[0, 0, 0, 0]); // no next IFD
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(tiff.len() as u16 + 2).to_be_bytes());
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

#[test]
fn the_exif_orientation_is_applied_to_the_thumbnail_and_the_displayed_size() {
    // Red left half, blue right half; turned 90° clockwise, red is on top and the photo stands 400×800.
    let img = RgbImage::from_fn(800, 400, |x, _| {
        if x < 400 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let photo = with_exif_orientation_6(&encode(DynamicImage::ImageRgb8(img), ImageFormat::Jpeg));
    let thumb = make_thumbnail_blocking(&photo, ImageKind::Jpeg).unwrap();
    assert_eq!((thumb.width, thumb.height), (400, 800));
    let square = assert_square_jpeg(&thumb.jpeg);
    assert!(is_white(square.get_pixel(20, 320)), "white bands left and right");
    let (top, bottom) = (square.get_pixel(320, 100), square.get_pixel(320, 540));
    assert!(top[0] > 150 && top[2] < 80, "red on top: {top:?}");
    assert!(bottom[2] > 150 && bottom[0] < 80, "blue below: {bottom:?}");
}

// ---------------------------------------------------------------------------------------------
// Local storage and its router

async fn get_path(router: &Router, path: &str) -> Response {
    router
        .clone()
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn local_images_are_served_immutable_with_their_type_and_no_path_can_escape() {
    let cdn = FakeCdn::start().await;
    let (images, dir) = local_images(&cdn);
    let stored = images.ingest(&cdn.url("/photo.png")).await.unwrap();
    let store = images.store();
    assert_eq!(
        stored.thumb_url(store).as_str(),
        format!("http://market.test/images/{}", stored.thumb_key)
    );
    assert_eq!(
        store.public_url(&stored.original_key).as_str(),
        format!("http://market.test/images/{}", stored.original_key)
    );

    let router: Router = Router::new()
        .route(
            "/images/{*key}",
            axum::routing::get(junggye::pages::images::serve),
        )
        .with_state(store.clone());
    for (key, content_type) in [
        (&stored.thumb_key, "image/jpeg"),
        (&stored.original_key, "image/png"),
    ] {
        let response = get_path(&router, &format!("/images/{key}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], content_type);
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_CONTROL);
        assert_eq!(CACHE_CONTROL, "public, max-age=31536000, immutable");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, std::fs::read(dir.path().join(key)).unwrap());
    }

    let unknown = "products/00000000-0000-4000-8000-000000000000/thumb.jpg";
    assert_eq!(
        get_path(&router, &format!("/images/{unknown}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // A file beside the image directory that an escaping path would reach.
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    let id = stored.thumb_key.split('/').nth(1).unwrap();
    for path in [
        "/images/../secret.txt".to_owned(),
        "/images/secret.txt".to_owned(),
        "/images/%2E%2E/secret.txt".to_owned(),
        format!("/images/products/{id}/..%2F..%2F..%2Fsecret.txt"),
        format!("/images/products/{id}/../../secret.txt"),
        "/images/%2Fetc%2Fpasswd".to_owned(),
        "/images//etc/passwd".to_owned(),
        format!("/images/products%5C{id}%5Cthumb.jpg"),
        format!("/images/products/{id}/thumb.jpg%00"),
        format!("/images/products/{}/thumb.jpg", id.to_uppercase()),
        format!("/images/products/{id}/original.txt"),
        format!("/images/products/{id}/thumb.png"),
    ] {
        let response = get_path(&router, &path).await;
        assert_ne!(response.status(), StatusCode::OK, "{path}");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(!body.windows(6).any(|w| w == b"secret"), "{path}");
    }

    for key in [
        "../secret.jpg",
        "/tmp/x.jpg",
        "products\\x\\thumb.jpg",
        "products/x/thumb.jpg",
    ] {
        let err = store
            .put(key, Bytes::from_static(b"x"), "image/jpeg")
            .await
            .unwrap_err();
        assert!(matches!(err, ImageError::Storage(_)), "{key}");
        assert_eq!(store.get(key).await.unwrap(), None);
    }
    let leftovers: Vec<_> = walk(dir.path())
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "atomic writes leave no temporary files: {leftovers:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(walk(&path));
        } else {
            found.push(path);
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// S3

fn s3_endpoint() -> String {
    std::env::var("TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:9000".into())
}

/// Settings for a fresh bucket on the test server, created here; public URLs are path-style.
async fn fresh_bucket() -> S3Settings {
    let endpoint = s3_endpoint().trim_end_matches('/').to_owned();
    let bucket = format!("junggye-test-{}", uuid::Uuid::new_v4().simple());
    let settings = S3Settings {
        bucket: bucket.clone(),
        region: "ap-northeast-2".into(),
        endpoint: Some(endpoint.clone()),
        path_style: true,
        public_url: format!("{endpoint}/{bucket}"),
        access_key_id: "test".into(),
        secret_access_key: secrecy::SecretString::from("test"),
    };
    let constraint = aws_sdk_s3::types::CreateBucketConfiguration::builder()
        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
            "ap-northeast-2",
        ))
        .build();
    let client = s3_client(&settings);
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(constraint)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!(
                "an S3-compatible server at {endpoint} (TEST_S3_ENDPOINT) is required for this test: {e:?}"
            )
        });
    // As in production: the bucket stays private except anonymous reads of product images.
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": format!("arn:aws:s3:::{bucket}/products/*"),
        }],
    });
    client
        .put_bucket_policy()
        .bucket(&bucket)
        .policy(policy.to_string())
        .send()
        .await
        .expect("bucket policy");
    settings
}

#[tokio::test]
async fn s3_storage_uploads_reads_back_and_is_publicly_readable_on_a_real_s3_compatible_server() {
    let s3 = fresh_bucket().await;
    let store = ImageStore::s3(&s3).unwrap();
    let keys = junggye::images::ImageKeys::new(ImageKind::Png);
    let png = png_300x600();
    store
        .put(&keys.original, Bytes::from(png.clone()), "image/png")
        .await
        .unwrap();

    let (bytes, content_type) = store.get(&keys.original).await.unwrap().expect("object is there");
    assert_eq!(bytes, png);
    assert_eq!(content_type, "image/png");
    assert_eq!(
        store.get(&keys.thumb).await.unwrap(),
        None,
        "a missing key is None, not an error"
    );

    let url = store.public_url(&keys.original);
    assert_eq!(url.as_str(), format!("{}/{}", s3.public_url, keys.original));
    let http = reqwest::Client::new();
    let private = format!("{}/elsewhere.txt", s3.public_url);
    s3_client(&s3)
        .put_object()
        .bucket(&s3.bucket)
        .key("elsewhere.txt")
        .body(Bytes::from_static(b"private").into())
        .send()
        .await
        .unwrap();
    let response = http.get(&private).send().await.unwrap();
    assert_eq!(
        response.status(),
        reqwest::StatusCode::FORBIDDEN,
        "only products/ is public"
    );
    let response = http.get(url.as_str()).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "image/png");
    assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_CONTROL);
    assert_eq!(response.bytes().await.unwrap(), png);

    // The whole pipeline onto S3: download from the fake CDN, thumbnail, both objects readable.
    let cdn = FakeCdn::start().await;
    let images = Images::with_timeouts(
        &settings(&[cdn.host()], ImageStorage::S3(s3.clone())),
        "http://unused.test",
        TEST_TIMEOUTS,
    )
    .unwrap();
    let stored = images.ingest(&cdn.url("/photo.jpg")).await.unwrap();
    let thumb = http
        .get(stored.thumb_url(images.store()).as_str())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_square_jpeg(&thumb);
    let original = http
        .get(stored.original_url(images.store()).as_str())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(original, jpeg_800x400());
}
