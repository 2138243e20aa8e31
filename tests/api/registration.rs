//! Registering a product: category → preview (server-side draft, photos downloading in the background)
//! → register, against a fake Kakao CDN on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use serde_json::json;

use crate::helpers::{Backend, TestApp, join, payload};
use crate::on_both_backends;
use crate::products::{card_titles, quick_reply_extra};

on_both_backends!(
    a_member_registers_a_product_with_photos_end_to_end,
    registering_twice_or_concurrently_creates_one_product,
    nobody_can_register_someone_elses_draft,
    every_preview_field_is_checked_with_a_korean_message,
    slow_photos_do_not_hold_up_the_answer,
    the_seller_is_told_which_photos_were_dropped_and_why,
    a_product_whose_photos_all_failed_says_why_to_its_seller,
);

/// A fake Kakao CDN: `/dna/photo.jpg` (a real JPEG), `/dna/slow.jpg` (answers after 2 s), `/dna/text.jpg`
/// (not an image), `/dna/deep.png` (the header of a 5656×5656 16-bit RGBA PNG: 256 MB decoded) and
/// `/dna/gone.jpg` (404, as an expired Kakao URL).
pub struct FakeCdn {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// The first chunks of a `width`×`height` PNG of 16-bit RGBA (a pixel-data stream that ends at once):
/// all a decoder reads before it must decide whether to decode.
fn deep_png_header(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        out.extend_from_slice(&chunk_crc(kind, data).to_be_bytes());
    }
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &[0x78, 0x9C, 0x03, 0x00]);
    chunk(&mut out, b"IEND", &[]);
    out
}

/// CRC-32 (IEEE) of a PNG chunk's type and data.
fn chunk_crc(kind: &[u8], data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in kind.iter().chain(data) {
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

pub async fn fake_cdn() -> FakeCdn {
    let hits = Arc::new(AtomicUsize::new(0));
    let photo: &'static [u8] = jpeg(800, 600).leak();
    let counter = hits.clone();
    let app = Router::new()
        .route(
            "/dna/photo.jpg",
            get(move || async move { ([(CONTENT_TYPE, "image/jpeg")], photo) }),
        )
        .route(
            "/dna/slow.jpg",
            get(move || async move {
                tokio::time::sleep(Duration::from_secs(2)).await;
                ([(CONTENT_TYPE, "image/jpeg")], photo)
            }),
        )
        .route(
            "/dna/text.jpg",
            get(|| async { ([(CONTENT_TYPE, "image/jpeg")], "not an image") }),
        )
        .route(
            "/dna/deep.png",
            get(|| async { ([(CONTENT_TYPE, "image/png")], deep_png_header(5656, 5656)) }),
        )
        .route(
            "/dna/gone.jpg",
            get(|| async { axum::http::StatusCode::NOT_FOUND }),
        )
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| {
                counter.fetch_add(1, Ordering::SeqCst);
                async move { next.run(req).await }
            },
        ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeCdn { addr, hits }
}

impl FakeCdn {
    pub fn secure_images(&self, paths: &[&str]) -> String {
        let urls: Vec<String> = paths
            .iter()
            .map(|p| format!("http://{}/dna/{p}", self.addr))
            .collect();
        json!({"privacyAgreement": "Y", "imageQuantity": urls.len().to_string(),
               "secureUrls": format!("List({})", urls.join(", ")), "expire": "2026-11-22T12:00:00"})
        .to_string()
    }
}

async fn market(backend: Backend, cdn: &FakeCdn) -> TestApp {
    let host = cdn.addr.to_string();
    TestApp::with(
        backend,
        |c| c.images.allowed_hosts = vec![host],
        junggye::router::skill_routes(),
    )
    .await
    .with_all_block_ids()
}

fn preview_body(user: &str, images: &str) -> serde_json::Value {
    payload(user)
        .extra("category", "digital")
        .param("productName", "아이폰 15 프로")
        .param("price", "90만원")
        .param("description", "배터리 성능 95%\n직거래 선호해요")
        .param("location", "강남역 2번 출구")
        .param("openChatUrl", "https://open.kakao.com/o/gAbC123")
        .param("images", images)
        .build()
}

/// Previews and returns the draft id the "등록하기" quick reply carries.
async fn preview(app: &TestApp, user: &str, images: &str) -> String {
    let reply = app
        .skill("/skill/products/preview", &preview_body(user, images))
        .await;
    let extra = quick_reply_extra(&reply, "등록하기")
        .unwrap_or_else(|| panic!("no register button: {}", reply.text()));
    extra["draftId"].as_str().unwrap().to_owned()
}

async fn photos_state(app: &TestApp, product_id: i64) -> String {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT ps.state FROM products p JOIN photo_sets ps ON ps.id = p.photo_set_id WHERE p.id = $1")
            .bind(product_id).fetch_one(pool).await.unwrap()
    })
}

