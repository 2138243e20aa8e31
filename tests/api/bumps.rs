//! 끌어올리기 (bump), on both databases: a bumped product leads the lists (and its category and search)
//! while paging neither repeats nor skips a product; the interval and its wait; only the seller's product
//! on sale; two bumps at once move it once; a bump racing a status change; and conversation mode.

use std::time::Duration;

use junggye::domain::ids::ProductId;
use junggye::products::bump::{self, Bumped};
use junggye::products::{Category, ProductStatus};

use crate::helpers::{Backend, Reply, TestApp, join, payload, tap};
use crate::on_both_backends;
use crate::pay_world::member_id;
use crate::products::{card_titles, quick_reply_extra, seed_product};

async fn product(app: &TestApp, seller: &str, name: &str) -> ProductId {
    ProductId::new(seed_product(&app.state.db, seller, name, Category::Etc, ProductStatus::OnSale).await)
}

async fn bump_skill(app: &TestApp, user: &str, product: ProductId) -> Reply {
    let body = payload(user)
        .extra("productId", &product.get().to_string())
        .build();
    app.skill("/skill/products/bump", &body).await
}

/// Moves the product's last listing `hours` into the past, as if that much time had gone by.
async fn age(app: &TestApp, product: ProductId, hours: i64) {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query("UPDATE products SET listed_at = listed_at - $1 WHERE id = $2")
            .bind(hours * 3_600_000)
            .bind(product)
            .execute(pool)
            .await
            .unwrap();
    });
}

async fn listed_at(app: &TestApp, product: ProductId) -> i64 {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT listed_at FROM products WHERE id = $1")
            .bind(product)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// Every product name of the main list, page after page through "더보기".
async fn whole_list(app: &TestApp, path: &str, extra: &[(&str, &str)]) -> Vec<String> {
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = payload("u-reader");
        for (key, value) in extra {
            body = body.extra(key, value);
        }
        if let Some(cursor) = &cursor {
            body = body.extra("cursor", cursor);
        }
        let page = app.skill(path, &body.build()).await;
        names.extend(card_titles(&page));
        match quick_reply_extra(&page, "더보기") {
            Some(more) => cursor = Some(more["cursor"].as_str().unwrap().to_owned()),
            None => return names,
        }
        assert!(names.len() < 100, "the pages do not end: {names:?}");
    }
}

async fn a_bumped_product_leads_every_list_and_paging_stays_whole(backend: Backend) {
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "u-seller", "판매자").await;
    let mut products = Vec::new();
    for i in 1..=23 {
        products.push(product(&app, "u-seller", &format!("의자 {i:02}")).await);
    }
    // Everything was listed a day ago, oldest first.
    for (i, p) in products.iter().enumerate() {
        age(&app, *p, 30 + 23 - i as i64).await;
    }
    let expected: Vec<String> = (1..=23).rev().map(|i| format!("의자 {i:02}")).collect();
    assert_eq!(whole_list(&app, "/skill/products", &[]).await, expected);

    let bumped = bump_skill(&app, "u-seller", products[4]).await;
    assert!(bumped.text().contains("끌어올렸어요"), "{}", bumped.text());
    let mut after = vec!["의자 05".to_owned()];
    after.extend(expected.iter().filter(|n| *n != "의자 05").cloned());
    assert_eq!(whole_list(&app, "/skill/products", &[]).await, after);
    assert_eq!(
        whole_list(&app, "/skill/products/category", &[("category", "etc")]).await,
        after
    );
    assert_eq!(
        whole_list(&app, "/skill/products/search", &[("query", "의자")]).await,
        after
    );
    // The seller's own list follows the same order.
    let mine = app
        .skill("/skill/products/mine", &payload("u-seller").build())
        .await;
    assert_eq!(card_titles(&mine).first().map(String::as_str), Some("의자 05"));
}

