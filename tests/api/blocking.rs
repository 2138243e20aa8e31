//! 차단 (blocks), on both databases: a block hides each member's products from the other in every list,
//! search and detail, stops buying and offering between them and ends their open offers; it is listed and
//! lifted; it never lets an order open after it, even when the two race; and it works in conversation mode.

use axum::http::StatusCode;
use junggye::blocking;
use junggye::domain::ids::ProductId;
use junggye::members::blocks::{self as member_blocks, Blocked};
use junggye::offers::store::{self as offers, Made};

use crate::helpers::{Backend, Reply, TestApp, join, payload, tap};
use crate::on_both_backends;
use crate::pay_world::{KAKAOTALK_UA, Market, member_id};
use crate::products::seed_product;

async fn list(app: &TestApp, user: &str) -> String {
    app.skill("/skill/products", &payload(user).build()).await.text()
}

async fn detail(app: &TestApp, user: &str, product: ProductId) -> Reply {
    let body = payload(user)
        .extra("productId", &product.get().to_string())
        .build();
    app.skill("/skill/products/detail", &body).await
}

async fn a_block_hides_both_ways_and_stops_buying_and_offering(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    market.member("u-other", "다른이").await;
    let camera = market.product("u-seller", "필름 카메라").await;
    let bike = market.product("u-buyer", "접이식 자전거").await;
    let (db, outbox) = (&app.state.db, &app.state.outbox);
    assert!(matches!(
        offers::make(db, outbox, camera, buyer, 1_000).await.unwrap(),
        Made::Made { .. }
    ));
    assert!(list(app, "u-buyer").await.contains("필름 카메라"));

    let id = seller.get().to_string();
    let ask = app
        .skill(
            "/skill/members/block",
            &payload("u-buyer").extra("memberId", &id).build(),
        )
        .await;
    assert!(ask.text().contains("판매자님을 차단할까요"), "{}", ask.text());
    assert!(
        list(app, "u-buyer").await.contains("필름 카메라"),
        "asking blocks nothing"
    );
    let body = payload("u-buyer")
        .extra("memberId", &id)
        .extra("confirm", "yes")
        .build();
    assert!(
        app.skill("/skill/members/block", &body)
            .await
            .text()
            .contains("판매자님을 차단했어요")
    );

    assert!(!list(app, "u-buyer").await.contains("필름 카메라"));
    assert!(
        !list(app, "u-seller").await.contains("접이식 자전거"),
        "both ways"
    );
    assert!(
        list(app, "u-other").await.contains("필름 카메라"),
        "others see everything"
    );
    let search = payload("u-buyer").param("query", "카메라").build();
    assert!(
        !app.skill("/skill/products/search", &search)
            .await
            .text()
            .contains("필름 카메라")
    );
    assert!(
        detail(app, "u-buyer", camera)
            .await
            .text()
            .contains("찾을 수 없는 상품")
    );
    assert!(
        detail(app, "u-seller", bike)
            .await
            .text()
            .contains("찾을 수 없는 상품")
    );
    let withdrawn: String = junggye::dispatch!(db, pool => {
        sqlx::query_scalar("SELECT status FROM offers WHERE product_id = $1").bind(camera).fetch_one(pool).await.unwrap()
    });
    assert_eq!(withdrawn, "withdrawn", "open offers between them end");
    assert_eq!(
        offers::make(db, outbox, camera, buyer, 1_000).await.unwrap(),
        Made::NotOnSale
    );
    let link = market.link(buyer, camera).await;
    assert_eq!(
        market.browse(&link, KAKAOTALK_UA).await.status,
        StatusCode::CONFLICT
    );
    assert_eq!(market.order_count().await, 0);
    assert!(
        app.skill("/skill/members/blocks", &payload("u-buyer").build())
            .await
            .text()
            .contains("판매자님")
    );

    let unblock = payload("u-buyer").extra("memberId", &id).build();
    assert!(
        app.skill("/skill/members/unblock", &unblock)
            .await
            .text()
            .contains("차단을 풀었어요")
    );
    assert!(list(app, "u-buyer").await.contains("필름 카메라"));
    assert!(
        !detail(app, "u-buyer", camera)
            .await
            .text()
            .contains("찾을 수 없는 상품")
    );
}

