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
);

/// A fake Kakao CDN: `/dna/photo.jpg` (a real JPEG), `/dna/slow.jpg` (answers after 2 s), `/dna/text.jpg`.
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
        junggye::app::skill_routes(),
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
        (with("images", &evil), "카카오톡에서 올린 사진만"),
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
            &payload("seller").extra("productId", &id.to_string()).build(),
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