async fn wait_for_photos(app: &TestApp, product_id: i64) -> String {
    let started = Instant::now();
    loop {
        let state = photos_state(app, product_id).await;
        if state != "pending" || started.elapsed() > Duration::from_secs(10) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn product_id_of(reply: &crate::helpers::Reply) -> i64 {
    quick_reply_extra(reply, "상품 보기").expect("상품 보기")["productId"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn a_member_registers_a_product_with_photos_end_to_end(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;

    let picker = app
        .skill(
            "/skill/products/categories",
            &payload("seller").extra("purpose", "register").build(),
        )
        .await;
    let first_row = &picker.0["template"]["outputs"][1]["carousel"]["items"][0]["items"][0];
    assert_eq!(first_row["extra"]["category"], "fashion", "{first_row}");

    let preview_reply = app
        .skill(
            "/skill/products/preview",
            &preview_body("seller", &cdn.secure_images(&["photo.jpg", "photo.jpg"])),
        )
        .await;
    let text = preview_reply.text();
    assert!(
        text.contains("아이폰 15 프로") && text.contains("900,000원") && text.contains("2장"),
        "{text}"
    );
    let draft = quick_reply_extra(&preview_reply, "등록하기").unwrap()["draftId"]
        .as_str()
        .unwrap()
        .to_owned();

    let done = app
        .skill(
            "/skill/products/register",
            &payload("seller").extra("draftId", &draft).build(),
        )
        .await;
    assert!(done.contains("등록했어요"), "{}", done.text());
    let id = product_id_of(&done);
    assert_eq!(wait_for_photos(&app, id).await, "ready");

    let list = app.skill("/skill/products", &payload("visitor").build()).await;
    assert_eq!(card_titles(&list), ["아이폰 15 프로"]);
    let thumb = list.0["template"]["outputs"][0]["carousel"]["items"][0]["thumbnails"][0]["imageUrl"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        thumb.contains("/images/products/") && thumb.ends_with("/thumb.jpg"),
        "{thumb}"
    );
    let path = thumb.split_once("://").unwrap().1.split_once('/').unwrap().1;
    let (status, _) = app.get(&format!("/{path}")).await;
    assert_eq!(status, 200, "the thumbnail is served");

    let detail = app
        .skill(
            "/skill/products/detail",
            &payload("visitor").extra("productId", &id.to_string()).build(),
        )
        .await;
    let photos = detail.0["template"]["outputs"][0]["carousel"]["items"]
        .as_array()
        .expect("photo carousel");
    assert_eq!(photos.len(), 2);
    assert!(detail.text().contains("배터리 성능 95%"));
}

async fn registering_twice_or_concurrently_creates_one_product(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = Arc::new(market(backend, &cdn).await);
    join(&app, "seller", "판매자").await;
    let draft = preview(&app, "seller", &cdn.secure_images(&["photo.jpg"])).await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let app = app.clone();
        let draft = draft.clone();
        tasks.push(tokio::spawn(async move {
            app.skill(
                "/skill/products/register",
                &payload("seller").extra("draftId", &draft).build(),
            )
            .await
        }));
    }
    let mut created = 0;
    let mut ids = std::collections::HashSet::new();
    for task in tasks {
        let reply = task.await.unwrap();
        if reply.contains("등록했어요") {
            created += 1;
        } else {
            assert!(reply.contains("이미 등록한 상품"), "{}", reply.text());
        }
        ids.insert(product_id_of(&reply));
    }
    assert_eq!(created, 1);
    assert_eq!(ids.len(), 1, "every answer points at the one product");
    let count: i64 = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM products").fetch_one(pool).await.unwrap()
    });
    assert_eq!(count, 1);
}

async fn nobody_can_register_someone_elses_draft(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;
    join(&app, "thief", "가로채기").await;
    let draft = preview(&app, "seller", &cdn.secure_images(&["photo.jpg"])).await;
    for user in ["thief", "not-a-member"] {
        let reply = app
            .skill(
                "/skill/products/register",
                &payload(user).extra("draftId", &draft).build(),
            )
            .await;
        assert!(!reply.contains("등록했어요"), "{user}: {}", reply.text());
    }
    let garbage = app
        .skill(
            "/skill/products/register",
            &payload("seller").extra("draftId", "abc").build(),
        )
        .await;
    assert!(garbage.contains("미리보기를 찾을 수 없어요"));
}

async fn every_preview_field_is_checked_with_a_korean_message(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;
    let good = cdn.secure_images(&["photo.jpg"]);
    let with = |key: &str, value: &str| {
        let mut body = preview_body("seller", &good);
        if key == "category" {
            body["action"]["clientExtra"]["category"] = json!(value);
        } else {
            body["action"]["params"][key] = json!(value);
            body["action"]["detailParams"][key] = json!({"origin": value});
        }
        body
    };
    let evil =
        json!({"privacyAgreement": "Y", "secureUrls": "List(http://169.254.169.254/latest/meta-data)"})
            .to_string();
    let refused_privacy =
        json!({"privacyAgreement": "N", "secureUrls": format!("List(http://{}/dna/photo.jpg)", cdn.addr)})
            .to_string();
    let cases = [
        (with("category", "weapons"), "카테고리"),
        (with("productName", ""), "상품명"),
        (with("productName", &"가".repeat(31)), "30"),
        (with("price", "3000000000"), "10억"),
        (with("price", "99999999999999999999"), "10억"),
        (with("price", "-5"), "0원"),
        (with("description", " "), "설명"),
        (with("location", "x"), "장소"),
        (
            with("openChatUrl", "https://open.kakao.com.evil.com/o/x"),
            "오픈채팅",
        ),
        (with("images", "not json"), "사진"),
        (with("images", &refused_privacy), "동의"),
        (with("images", &evil), "1번째 사진: 카카오톡에서 올린 사진만"),
    ];
    let hits_before = cdn.hits.load(Ordering::SeqCst);
    for (body, expected) in cases {
        let reply = app.skill("/skill/products/preview", &body).await;
        let text = reply.text();
        assert!(text.contains(expected), "expected '{expected}' in: {text}");
        assert!(
            quick_reply_extra(&reply, "등록하기").is_none(),
            "no draft for an invalid preview: {text}"
        );
    }
    assert_eq!(
        cdn.hits.load(Ordering::SeqCst),
        hits_before,
        "nothing was downloaded for refused previews"
    );
    let drafts: i64 = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM product_drafts").fetch_one(pool).await.unwrap()
    });
    assert_eq!(drafts, 0, "no draft for an invalid preview");
    let mut by_slot = preview_body("seller", &good);
    by_slot["action"]["clientExtra"] = json!({});
    by_slot["action"]["params"]["category"] = json!("디지털기기");
    let reply = app.skill("/skill/products/preview", &by_slot).await;
    assert!(
        quick_reply_extra(&reply, "등록하기").is_some(),
        "the category may come as a slot: {}",
        reply.text()
    );
    // Entered by its utterance, with no category at all: 기타, said in the preview, nothing lost.
    let mut uncategorised = preview_body("seller", &good);
    uncategorised["action"]["clientExtra"] = json!({});
    let reply = app.skill("/skill/products/preview", &uncategorised).await;
    assert!(
        quick_reply_extra(&reply, "등록하기").is_some() && reply.contains("기타 (다시 입력에서 변경)"),
        "no category becomes 기타: {}",
        reply.text()
    );
    let stranger = app
        .skill("/skill/products/preview", &preview_body("stranger", &good))
        .await;
    assert!(stranger.contains("회원가입이 필요해요"));
}