async fn a_block_racing_a_purchase_never_lets_an_order_open_after_it(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let db = &app.state.db;
    let mut opened = 0;
    for round in 0..10 {
        // A buyer of its own each round, so "a trade between them was open" is about this round's order.
        let buyer = market
            .member(&format!("u-buyer-{round}"), &format!("구매자{round}"))
            .await;
        let product = market.product("u-seller", &format!("의자 {round}")).await;
        let link = market.link(buyer, product).await;
        let (page, blocked) = tokio::join!(
            market.browse(&link, KAKAOTALK_UA),
            member_blocks::block(db, &app.state.block_roster, seller, buyer)
        );
        let Blocked::Blocked { open_trade } = blocked.unwrap() else {
            panic!("round {round}: not blocked");
        };
        let orders: i64 = junggye::dispatch!(db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE product_id = $1").bind(product).fetch_one(pool).await.unwrap()
        });
        // An order exists only if it was opened before the block (which then saw it).
        assert_eq!(orders == 1, open_trade, "round {round}: page {}", page.status);
        assert_eq!(page.status == StatusCode::SEE_OTHER, orders == 1, "round {round}");
        opened += orders;
    }
    eprintln!("a block raced a purchase 10 times: {opened} purchase(s) went first");
}

async fn blocking_works_in_conversation_mode(backend: Backend) {
    let app = TestApp::with(backend, |_| {}, junggye::router::skill_routes()).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-kim", "김철수").await;
    let product = ProductId::new(
        seed_product(
            &app.state.db,
            "u-seller",
            "캠핑 의자",
            junggye::products::Category::Etc,
            junggye::products::ProductStatus::OnSale,
        )
        .await,
    );
    let say = |text: &str| payload("u-kim").says(text).build();
    let shown = app
        .skill(
            "/skill/chat",
            &say(&format!("상품상세 productId={}", product.get())),
        )
        .await;
    let asked = app.skill("/skill/chat", &say(&tap(&shown, "판매자 차단"))).await;
    assert!(asked.text().contains("차단할까요"), "{}", asked.text());
    let done = app.skill("/skill/chat", &say(&tap(&asked, "차단"))).await;
    assert!(done.text().contains("차단했어요"), "{}", done.text());
    let kim = member_id(&app, "u-kim").await;
    let seller = member_id(&app, "u-seller").await;
    assert!(
        blocking::hidden_from(&app.state.db, kim)
            .await
            .unwrap()
            .contains(&seller)
    );
    let blocks = app.skill("/skill/chat", &say("차단목록")).await;
    let lifted = app.skill("/skill/chat", &say(&tap(&blocks, "차단 해제"))).await;
    assert!(lifted.text().contains("차단을 풀었어요"), "{}", lifted.text());
}

on_both_backends!(
    a_block_hides_both_ways_and_stops_buying_and_offering,
    lists_skip_the_block_read_only_for_members_off_the_roster,
    a_block_racing_a_purchase_never_lets_an_order_open_after_it,
    blocking_works_in_conversation_mode,
);

/// Lists read a caller's blocks only when the caller is on the block roster. A block made here puts both
/// members on it at once; one made by another instance (written straight to the database here) is seen
/// after the next reload, which runs every catalog time-to-live; a roster that was never loaded hides
/// nothing by mistake, because everyone is on it.
async fn lists_skip_the_block_read_only_for_members_off_the_roster(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let app = &market.app;
    let roster = &app.state.block_roster;
    let db = &app.state.db;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let other = market.member("u-other", "다른이").await;
    market.product("u-seller", "필름 카메라").await;
    market.product("u-other", "캠핑 의자").await;

    roster.reload(db).await.unwrap();
    assert!(!roster.may_be_blocking("u-buyer"), "nobody blocked anyone yet");
    assert!(list(app, "u-buyer").await.contains("필름 카메라"));

    member_blocks::block(db, roster, buyer, seller).await.unwrap();
    assert!(roster.may_be_blocking("u-buyer") && roster.may_be_blocking("u-seller"));
    assert!(!roster.may_be_blocking("u-other"));
    assert!(
        !list(app, "u-buyer").await.contains("필름 카메라"),
        "at once, on this instance"
    );

    // Another instance's block: this one learns of it at its next reload.
    junggye::dispatch!(db, pool => {
        sqlx::query("INSERT INTO member_blocks (blocker_id, blocked_id, created_at) VALUES ($1, $2, 0)")
            .bind(other).bind(buyer).execute(pool).await.unwrap();
    });
    assert!(!roster.may_be_blocking("u-other"), "not yet reloaded");
    roster.reload(db).await.unwrap();
    assert!(roster.may_be_blocking("u-other"));
    assert!(
        !list(app, "u-buyer").await.contains("캠핑 의자"),
        "both ways, after the reload"
    );

    // The background reload runs every catalog time-to-live (2 s in tests, as by default).
    junggye::dispatch!(db, pool => {
        sqlx::query("DELETE FROM member_blocks").execute(pool).await.unwrap();
    });
    tokio::time::sleep(std::time::Duration::from_millis(4_500)).await;
    assert!(
        !roster.may_be_blocking("u-buyer"),
        "lifted blocks leave the roster at a reload"
    );
    assert!(list(app, "u-buyer").await.contains("캠핑 의자"));

    let unloaded = blocking::Roster::new();
    assert!(
        unloaded.may_be_blocking("u-anyone"),
        "unsure means reading the blocks"
    );
}
