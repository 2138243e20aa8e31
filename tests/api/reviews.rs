//! 거래 후기 (reviews), on both databases: each party of a completed trade reviews the other once, in
//! three taps; the reviewed member is told; profiles and the seller line show the count and share of good
//! reviews; nobody else, no unfinished trade, no second review, no blocked pair; two submissions at once
//! write one; the steps in conversation mode.

use junggye::domain::ids::MemberId;
use junggye::notifications::Kind;
use junggye::orders::Order;
use junggye::orders::store as order_store;
use junggye::reviews::store::{self as reviews, Summary, Tag, Trade, Written};

use crate::helpers::{Backend, Reply, notify_settings, payload};
use crate::on_both_backends;
use crate::pay_world::Market;

/// A trade carried to its end: paid, shipped, confirmed by both.
async fn completed(market: &Market, seller: MemberId, buyer: MemberId, name: &str) -> Order {
    let product = market.product("u-seller", name).await;
    let order = market.buy(buyer, product).await;
    let state = market.state();
    let (db, outbox, catalog) = (&state.db, &state.outbox, &state.catalog);
    assert!(
        order_store::set_tracking(db, outbox, order.id, seller, "123456789")
            .await
            .unwrap()
    );
    assert!(
        order_store::confirm_purchase(db, outbox, order.id, buyer)
            .await
            .unwrap()
    );
    assert!(
        order_store::confirm_sale(db, catalog, outbox, order.id, seller)
            .await
            .unwrap()
    );
    order
}

fn step(user: &str, order: &Order, rating: Option<&str>, tag: Option<&str>) -> serde_json::Value {
    let mut body = payload(user).extra("orderId", &order.id.get().to_string());
    if let Some(rating) = rating {
        body = body.extra("rating", rating);
    }
    if let Some(tag) = tag {
        body = body.extra("tag", tag);
    }
    body.build()
}