async fn slow_photos_do_not_hold_up_the_answer(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;
    let started = Instant::now();
    let draft = preview(&app, "seller", &cdn.secure_images(&["slow.jpg", "text.jpg"])).await;
    let done = app
        .skill(
            "/skill/products/register",
            &payload("seller").extra("draftId", &draft).build(),
        )
        .await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "answered before the photos arrived"
    );
    assert!(done.contains("사진은 처리되는 대로"), "{}", done.text());
    let id = product_id_of(&done);
    assert_eq!(
        wait_for_photos(&app, id).await,
        "ready",
        "the slow photo arrives; the non-image is dropped"
    );
    let detail = app
        .skill(
            "/skill/products/detail",
            &payload("visitor").extra("productId", &id.to_string()).build(),
        )
        .await;
    assert_eq!(
        detail.0["template"]["outputs"][0]["carousel"]["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// The photo set of the member's draft `draft`, once its downloads are over (`ready` or `failed`).
async fn wait_for_draft_photos(app: &TestApp, draft: &str) -> String {
    let draft: i64 = draft.parse().unwrap();
    let started = Instant::now();
    loop {
        let state: String = junggye::dispatch!(&app.state.db, pool => {
            sqlx::query_scalar("SELECT ps.state FROM product_drafts d JOIN photo_sets ps ON ps.id = d.photo_set_id WHERE d.id = $1")
                .bind(draft).fetch_one(pool).await.unwrap()
        });
        if state != "pending" || started.elapsed() > Duration::from_secs(10) {
            return state;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stored_failures(app: &TestApp) -> Vec<(i64, String)> {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT position, reason FROM photo_failures ORDER BY set_id, position")
            .fetch_all(pool).await.unwrap()
    })
}

async fn detail_for(app: &TestApp, user: &str, product_id: i64) -> crate::helpers::Reply {
    app.skill(
        "/skill/products/detail",
        &payload(user).extra("productId", &product_id.to_string()).build(),
    )
    .await
}

fn photo_cards(reply: &crate::helpers::Reply) -> Vec<serde_json::Value> {
    reply.0["template"]["outputs"][0]["carousel"]["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn the_seller_is_told_which_photos_were_dropped_and_why(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;
    let images = cdn.secure_images(&["deep.png", "photo.jpg", "text.jpg", "deep.png"]);
    let draft = preview(&app, "seller", &images).await;
    assert_eq!(wait_for_draft_photos(&app, &draft).await, "ready");

    let done = app
        .skill(
            "/skill/products/register",
            &payload("seller").extra("draftId", &draft).build(),
        )
        .await;
    let text = done.text();
    for expected in [
        "등록했어요",
        "사진 4장 중 3장을 올리지 못했어요.",
        "· 1, 4번째 사진: 사진의 가로세로 크기가 너무 커요.",
        "· 3번째 사진: 사진 파일이 아니에요.",
        "나머지 사진은 등록되었어요.",
    ] {
        assert!(text.contains(expected), "expected '{expected}' in: {text}");
    }
    assert_eq!(
        stored_failures(&app).await,
        [
            (0, "too_much_memory".to_owned()),
            (2, "not_an_image".to_owned()),
            (3, "too_much_memory".to_owned()),
        ],
        "each failure is kept with the photo's place and reason"
    );

    // The owner sees every photo in upload order, the dropped ones as placeholders saying why.
    let id = product_id_of(&done);
    let owner = detail_for(&app, "seller", id).await;
    let cards = photo_cards(&owner);
    assert_eq!(cards.len(), 4, "{cards:#?}");
    assert_eq!(cards[0]["title"], "1번째 사진을 올리지 못했어요");
    assert!(cards[0]["description"].as_str().unwrap().contains("너무 커요"));
    assert!(
        cards[0]["thumbnail"]["imageUrl"]
            .as_str()
            .unwrap()
            .ends_with("/static/no-photo.png")
    );
    assert!(cards[1]["title"].is_null(), "the stored photo: {}", cards[1]);
    assert!(
        cards[1]["thumbnail"]["imageUrl"]
            .as_str()
            .unwrap()
            .ends_with("/thumb.jpg")
    );
    assert_eq!(cards[2]["title"], "3번째 사진을 올리지 못했어요");
    assert!(
        cards[2]["description"]
            .as_str()
            .unwrap()
            .contains("사진 파일이 아니에요")
    );
    assert_eq!(cards[3]["title"], "4번째 사진을 올리지 못했어요");
    assert!(
        owner.contains("사진 4장 중 3장을 올리지 못했어요."),
        "{}",
        owner.text()
    );

    // Buyers see the one photo, and nothing about the others.
    let visitor = detail_for(&app, "visitor", id).await;
    assert_eq!(photo_cards(&visitor).len(), 1);
    assert!(!visitor.contains("올리지 못했어요"), "{}", visitor.text());
}

async fn a_product_whose_photos_all_failed_says_why_to_its_seller(backend: Backend) {
    let cdn = fake_cdn().await;
    let app = market(backend, &cdn).await;
    join(&app, "seller", "판매자").await;
    let draft = preview(&app, "seller", &cdn.secure_images(&["gone.jpg"])).await;
    assert_eq!(wait_for_draft_photos(&app, &draft).await, "failed");

    let done = app
        .skill(
            "/skill/products/register",
            &payload("seller").extra("draftId", &draft).build(),
        )
        .await;
    let text = done.text();
    assert!(
        text.contains("사진을 올리지 못했어요.\n· 1번째 사진: 사진을 받아오지 못했어요.")
            && text.contains("사진 없이 등록되었어요."),
        "{text}"
    );
    assert_eq!(stored_failures(&app).await, [(0, "download_failed".to_owned())]);

    let owner = detail_for(&app, "seller", product_id_of(&done)).await;
    let cards = photo_cards(&owner);
    assert_eq!(cards.len(), 1, "{:#}", owner.0);
    assert_eq!(cards[0]["title"], "1번째 사진을 올리지 못했어요");
    assert!(
        owner.contains("사진을 올리지 못했어요. 이유는 사진 카드에 있어요."),
        "{}",
        owner.text()
    );
    let visitor = detail_for(&app, "visitor", product_id_of(&done)).await;
    assert!(photo_cards(&visitor).is_empty());
}
