//! 가격 제안 (offers), on both databases: the rules of making one, the seller's answers and what each
//! party is told, paying the accepted price through the real payment path, two acceptances at once,
//! offers turned off, and the whole exchange in conversation mode.

use axum::http::StatusCode;
use junggye::domain::ids::{MemberId, ProductId};
use junggye::notifications::Kind;
use junggye::offers::store::{self as offers, Accepted, Made};
use junggye::orders::OrderStatus;

use crate::helpers::{Backend, Reply, TestApp, join, notify_settings, payload, tap};
use crate::on_both_backends;
use crate::pay_world::{KAKAOTALK_UA, Market, PRICE, member_id};
use crate::products::seed_product;

async fn offer(app: &TestApp, user: &str, product: ProductId, price: &str) -> Reply {
    let body = payload(user)
        .extra("productId", &product.get().to_string())
        .param("price", price)
        .build();
    app.skill("/skill/offers/make", &body).await
}

/// The outbox rows of `kind`: recipient and amount.
async fn notices(app: &TestApp, kind: Kind) -> Vec<(MemberId, Option<i64>)> {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT recipient_id, amount FROM notifications WHERE kind = $1 ORDER BY id")
            .bind(kind.key())
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

async fn offer_id(app: &TestApp, product: ProductId, buyer: MemberId) -> i64 {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT id FROM offers WHERE product_id = $1 AND buyer_id = $2")
            .bind(product)
            .bind(buyer)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

async fn an_accepted_offer_is_paid_at_its_price_and_the_others_are_declined(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let kim = market.member("u-kim", "김철수").await;
    let lee = market.member("u-lee", "이영희").await;
    let product = market.product("u-seller", "카메라").await;

    assert!(
        offer(app, "u-kim", product, "1만 2천원")
            .await
            .text()
            .contains("12,000원을 제안했어요")
    );
    let again = offer(app, "u-kim", product, "13000").await;
    assert!(
        again.text().contains("13,000원(으)로 바꿨어요"),
        "{}",
        again.text()
    );
    let too_high = offer(app, "u-lee", product, &PRICE.to_string()).await;
    assert!(
        too_high.text().contains("보다 낮은 가격을 제안해 주세요"),
        "{}",
        too_high.text()
    );
    assert!(
        offer(app, "u-seller", product, "1000")
            .await
            .text()
            .contains("내 상품에는")
    );
    assert!(
        offer(app, "u-lee", product, "11000")
            .await
            .text()
            .contains("11,000원을 제안했어요")
    );
    let received = notices(app, Kind::OfferReceived).await;
    assert_eq!(
        received,
        vec![
            (seller, Some(12_000)),
            (seller, Some(13_000)),
            (seller, Some(11_000))
        ]
    );

    let list = app.skill("/skill/offers", &payload("u-seller").build()).await;
    let text = list.text();
    let (first, second) = (
        text.find("13,000원 · 카메라").unwrap(),
        text.find("11,000원 · 카메라").unwrap(),
    );
    assert!(first < second, "highest first: {text}");
    let seller_view = app
        .skill(
            "/skill/products/detail",
            &payload("u-seller")
                .extra("productId", &product.get().to_string())
                .build(),
        )
        .await;
    assert!(
        seller_view
            .quick_reply_labels()
            .contains(&"받은 제안 2".to_owned()),
        "{:?}",
        seller_view.quick_reply_labels()
    );

    let kims = offer_id(app, product, kim).await;
    let accept = |user: &str, confirm: bool| {
        let mut body = payload(user).extra("offerId", &kims.to_string());
        if confirm {
            body = body.extra("confirm", "yes");
        }
        body.build()
    };
    assert!(
        app.skill("/skill/offers/accept", &accept("u-lee", true))
            .await
            .text()
            .contains("찾을 수 없는 제안")
    );
    assert!(
        app.skill("/skill/offers/accept", &accept("u-seller", false))
            .await
            .text()
            .contains("받아들일까요")
    );
    let done = app.skill("/skill/offers/accept", &accept("u-seller", true)).await;
    assert!(
        done.text().contains("받아들였어요") && done.text().contains("다른 제안 1개는 거절"),
        "{}",
        done.text()
    );
    assert_eq!(notices(app, Kind::OfferAccepted).await, vec![(kim, Some(13_000))]);
    assert_eq!(notices(app, Kind::OfferDeclined).await, vec![(lee, Some(11_000))]);
    assert!(
        offer(app, "u-lee", product, "14000")
            .await
            .text()
            .contains("이미 다른 제안을 받아들였어요")
    );
    assert!(
        app.skill("/skill/offers/accept", &accept("u-seller", true))
            .await
            .text()
            .contains("이미 답했거나")
    );

    // Kim's detail offers the offered price; the link binds it, and the order is made at it.
    let detail = app
        .skill(
            "/skill/products/detail",
            &payload("u-kim")
                .extra("productId", &product.get().to_string())
                .build(),
        )
        .await;
    assert!(detail.0.to_string().contains("제안가로 구매"), "{}", detail.0);
    let token = market.payments().links().issue(lee, product, 13_000);
    let refused = market.browse(&format!("/pay/{token}"), KAKAOTALK_UA).await;
    assert_eq!(
        refused.status,
        StatusCode::CONFLICT,
        "only the accepted buyer pays that price"
    );
    assert_eq!(market.order_count().await, 0);
    let token = market.payments().links().issue(kim, product, 13_000);
    let page = market.browse(&format!("/pay/{token}"), KAKAOTALK_UA).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let tid = market.fake.tid_from_redirect(&page.location.unwrap()).unwrap();
    market.pay_and_return(&tid).await;
    let order = market.order_by_tid(&tid).await;
    assert_eq!(
        (order.status, order.amount, order.buyer_id),
        (OrderStatus::Paid, 13_000, kim)
    );
}

async fn of_two_acceptances_at_once_exactly_one_wins(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let a = market.member("u-a", "가나다").await;
    let b = market.member("u-b", "라마바").await;
    let (db, outbox) = (&app.state.db, &app.state.outbox);
    for round in 0..10 {
        let product = market.product("u-seller", &format!("의자 {round}")).await;
        for (buyer, price) in [(a, 10_000), (b, 11_000)] {
            assert!(matches!(
                offers::make(db, outbox, product, buyer, price).await.unwrap(),
                Made::Made { .. }
            ));
        }
        let (first, second) = (offer_id(app, product, a).await, offer_id(app, product, b).await);
        let (x, y) = tokio::join!(
            offers::accept(db, outbox, first, seller),
            offers::accept(db, outbox, second, seller)
        );
        let outcomes = [x.unwrap(), y.unwrap()];
        let won = outcomes
            .iter()
            .filter(|o| matches!(o, Accepted::Accepted { .. }))
            .count();
        assert_eq!(won, 1, "round {round}: {outcomes:?}");
        let accepted: i64 = junggye::dispatch!(db, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM offers WHERE product_id = $1 AND status = 'accepted'")
                .bind(product)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        assert_eq!(accepted, 1, "round {round}");
    }
}

async fn a_seller_turns_offers_off_and_on(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let app = &market.app;
    market.member("u-seller", "판매자").await;
    market.member("u-kim", "김철수").await;
    let product = market.product("u-seller", "카메라").await;
    let id = product.get().to_string();
    let detail = |user: &str| payload(user).extra("productId", &id).build();
    assert!(
        app.skill("/skill/products/detail", &detail("u-kim"))
            .await
            .quick_reply_labels()
            .contains(&"가격 제안".to_owned())
    );
    let toggle = |user: &str, set: &str| payload(user).extra("productId", &id).extra("set", set).build();
    assert!(
        app.skill("/skill/products/offers", &toggle("u-kim", "offers_off"))
            .await
            .text()
            .contains("내가 등록한 상품만")
    );
    let off = app
        .skill("/skill/products/offers", &toggle("u-seller", "offers_off"))
        .await;
    assert!(off.text().contains("가격 제안 불가"), "{}", off.text());
    assert!(
        !app.skill("/skill/products/detail", &detail("u-kim"))
            .await
            .quick_reply_labels()
            .contains(&"가격 제안".to_owned())
    );
    assert!(
        app.skill("/skill/products/detail", &detail("u-seller"))
            .await
            .quick_reply_labels()
            .contains(&"제안 받기".to_owned())
    );
    assert!(
        offer(app, "u-kim", product, "10000")
            .await
            .text()
            .contains("받지 않아요")
    );
    app.skill("/skill/products/offers", &toggle("u-seller", "offers_on"))
        .await;
    assert!(
        offer(app, "u-kim", product, "10000")
            .await
            .text()
            .contains("제안했어요")
    );
}

async fn offers_work_in_conversation_mode(backend: Backend) {
    let app = TestApp::with(
        backend,
        |c| c.notify = Some(notify_settings()),
        junggye::router::skill_routes(),
    )
    .await;
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
    let say = |user: &str, text: &str| payload(user).says(text).build();
    let detail = app
        .skill(
            "/skill/chat",
            &say("u-kim", &format!("상품상세 productId={}", product.get())),
        )
        .await;
    let asked = app
        .skill("/skill/chat", &say("u-kim", &tap(&detail, "가격 제안")))
        .await;
    assert!(asked.text().contains("얼마를 제안할까요"), "{}", asked.text());
    let made = app.skill("/skill/chat", &say("u-kim", "1만원")).await;
    assert!(made.text().contains("10,000원을 제안했어요"), "{}", made.text());
    let kim = member_id(&app, "u-kim").await;
    assert_eq!(notices(&app, Kind::OfferReceived).await.len(), 1);
    let list = app.skill("/skill/chat", &say("u-seller", "받은제안")).await;
    let confirm = app
        .skill("/skill/chat", &say("u-seller", &tap(&list, "수락")))
        .await;
    assert!(confirm.text().contains("받아들일까요"), "{}", confirm.text());
    let done = app
        .skill("/skill/chat", &say("u-seller", &tap(&confirm, "수락")))
        .await;
    assert!(done.text().contains("받아들였어요"), "{}", done.text());
    assert_eq!(
        notices(&app, Kind::OfferAccepted).await,
        vec![(kim, Some(10_000))]
    );
}

async fn offer_status(app: &TestApp, product: ProductId, buyer: MemberId) -> String {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT status FROM offers WHERE product_id = $1 AND buyer_id = $2 ORDER BY id DESC")
            .bind(product)
            .bind(buyer)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

/// An accepted offer prices one trade: refunded, the trade spends it (the seller may accept another and
/// the old price buys nothing); sold, the product's open offers end with it.
async fn an_accepted_offer_is_spent_by_a_failed_trade_or_a_sale(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let kim = market.member("u-kim", "김철수").await;
    let lee = market.member("u-lee", "이영희").await;
    let product = market.product("u-seller", "카메라").await;
    let (db, outbox) = (&app.state.db, &app.state.outbox);
    offers::make(db, outbox, product, kim, 13_000).await.unwrap();
    offers::accept(db, outbox, offer_id(app, product, kim).await, seller)
        .await
        .unwrap();

    let token = market.payments().links().issue(kim, product, 13_000);
    let page = market.browse(&format!("/pay/{token}"), KAKAOTALK_UA).await;
    let tid = market.fake.tid_from_redirect(&page.location.unwrap()).unwrap();
    market.pay_and_return(&tid).await;
    let order = market.order_by_tid(&tid).await;
    assert_eq!(order.status, OrderStatus::Paid);
    let cancel = |confirm: bool| {
        let mut body = payload("u-kim").extra("orderId", &order.id.to_string());
        if confirm {
            body = body.extra("confirm", "yes");
        }
        body.build()
    };
    let done = app.skill("/skill/orders/cancel", &cancel(true)).await;
    assert!(done.text().contains("환불"), "{}", done.text());
    assert_eq!(
        market.product_status(product).await,
        junggye::products::ProductStatus::OnSale
    );
    assert_eq!(offer_status(app, product, kim).await, "withdrawn");
    let again = market.payments().links().issue(kim, product, 13_000);
    let refused = market.browse(&format!("/pay/{again}"), KAKAOTALK_UA).await;
    assert_eq!(
        refused.status,
        StatusCode::CONFLICT,
        "the spent offer prices nothing"
    );

    // The seller takes offers afresh and accepts another.
    offers::make(db, outbox, product, lee, 12_000).await.unwrap();
    let accepted = offers::accept(db, outbox, offer_id(app, product, lee).await, seller)
        .await
        .unwrap();
    assert!(matches!(accepted, Accepted::Accepted { .. }), "{accepted:?}");

    // Marked sold by hand: its open offers end, the accepted one and pending ones alike.
    let lens = market.product("u-seller", "렌즈").await;
    offers::make(db, outbox, lens, kim, 9_000).await.unwrap();
    let catalog = &app.state.catalog;
    let (on_sale, sold) = (
        junggye::products::ProductStatus::OnSale,
        junggye::products::ProductStatus::Sold,
    );
    for sold_one in [product, lens] {
        let store =
            junggye::products::store::change_status(db, catalog, outbox, sold_one, seller, on_sale, sold);
        assert!(store.await.unwrap());
    }
    assert_eq!(offer_status(app, product, lee).await, "withdrawn");
    assert_eq!(offer_status(app, lens, kim).await, "withdrawn");

    // Kim's own list tells each offer's story, newest first.
    let mine = app.skill("/skill/offers/mine", &payload("u-kim").build()).await;
    let text = mine.text();
    let (newest, first) = (
        text.find("9,000원 · 렌즈").expect(&text),
        text.find("13,000원 · 카메라").expect(&text),
    );
    assert!(newest < first, "{text}");
    assert!(
        text.contains("거래가 끝나거나 상품이 바뀌어 제안이 끝났어요"),
        "{text}"
    );
    let none = app
        .skill("/skill/offers/mine", &payload("u-seller").build())
        .await;
    assert!(
        none.text().contains("아직 가격을 제안한 상품이 없어요"),
        "{}",
        none.text()
    );
}

on_both_backends!(
    an_accepted_offer_is_paid_at_its_price_and_the_others_are_declined,
    of_two_acceptances_at_once_exactly_one_wins,
    a_seller_turns_offers_off_and_on,
    offers_work_in_conversation_mode,
    an_accepted_offer_is_spent_by_a_failed_trade_or_a_sale,
);