async fn each_party_reviews_a_completed_trade_once(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    market.member("u-other", "다른이").await;
    let order = completed(&market, seller, buyer, "카메라").await;

    let detail = app
        .skill("/skill/orders/detail", &step("u-buyer", &order, None, None))
        .await;
    assert!(
        detail.quick_reply_labels().contains(&"후기 쓰기".to_owned()),
        "{:?}",
        detail.quick_reply_labels()
    );
    let first: Reply = app
        .skill("/skill/reviews/write", &step("u-buyer", &order, None, None))
        .await;
    assert_eq!(first.quick_reply_labels(), ["좋았어요", "아쉬웠어요"]);
    let second = app
        .skill(
            "/skill/reviews/write",
            &step("u-buyer", &order, Some("good"), None),
        )
        .await;
    assert!(second.quick_reply_labels().contains(&"친절해요".to_owned()));
    assert!(
        !second.quick_reply_labels().contains(&"불친절해요".to_owned()),
        "only tags of the verdict's kind"
    );
    let done = app
        .skill(
            "/skill/reviews/write",
            &step("u-buyer", &order, Some("good"), Some("kind")),
        )
        .await;
    assert!(done.text().contains("후기를 남겼어요"), "{}", done.text());
    let again = app
        .skill(
            "/skill/reviews/write",
            &step("u-buyer", &order, Some("bad"), Some("none")),
        )
        .await;
    assert!(again.text().contains("이미 남겼어요"), "{}", again.text());
    let detail = app
        .skill("/skill/orders/detail", &step("u-buyer", &order, None, None))
        .await;
    assert!(!detail.quick_reply_labels().contains(&"후기 쓰기".to_owned()));
    let outsider = app
        .skill(
            "/skill/reviews/write",
            &step("u-other", &order, Some("bad"), Some("rude")),
        )
        .await;
    assert!(
        outsider.text().contains("거래가 끝난 내 거래에만"),
        "{}",
        outsider.text()
    );
    let mismatched = app
        .skill(
            "/skill/reviews/write",
            &step("u-seller", &order, Some("good"), Some("rude")),
        )
        .await;
    assert!(
        mismatched.text().contains("다시 써 주세요"),
        "{}",
        mismatched.text()
    );
    app.skill(
        "/skill/reviews/write",
        &step("u-seller", &order, Some("bad"), Some("slow_replies")),
    )
    .await;

    let state = market.state();
    assert_eq!(
        reviews::received(&state.db, seller, 0).await.unwrap().summary,
        Summary { count: 1, good: 1 }
    );
    assert_eq!(
        reviews::received(&state.db, buyer, 0).await.unwrap().summary,
        Summary { count: 1, good: 0 }
    );
    let told: Vec<(MemberId, Option<String>)> = junggye::dispatch!(&state.db, pool => {
        sqlx::query_as("SELECT recipient_id, detail FROM notifications WHERE kind = $1 ORDER BY id")
            .bind(Kind::ReviewReceived.key())
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        told,
        vec![(seller, Some("good".into())), (buyer, Some("bad".into()))]
    );
    let profile = app.skill("/skill/members/me", &payload("u-seller").build()).await;
    assert!(
        profile.text().contains("후기 1개 · 좋아요 100%"),
        "{}",
        profile.text()
    );
    let other = market.product("u-seller", "렌즈").await;
    let shown = app
        .skill(
            "/skill/products/detail",
            &payload("u-other")
                .extra("productId", &other.get().to_string())
                .build(),
        )
        .await;
    assert!(
        shown.text().contains("후기 1개 · 좋아요 100%"),
        "{}",
        shown.text()
    );

    // Not before the trade is complete, and not between members who blocked one another.
    let open_product = market.product("u-seller", "삼각대").await;
    let open = market.buy(buyer, open_product).await;
    let (db, outbox) = (&state.db, &state.outbox);
    assert_eq!(
        reviews::write(db, outbox, Trade::Order(open.id), buyer, true, None)
            .await
            .unwrap(),
        Written::NotAllowed
    );
    let later = completed(&market, seller, buyer, "가방").await;
    junggye::members::blocks::block(db, &state.block_roster, seller, buyer)
        .await
        .unwrap();
    assert_eq!(
        reviews::write(db, outbox, Trade::Order(later.id), buyer, true, Some(Tag::OnTime))
            .await
            .unwrap(),
        Written::NotAllowed
    );
}

async fn two_submissions_at_once_write_one_review(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let state = market.state();
    for round in 0..5 {
        let order = completed(&market, seller, buyer, &format!("의자 {round}")).await;
        let (a, b) = tokio::join!(
            reviews::write(
                &state.db,
                &state.outbox,
                Trade::Order(order.id),
                buyer,
                true,
                None
            ),
            reviews::write(
                &state.db,
                &state.outbox,
                Trade::Order(order.id),
                buyer,
                false,
                None
            )
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| *o == Written::Written);
        assert_eq!(
            outcomes,
            [Written::AlreadyWritten, Written::Written],
            "round {round}"
        );
    }
    assert_eq!(
        reviews::received(&state.db, seller, 0)
            .await
            .unwrap()
            .summary
            .count,
        5
    );
}

/// The short text: added once after the review (asked for in conversation mode), never without a review,
/// never with a link, and shown on the reviewed member's profile.
async fn a_review_gets_one_short_text_shown_on_the_profile(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |_| {}).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let order = completed(&market, seller, buyer, "카메라").await;
    let comment = |user: &str, text: &str| {
        payload(user)
            .extra("orderId", &order.id.get().to_string())
            .param("comment", text)
            .build()
    };
    let early = app
        .skill("/skill/reviews/comment", &comment("u-buyer", "좋아요"))
        .await;
    assert!(early.text().contains("먼저 이 거래의 후기를"), "{}", early.text());
    let done = app
        .skill(
            "/skill/reviews/write",
            &step("u-buyer", &order, Some("good"), Some("kind")),
        )
        .await;
    assert!(done.quick_reply_labels().contains(&"한마디 남기기".to_owned()));
    // In conversation mode the quick reply says the block's command with the order.
    let say = |text: &str| payload("u-buyer").says(text).build();
    let asked = app
        .skill(
            "/skill/chat",
            &say(&format!("후기한마디 orderId={}", order.id.get())),
        )
        .await;
    assert!(
        asked.text().contains("한마디를 입력해 주세요"),
        "{}",
        asked.text()
    );
    let link = app
        .skill("/skill/chat", &say("https://scam.example 로 연락"))
        .await;
    assert!(link.text().contains("링크 없이"), "{}", link.text());
    let added = app
        .skill("/skill/chat", &say("포장까지 꼼꼼하게 해 주셨어요"))
        .await;
    assert!(added.text().contains("한마디를 남겼어요"), "{}", added.text());
    let twice = app
        .skill("/skill/reviews/comment", &comment("u-buyer", "다시 씁니다"))
        .await;
    assert!(twice.text().contains("후기는 바꿀 수 없어요"), "{}", twice.text());
    let outsider = app
        .skill("/skill/reviews/comment", &comment("u-seller", "좋아요"))
        .await;
    assert!(
        outsider.text().contains("먼저 이 거래의 후기를"),
        "{}",
        outsider.text()
    );
    let profile = app.skill("/skill/members/me", &payload("u-seller").build()).await;
    assert!(
        profile
            .text()
            .contains("👍 \u{201c}포장까지 꼼꼼하게 해 주셨어요\u{201d}"),
        "{}",
        profile.text()
    );
}

