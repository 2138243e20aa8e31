//! The ceiling for skill benchmarks: a bare axum handler answering a fixed ten-card carousel built with
//! our own builders (serialised once), with no middleware, database or logging. `benches/run.sh` runs it
//! beside the real server so every figure can be read as a fraction of what this machine can do.
//!
//! `cargo run --release --example ceiling -- 127.0.0.1:18090`

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use kakao_skill::{Button, Carousel, CommerceCard, SkillResponse, Thumbnail, WebUrl};

fn ten_card_carousel() -> Vec<u8> {
    let cards = (1..=10).map(|i| {
        let image = WebUrl::parse(&format!("https://img.example.com/p/{i}.jpg")).expect("valid url");
        let page = WebUrl::parse(&format!("https://market.example.com/p/{i}")).expect("valid url");
        CommerceCard::new(
            10_000 * i,
            Thumbnail::new(image),
            Button::web_link("상세보기", page),
        )
        .title(format!("상품 {i}"))
        .description("디지털기기 · 2026년 11월 22일")
    });
    let carousel = Carousel::from_cards(cards).expect("ten cards");
    SkillResponse::new(carousel).to_json_bytes()
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18090".into());
    let body: &'static [u8] = ten_card_carousel().leak();
    let app = Router::new().route(
        "/ceiling",
        post(move || async move { ([(CONTENT_TYPE, "application/json")], body) }),
    );
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}