async fn a_bump_waits_its_interval_and_says_how_long(backend: Backend) {
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-other", "구경꾼").await;
    let chair = product(&app, "u-seller", "의자").await;

    let fresh = bump_skill(&app, "u-seller", chair).await;
    assert!(
        fresh.text().contains("24시간에 한 번") && fresh.text().contains("뒤에 다시"),
        "{}",
        fresh.text()
    );
    age(&app, chair, 20).await;
    let soon = bump_skill(&app, "u-seller", chair).await;
    assert!(soon.text().contains("4시간 뒤에 다시"), "{}", soon.text());
    let before = listed_at(&app, chair).await;
    age(&app, chair, 5).await;
    assert!(
        bump_skill(&app, "u-seller", chair)
            .await
            .text()
            .contains("끌어올렸어요")
    );
    assert!(listed_at(&app, chair).await > before);
    let again = bump_skill(&app, "u-seller", chair).await;
    assert!(again.text().contains("24시간 뒤에 다시"), "{}", again.text());

    age(&app, chair, 48).await;
    let theirs = bump_skill(&app, "u-other", chair).await;
    assert!(theirs.text().contains("내가 등록한 상품만"), "{}", theirs.text());
    let stranger = bump_skill(&app, "u-stranger", chair).await;
    assert!(stranger.text().contains("회원가입"), "{}", stranger.text());

    let seller = member_id(&app, "u-seller").await;
    let (db, catalog, outbox) = (&app.state.db, &app.state.catalog, &app.state.outbox);
    junggye::products::store::change_status(
        db,
        catalog,
        outbox,
        chair,
        seller,
        ProductStatus::OnSale,
        ProductStatus::Reserved,
    )
    .await
    .unwrap();
    let reserved = bump_skill(&app, "u-seller", chair).await;
    assert!(
        reserved.text().contains("판매중인 상품만") && reserved.text().contains("예약중"),
        "{}",
        reserved.text()
    );
    let detail = app
        .skill(
            "/skill/products/detail",
            &payload("u-seller")
                .extra("productId", &chair.get().to_string())
                .build(),
        )
        .await;
    assert!(!detail.quick_reply_labels().contains(&"끌어올리기".to_owned()));
}

async fn two_bumps_at_once_move_it_once(backend: Backend) {
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "u-seller", "판매자").await;
    let seller = member_id(&app, "u-seller").await;
    let (db, catalog) = (&app.state.db, &app.state.catalog);
    let day = Duration::from_secs(86_400);
    for round in 0..10 {
        let chair = product(&app, "u-seller", &format!("의자 {round}")).await;
        age(&app, chair, 25).await;
        let (x, y) = tokio::join!(
            bump::bump(db, catalog, chair, seller, day),
            bump::bump(db, catalog, chair, seller, day)
        );
        let outcomes = [x.unwrap(), y.unwrap()];
        let done = outcomes.iter().filter(|o| **o == Bumped::Done).count();
        assert_eq!(done, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes
                .iter()
                .any(|o| matches!(o, Bumped::TooSoon { wait } if *wait > Duration::from_secs(86_000))),
            "round {round}: {outcomes:?}"
        );
    }
}

/// A bump and the seller's reservation at once: whichever order they took, the product ends reserved,
/// and the bump says it moved the product exactly when its listing time changed.
async fn a_bump_racing_a_status_change_applies_only_to_a_product_on_sale(backend: Backend) {
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "u-seller", "판매자").await;
    let seller = member_id(&app, "u-seller").await;
    let (db, catalog, outbox) = (&app.state.db, &app.state.catalog, &app.state.outbox);
    let mut bumped_first = 0;
    for round in 0..10 {
        let chair = product(&app, "u-seller", &format!("의자 {round}")).await;
        age(&app, chair, 25).await;
        let before = listed_at(&app, chair).await;
        let (bumped, reserved) = tokio::join!(
            bump::bump(db, catalog, chair, seller, Duration::from_secs(86_400)),
            junggye::products::store::change_status(
                db,
                catalog,
                outbox,
                chair,
                seller,
                ProductStatus::OnSale,
                ProductStatus::Reserved,
            )
        );
        assert!(reserved.unwrap(), "round {round}: the reservation always applies");
        let moved = listed_at(&app, chair).await != before;
        match bumped.unwrap() {
            Bumped::Done => {
                assert!(moved, "round {round}");
                bumped_first += 1;
            }
            Bumped::NotOnSale(ProductStatus::Reserved) => assert!(!moved, "round {round}"),
            other => panic!("round {round}: {other:?}"),
        }
    }
    eprintln!("bump before the reservation in {bumped_first}/10 rounds");
}

async fn bumps_work_in_conversation_mode(backend: Backend) {
    let app = TestApp::with(backend, |_| {}, junggye::router::skill_routes()).await;
    join(&app, "u-seller", "판매자").await;
    let chair = product(&app, "u-seller", "캠핑 의자").await;
    age(&app, chair, 25).await;
    let say = |text: &str| payload("u-seller").says(text).build();
    let detail = app
        .skill(
            "/skill/chat",
            &say(&format!("상품상세 productId={}", chair.get())),
        )
        .await;
    let done = app.skill("/skill/chat", &say(&tap(&detail, "끌어올리기"))).await;
    assert!(done.text().contains("끌어올렸어요"), "{}", done.text());
    let again = app.skill("/skill/chat", &say(&tap(&detail, "끌어올리기"))).await;
    assert!(again.text().contains("뒤에 다시"), "{}", again.text());
}

on_both_backends!(
    a_bumped_product_leads_every_list_and_paging_stays_whole,
    a_bump_waits_its_interval_and_says_how_long,
    two_bumps_at_once_move_it_once,
    a_bump_racing_a_status_change_applies_only_to_a_product_on_sale,
    bumps_work_in_conversation_mode,
);