async fn direct_trades(app: &crate::helpers::TestApp) -> Vec<(i64, MemberId, MemberId)> {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT id, seller_id, buyer_id FROM direct_trades ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

/// Flow A: the seller reserves, names the buyer among those who saved or offered, and marks it sold; the
/// buyer is told, and each reviews the other once from the list of trades to review. Anyone else, or a
/// name forgotten by unreserving, records nothing.
async fn a_direct_trade_with_a_named_buyer_is_reviewed_by_both(backend: Backend) {
    let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
    let app = &market.app;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let other = market.member("u-other", "다른이").await;
    let bike = market.product("u-seller", "자전거").await;
    let product = bike.get().to_string();
    app.skill(
        "/skill/favourites/add",
        &payload("u-buyer").extra("productId", &product).build(),
    )
    .await;
    let status = |action: &str, from: &str| {
        payload("u-seller")
            .extra("productId", &product)
            .extra("action", action)
            .extra("from", from)
            .build()
    };
    let reserved = app
        .skill("/skill/products/status", &status("reserve", "on_sale"))
        .await;
    assert!(
        reserved.quick_reply_labels().contains(&"예약자 지정".to_owned()),
        "{:?}",
        reserved.quick_reply_labels()
    );
    let name = |user: &str, member: Option<MemberId>| {
        let mut body = payload(user).extra("productId", &product);
        if let Some(member) = member {
            body = body.extra("memberId", &member.get().to_string());
        }
        body.build()
    };
    let list = app.skill("/skill/products/buyer", &name("u-seller", None)).await;
    assert!(
        list.quick_reply_labels().contains(&"구매자".to_owned()),
        "{:?}",
        list.quick_reply_labels()
    );
    assert!(
        !list.quick_reply_labels().contains(&"다른이".to_owned()),
        "only who saved or offered"
    );
    let refused = app
        .skill("/skill/products/buyer", &name("u-seller", Some(other)))
        .await;
    assert!(
        refused.text().contains("찜하거나 가격을 제안한 회원만"),
        "{}",
        refused.text()
    );
    let theirs = app
        .skill("/skill/products/buyer", &name("u-buyer", Some(buyer)))
        .await;
    assert!(theirs.text().contains("예약중인 내 상품에"), "{}", theirs.text());
    let named = app
        .skill("/skill/products/buyer", &name("u-seller", Some(buyer)))
        .await;
    assert!(
        named.text().contains("구매자님에게 예약했어요"),
        "{}",
        named.text()
    );

    let sold = app
        .skill("/skill/products/status", &status("sold", "reserved"))
        .await;
    assert!(sold.text().contains("판매완료"), "{}", sold.text());
    let trades = direct_trades(app).await;
    assert_eq!(trades.len(), 1);
    let (trade, trade_seller, trade_buyer) = trades[0];
    assert_eq!((trade_seller, trade_buyer), (seller, buyer));
    let told: Vec<(MemberId, String)> = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT recipient_id, kind FROM notifications WHERE product_id = $1 ORDER BY id")
            .bind(bike)
            .fetch_all(pool)
            .await
            .unwrap()
    });
    assert_eq!(
        told,
        vec![(buyer, "sale_confirmed".to_owned())],
        "the buyer is told once, not as a saver"
    );

    let pending = app
        .skill("/skill/reviews/pending", &payload("u-buyer").build())
        .await;
    assert!(
        pending.text().contains("자전거") && pending.text().contains("판매자님과의 거래"),
        "{}",
        pending.text()
    );
    let review = |user: &str, rating: &str, tag: &str| {
        payload(user)
            .extra("tradeId", &trade.to_string())
            .extra("rating", rating)
            .extra("tag", tag)
            .build()
    };
    let done = app
        .skill("/skill/reviews/write", &review("u-buyer", "good", "kind"))
        .await;
    assert!(done.text().contains("후기를 남겼어요"), "{}", done.text());
    let again = app
        .skill("/skill/reviews/write", &review("u-buyer", "bad", "none"))
        .await;
    assert!(again.text().contains("이미 남겼어요"), "{}", again.text());
    let outsider = app
        .skill("/skill/reviews/write", &review("u-other", "bad", "none"))
        .await;
    assert!(outsider.text().contains("내 거래에만"), "{}", outsider.text());
    let back = app
        .skill("/skill/reviews/write", &review("u-seller", "good", "on_time"))
        .await;
    assert!(back.text().contains("후기를 남겼어요"), "{}", back.text());
    let comment = payload("u-seller")
        .extra("tradeId", &trade.to_string())
        .param("comment", "약속 시간에 딱 맞춰 오셨어요")
        .build();
    assert!(
        app.skill("/skill/reviews/comment", &comment)
            .await
            .text()
            .contains("한마디를 남겼어요")
    );
    let db = &app.state.db;
    assert_eq!(
        reviews::received(db, seller, 0).await.unwrap().summary,
        Summary { count: 1, good: 1 }
    );
    assert_eq!(
        reviews::received(db, buyer, 0).await.unwrap().summary,
        Summary { count: 1, good: 1 }
    );
    let empty = app
        .skill("/skill/reviews/pending", &payload("u-buyer").build())
        .await;
    assert!(
        empty.text().contains("후기를 남길 거래가 없어요"),
        "{}",
        empty.text()
    );

    // A name is forgotten when the reservation ends without a sale.
    let lamp = market.product("u-seller", "스탠드").await;
    let lamp_id = lamp.get().to_string();
    app.skill(
        "/skill/favourites/add",
        &payload("u-buyer").extra("productId", &lamp_id).build(),
    )
    .await;
    let lamp_status = |action: &str, from: &str| {
        payload("u-seller")
            .extra("productId", &lamp_id)
            .extra("action", action)
            .extra("from", from)
            .build()
    };
    app.skill("/skill/products/status", &lamp_status("reserve", "on_sale"))
        .await;
    let body = payload("u-seller")
        .extra("productId", &lamp_id)
        .extra("memberId", &buyer.get().to_string())
        .build();
    assert!(
        app.skill("/skill/products/buyer", &body)
            .await
            .text()
            .contains("예약했어요")
    );
    app.skill("/skill/products/status", &lamp_status("unreserve", "reserved"))
        .await;
    app.skill("/skill/products/status", &lamp_status("sold", "on_sale"))
        .await;
    assert_eq!(
        direct_trades(app).await.len(),
        1,
        "no trade without a named buyer"
    );
}

on_both_backends!(
    each_party_reviews_a_completed_trade_once,
    two_submissions_at_once_write_one_review,
    a_review_gets_one_short_text_shown_on_the_profile,
    a_direct_trade_with_a_named_buyer_is_reviewed_by_both,
);
