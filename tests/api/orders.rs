//! The order skills end to end against the fake Kakao Pay, on both databases: the buy button, purchases
//! and sales, the order detail, tracking numbers, both confirmations, the buyer's cancel with its refund,
//! who may do what, and withdrawal while a trade is open.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use junggye::clock::now_ms;
use junggye::domain::ids::{MemberId, ProductId};
use junggye::kakaopay::PaymentState;
use junggye::orders::{CloseReason, Order, OrderStatus};
use junggye::products::ProductStatus;
use serde_json::{Value, json};

use crate::fake_kakaopay::FailMode;
use crate::helpers::{Backend, Reply, TestApp, join, payload};
use crate::on_both_backends;
use crate::pay_world::{Market, PRICE};
use crate::products::quick_reply_extra;

on_both_backends!(
    a_whole_trade_runs_through_the_skills,
    only_the_buyer_or_the_seller_may_see_or_act_on_an_order,
    confirm_purchase_waits_for_a_tracking_number,
    the_tracking_number_may_change_until_the_buyer_confirms,
    cancel_before_shipping_refunds_in_full_and_puts_the_product_back,
    cancel_is_refused_once_the_seller_shipped,
    a_refund_kakao_pay_does_not_confirm_is_finished_by_the_reconciler,
    a_slow_refund_is_answered_in_time_and_settled_later,
    cancel_and_tracking_racing_let_exactly_one_through,
    the_buy_button_is_only_for_members_who_may_buy,
    withdrawal_waits_until_no_trade_is_open_on_either_side,
    purchases_and_sales_come_five_at_a_time_newest_first,
    a_payment_completed_after_the_hold_ended_is_refunded_and_the_buyer_is_told,
);

const BUY_LABEL: &str = "카카오페이로 구매";

/// A market with a seller, one of their products on sale, and a buyer; returns (product, buyer id).
async fn market_with_product(backend: Backend) -> (Market, ProductId, MemberId) {
    let market = Market::start(backend).await;
    market.member("seller", "판매자").await;
    let product = market.product("seller", "닌텐도 스위치").await;
    let buyer = market.member("buyer", "구매자").await;
    (market, product, buyer)
}

/// A market where the buyer has paid for the seller's product.
async fn paid_order(backend: Backend) -> (Market, Order) {
    let (market, product, buyer) = market_with_product(backend).await;
    let order = market.buy(buyer, product).await;
    (market, order)
}

async fn call(market: &Market, path: &str, user: &str, extra: &[(&str, &str)]) -> Reply {
    let body = extra
        .iter()
        .fold(payload(user), |p, (key, value)| p.extra(key, value))
        .build();
    market.app.skill(path, &body).await
}

async fn detail(market: &Market, user: &str, order: &Order) -> Reply {
    let id = order.id.to_string();
    call(market, "/skill/orders/detail", user, &[("orderId", &id)]).await
}

async fn set_tracking(market: &Market, user: &str, order: &Order, number: &str) -> Reply {
    let body = payload(user)
        .extra("orderId", &order.id.to_string())
        .param("trackingNumber", number)
        .build();
    market.app.skill("/skill/orders/tracking", &body).await
}

/// Calls an action skill with `confirm = yes`, as its are-you-sure quick reply does.
async fn confirmed(market: &Market, path: &str, user: &str, order: &Order) -> Reply {
    let id = order.id.to_string();
    call(market, path, user, &[("orderId", &id), ("confirm", "yes")]).await
}

/// The web links of every button labelled `label` anywhere in the answer.
fn links(reply: &Reply, label: &str) -> Vec<String> {
    fn walk(v: &Value, label: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                if map.get("label").and_then(Value::as_str) == Some(label)
                    && let Some(url) = map.get("webLinkUrl").and_then(Value::as_str)
                {
                    out.push(url.to_owned());
                }
                map.values().for_each(|v| walk(v, label, out));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(v, label, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&reply.0["template"]["outputs"], label, &mut out);
    out
}

/// The rows of the answer's list card: (title, description, clientExtra).
fn rows(reply: &Reply) -> Vec<(String, String, Value)> {
    reply.0["template"]["outputs"][0]["listCard"]["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    let text = |k: &str| i[k].as_str().unwrap_or_default().to_owned();
                    (text("title"), text("description"), i["extra"].clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

fn labels(reply: &Reply) -> Vec<String> {
    reply.quick_reply_labels()
}

async fn a_whole_trade_runs_through_the_skills(backend: Backend) {
    let (market, product, buyer) = market_with_product(backend).await;

    // The buyer opens the product and taps "카카오페이로 구매": the link leads to Kakao Pay.
    let shown = call(
        &market,
        "/skill/products/detail",
        "buyer",
        &[("productId", &product.to_string())],
    )
    .await;
    let link = links(&shown, BUY_LABEL);
    assert_eq!(link.len(), 1, "{:#}", shown.0);
    let page = market.follow(&link[0]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let tid = market
        .fake
        .tid_from_redirect(&page.location.unwrap())
        .expect("to Kakao Pay");
    let page = market.pay_and_return(&tid).await;
    assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    let order = market.order_by_tid(&tid).await;
    assert_eq!((order.status, order.buyer_id), (OrderStatus::Paid, buyer));
    let id = order.id.to_string();

    // Both lists show it and lead to its detail.
    for (path, user) in [
        ("/skill/orders/purchases", "buyer"),
        ("/skill/orders/sales", "seller"),
    ] {
        let list = call(&market, path, user, &[]).await;
        let rows = rows(&list);
        assert_eq!(rows.len(), 1, "{path}: {:#}", list.0);
        assert_eq!(rows[0].0, "닌텐도 스위치");
        assert!(rows[0].1.starts_with("15,000원 · 결제완료 · "), "{}", rows[0].1);
        assert_eq!(rows[0].2, json!({"orderId": id}));
        assert!(quick_reply_extra(&list, "더보기").is_none());
    }

    // The seller ships.
    let seller_view = detail(&market, "seller", &order).await;
    assert!(
        seller_view.contains("구매자") && seller_view.contains("15,000원"),
        "{}",
        seller_view.text()
    );
    assert_eq!(
        labels(&seller_view),
        ["운송장 입력", "구매자 신고", "판매 내역", "처음으로"]
    );
    assert_eq!(
        quick_reply_extra(&seller_view, "운송장 입력"),
        Some(json!({"orderId": id}))
    );
    let buyer_view = detail(&market, "buyer", &order).await;
    assert!(buyer_view.contains("판매자") && buyer_view.contains("결제완료"));
    assert_eq!(
        labels(&buyer_view),
        ["주문 취소", "판매자 신고", "구매 내역", "처음으로"]
    );
    let saved = set_tracking(&market, "seller", &order, "6074-1234-5678").await;
    assert!(saved.contains("607412345678"), "{}", saved.text());
    assert_eq!(
        market.order(order.id).await.tracking_number.as_deref(),
        Some("607412345678")
    );

    // The buyer sees the number and confirms, after being asked.
    let buyer_view = detail(&market, "buyer", &order).await;
    assert!(buyer_view.contains("607412345678"), "{}", buyer_view.text());
    assert_eq!(
        labels(&buyer_view),
        ["구매확정", "판매자 신고", "구매 내역", "처음으로"]
    );
    let asked = call(
        &market,
        "/skill/orders/confirm-purchase",
        "buyer",
        &[("orderId", &id)],
    )
    .await;
    assert!(asked.contains("정말 구매확정하시겠어요?"), "{}", asked.text());
    assert_eq!(labels(&asked), ["구매확정", "아니요"]);
    assert_eq!(
        quick_reply_extra(&asked, "구매확정"),
        Some(json!({"orderId": id, "confirm": "yes"}))
    );
    assert_eq!(quick_reply_extra(&asked, "아니요"), Some(json!({"orderId": id})));
    assert_eq!(
        market.order(order.id).await.status,
        OrderStatus::Paid,
        "asking changes nothing"
    );
    let done = confirmed(&market, "/skill/orders/confirm-purchase", "buyer", &order).await;
    assert!(done.contains("구매확정했어요"), "{}", done.text());
    assert_eq!(market.order(order.id).await.status, OrderStatus::BuyerConfirmed);
    assert_eq!(
        labels(&detail(&market, "buyer", &order).await),
        ["판매자 신고", "구매 내역", "처음으로"]
    );

    // The seller confirms the sale, after being asked: the trade is complete and the product sold.
    assert_eq!(
        labels(&detail(&market, "seller", &order).await),
        ["판매확정", "구매자 신고", "판매 내역", "처음으로"]
    );
    let asked = call(
        &market,
        "/skill/orders/confirm-sale",
        "seller",
        &[("orderId", &id)],
    )
    .await;
    assert!(asked.contains("정말 판매확정하시겠어요?"), "{}", asked.text());
    assert_eq!(
        quick_reply_extra(&asked, "판매확정"),
        Some(json!({"orderId": id, "confirm": "yes"}))
    );
    assert_eq!(market.order(order.id).await.status, OrderStatus::BuyerConfirmed);
    let done = confirmed(&market, "/skill/orders/confirm-sale", "seller", &order).await;
    assert!(done.contains("거래가 완료되었어요"), "{}", done.text());
    let completed = market.order(order.id).await;
    assert_eq!(completed.status, OrderStatus::Completed);
    assert_eq!(market.product_status(product).await, ProductStatus::Sold);
    let seller_view = detail(&market, "seller", &order).await;
    assert!(seller_view.contains("거래완료"), "{}", seller_view.text());
    assert_eq!(
        labels(&seller_view),
        ["후기 쓰기", "구매자 신고", "판매 내역", "처음으로"],
        "only the review left to do"
    );

    // A second tap of an old confirmation changes nothing.
    let again = confirmed(&market, "/skill/orders/confirm-sale", "seller", &order).await;
    assert!(
        again.contains("이미 거래가 완료된 주문이에요"),
        "{}",
        again.text()
    );
}

async fn only_the_buyer_or_the_seller_may_see_or_act_on_an_order(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    market.member("stranger", "제삼자").await;
    let id = order.id.to_string();
    let actions = [
        "/skill/orders/detail",
        "/skill/orders/tracking",
        "/skill/orders/confirm-purchase",
        "/skill/orders/confirm-sale",
        "/skill/orders/cancel",
    ];

    for path in actions {
        // Someone else's order reads exactly like one that does not exist.
        let body = |order_id: &str| {
            payload("stranger")
                .extra("orderId", order_id)
                .extra("confirm", "yes")
                .param("trackingNumber", "123456789012")
                .build()
        };
        let theirs = market.app.skill(path, &body(&id)).await;
        let unknown = market.app.skill(path, &body("999999")).await;
        assert!(
            theirs.contains("찾을 수 없는 주문이에요."),
            "{path}: {}",
            theirs.text()
        );
        assert_eq!(theirs.0, unknown.0, "{path}");

        let garbled = call(&market, path, "buyer", &[("orderId", "12abc")]).await;
        assert!(
            garbled.contains("어떤 주문인지 알 수 없어요"),
            "{path}: {}",
            garbled.text()
        );
        let guest = call(&market, path, "visitor", &[("orderId", &id)]).await;
        assert!(guest.contains("회원가입이 필요해요"), "{path}: {}", guest.text());
    }

    // The wrong side of the trade is told who may.
    let refused = set_tracking(&market, "buyer", &order, "123456789012").await;
    assert!(
        refused.contains("판매자만 입력할 수 있어요"),
        "{}",
        refused.text()
    );
    let refused = confirmed(&market, "/skill/orders/cancel", "seller", &order).await;
    assert!(refused.contains("주문 취소는 구매자만"), "{}", refused.text());

    set_tracking(&market, "seller", &order, "123456789012").await;
    let refused = confirmed(&market, "/skill/orders/confirm-purchase", "seller", &order).await;
    assert!(refused.contains("구매확정은 구매자만"), "{}", refused.text());
    confirmed(&market, "/skill/orders/confirm-purchase", "buyer", &order).await;
    let refused = confirmed(&market, "/skill/orders/confirm-sale", "buyer", &order).await;
    assert!(refused.contains("판매확정은 판매자만"), "{}", refused.text());

    let now = market.order(order.id).await;
    assert_eq!(now.status, OrderStatus::BuyerConfirmed);
    assert_eq!(now.tracking_number.as_deref(), Some("123456789012"));
    assert_eq!(market.fake.calls("cancel"), 0);
}

async fn confirm_purchase_waits_for_a_tracking_number(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    for confirm in ["", "yes"] {
        let refused = call(
            &market,
            "/skill/orders/confirm-purchase",
            "buyer",
            &[("orderId", &order.id.to_string()), ("confirm", confirm)],
        )
        .await;
        assert!(
            refused.contains("판매자가 운송장 번호를 입력한 뒤에 구매확정할 수 있어요"),
            "{}",
            refused.text()
        );
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);

    set_tracking(&market, "seller", &order, "123456789012").await;
    confirmed(&market, "/skill/orders/confirm-purchase", "buyer", &order).await;
    assert_eq!(market.order(order.id).await.status, OrderStatus::BuyerConfirmed);
}

async fn the_tracking_number_may_change_until_the_buyer_confirms(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    let bad = set_tracking(&market, "seller", &order, "12ab").await;
    assert!(bad.contains("숫자 9~15자리"), "{}", bad.text());
    let missing = call(
        &market,
        "/skill/orders/tracking",
        "seller",
        &[("orderId", &order.id.to_string())],
    )
    .await;
    assert!(
        missing.contains("운송장 번호를 입력해 주세요"),
        "{}",
        missing.text()
    );
    assert_eq!(market.order(order.id).await.tracking_number, None);

    set_tracking(&market, "seller", &order, "111111111").await;
    let changed = set_tracking(&market, "seller", &order, "222 222 222").await;
    assert!(changed.contains("222222222"), "{}", changed.text());
    let stored = market.order(order.id).await;
    assert_eq!(stored.tracking_number.as_deref(), Some("222222222"));
    assert!(stored.shipped_at.is_some());

    confirmed(&market, "/skill/orders/confirm-purchase", "buyer", &order).await;
    let refused = set_tracking(&market, "seller", &order, "333333333").await;
    assert!(
        refused.contains("구매자가 구매확정한 주문은 운송장 번호를 바꿀 수 없어요"),
        "{}",
        refused.text()
    );
    assert_eq!(
        market.order(order.id).await.tracking_number.as_deref(),
        Some("222222222")
    );
    assert!(!labels(&detail(&market, "seller", &order).await).contains(&"운송장 입력".to_owned()));
}

async fn cancel_before_shipping_refunds_in_full_and_puts_the_product_back(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    let tid = order.tid.clone().unwrap();
    let id = order.id.to_string();

    let asked = call(&market, "/skill/orders/cancel", "buyer", &[("orderId", &id)]).await;
    assert!(asked.contains("정말 주문을 취소하시겠어요?"), "{}", asked.text());
    assert!(asked.contains("15,000원"), "{}", asked.text());
    assert_eq!(
        quick_reply_extra(&asked, "주문 취소"),
        Some(json!({"orderId": id, "confirm": "yes"}))
    );
    assert_eq!(
        market.order(order.id).await.status,
        OrderStatus::Paid,
        "asking changes nothing"
    );
    assert_eq!(market.fake.calls("cancel"), 0);

    let done = confirmed(&market, "/skill/orders/cancel", "buyer", &order).await;
    assert!(
        done.contains("주문을 취소하고 전액 환불했어요."),
        "{}",
        done.text()
    );
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);
    let refunded = market.order(order.id).await;
    assert_eq!(
        (refunded.status, refunded.close_reason),
        (OrderStatus::Refunded, Some(CloseReason::BuyerCancelled))
    );
    assert_eq!(
        market.product_status(order.product_id).await,
        ProductStatus::OnSale
    );

    // The purchase list and detail say so; cancelling again is refused and refunds nothing more.
    let list = call(&market, "/skill/orders/purchases", "buyer", &[]).await;
    assert!(
        rows(&list)[0].1.contains("주문취소(환불완료)"),
        "{:?}",
        rows(&list)
    );
    let view = detail(&market, "buyer", &order).await;
    assert!(view.contains("구매자가 주문을 취소했어요"), "{}", view.text());
    let again = confirmed(&market, "/skill/orders/cancel", "buyer", &order).await;
    assert!(again.contains("이미 취소된 주문이에요"), "{}", again.text());
    assert_eq!(market.fake.calls("cancel"), 1);

    // The product can be bought again.
    let shown = call(
        &market,
        "/skill/products/detail",
        "buyer",
        &[("productId", &order.product_id.to_string())],
    )
    .await;
    assert_eq!(links(&shown, BUY_LABEL).len(), 1);
}

async fn cancel_is_refused_once_the_seller_shipped(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    set_tracking(&market, "seller", &order, "123456789012").await;
    assert!(!labels(&detail(&market, "buyer", &order).await).contains(&"주문 취소".to_owned()));
    for confirm in ["", "yes"] {
        let refused = call(
            &market,
            "/skill/orders/cancel",
            "buyer",
            &[("orderId", &order.id.to_string()), ("confirm", confirm)],
        )
        .await;
        assert!(
            refused.contains("판매자가 이미 상품을 보냈어요"),
            "{}",
            refused.text()
        );
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    assert_eq!(
        market.product_status(order.product_id).await,
        ProductStatus::AwaitingCompletion
    );
    assert_eq!(
        market.fake.state(order.tid.as_deref().unwrap()),
        Some(PaymentState::SuccessPayment)
    );
    assert_eq!(market.fake.calls("cancel"), 0);
}

async fn a_refund_kakao_pay_does_not_confirm_is_finished_by_the_reconciler(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    let tid = order.tid.clone().unwrap();
    // The skill's one cancel call fails; Kakao Pay is healthy again for the reconciler.
    market.fake.fail_next("cancel", 1, FailMode::Status500);

    let done = confirmed(&market, "/skill/orders/cancel", "buyer", &order).await;

    assert!(
        done.contains("주문을 취소했어요. 환불을 처리하고 있어요 — 구매 내역에서 확인할 수 있어요."),
        "{}",
        done.text()
    );
    assert_eq!(market.order(order.id).await.status, OrderStatus::RefundPending);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::SuccessPayment));
    assert_eq!(
        market.product_status(order.product_id).await,
        ProductStatus::OnSale
    );
    let view = detail(&market, "buyer", &order).await;
    assert!(view.contains("환불 처리 중"), "{}", view.text());
    assert_eq!(labels(&view), ["판매자 신고", "구매 내역", "처음으로"]);
    // Money still on its way back is an open trade.
    let refused = call(
        &market,
        "/skill/members/me/withdraw",
        "buyer",
        &[("confirm", "yes")],
    )
    .await;
    assert!(refused.contains("진행 중인 거래가 1건"), "{}", refused.text());

    let report = market
        .payments()
        .reconcile_at(now_ms() + 3_600_000)
        .await
        .unwrap();

    assert_eq!(report.refunded, 1);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Refunded);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);
}

async fn a_slow_refund_is_answered_in_time_and_settled_later(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    let tid = order.tid.clone().unwrap();
    // Kakao Pay refunds at once but answers neither the cancel nor the status check within the client's
    // 1 s timeout: the refund takes about 2 s, longer than the skill may wait.
    market
        .fake
        .fail_next("cancel", 1, FailMode::Slow(Duration::from_millis(1_500)));
    market
        .fake
        .fail_next("order", 1, FailMode::Slow(Duration::from_millis(1_500)));

    let started = Instant::now();
    let done = confirmed(&market, "/skill/orders/cancel", "buyer", &order).await;
    let took = started.elapsed();

    assert!(done.contains("환불을 처리하고 있어요"), "{}", done.text());
    assert!(took < Duration::from_millis(2_500), "answered after {took:?}");
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    // The refund carried on after the answer; wait for it to give up on the status check.
    let deadline = Instant::now() + Duration::from_secs(5);
    while junggye::orders::store::events(&market.state().db, order.id)
        .await
        .unwrap()
        .len()
        < 4
    {
        assert!(Instant::now() < deadline, "the background refund never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::RefundPending);

    let report = market
        .payments()
        .reconcile_at(now_ms() + 3_600_000)
        .await
        .unwrap();
    assert_eq!(report.refunded, 1);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Refunded);
    assert_eq!(
        market.fake.payment(&tid).unwrap().canceled_amount,
        PRICE,
        "refunded once"
    );
}

async fn cancel_and_tracking_racing_let_exactly_one_through(backend: Backend) {
    for _ in 0..3 {
        let (market, order) = paid_order(backend).await;
        let (cancel, tracking) = tokio::join!(
            confirmed(&market, "/skill/orders/cancel", "buyer", &order),
            set_tracking(&market, "seller", &order, "123456789012"),
        );
        let cancelled = cancel.contains("전액 환불했어요") || cancel.contains("환불을 처리하고 있어요");
        let shipped = tracking.contains("저장했어요");
        assert!(cancelled != shipped, "{} / {}", cancel.text(), tracking.text());
        let now = market.order(order.id).await;
        if cancelled {
            assert_eq!((now.status, now.tracking_number), (OrderStatus::Refunded, None));
            assert_eq!(
                market.product_status(order.product_id).await,
                ProductStatus::OnSale
            );
        } else {
            assert_eq!(now.status, OrderStatus::Paid);
            assert!(
                cancel.contains("판매자가 이미 상품을 보냈어요"),
                "{}",
                cancel.text()
            );
            assert_eq!(market.fake.calls("cancel"), 0);
        }
    }
}

async fn the_buy_button_is_only_for_members_who_may_buy(backend: Backend) {
    let (market, product, _) = market_with_product(backend).await;
    let id = product.to_string();
    let show = |user: &'static str| {
        let id = id.clone();
        let market = &market;
        async move { call(market, "/skill/products/detail", user, &[("productId", &id)]).await }
    };

    let buyer = show("buyer").await;
    assert_eq!(links(&buyer, BUY_LABEL).len(), 1);
    assert_eq!(links(&buyer, "오픈채팅").len(), 1, "the open-chat button stays");
    for (who, reply) in [
        ("owner", show("seller").await),
        ("visitor", show("visitor").await),
    ] {
        assert!(links(&reply, BUY_LABEL).is_empty(), "{who}: {:#}", reply.0);
        assert_eq!(links(&reply, "오픈채팅").len(), 1, "{who}");
    }

    // Reserved: still shown, not buyable.
    junggye::dispatch!(&market.state().db, pool => {
        sqlx::query("UPDATE products SET status = 'reserved' WHERE id = $1").bind(product).execute(pool).await.unwrap();
    });
    market.state().catalog.changed();
    let reserved = show("buyer").await;
    assert!(reserved.contains("닌텐도 스위치"));
    assert!(links(&reserved, BUY_LABEL).is_empty());

    // Payments switched off: nobody gets the button.
    let plain = TestApp::new(backend).await;
    join(&plain, "seller", "판매자").await;
    join(&plain, "buyer", "구매자").await;
    let other = crate::products::seed_product(
        &plain.state.db,
        "seller",
        "자전거",
        junggye::products::Category::Sports,
        ProductStatus::OnSale,
    )
    .await;
    let reply = plain
        .skill(
            "/skill/products/detail",
            &payload("buyer").extra("productId", &other.to_string()).build(),
        )
        .await;
    assert!(reply.contains("자전거"));
    assert!(links(&reply, BUY_LABEL).is_empty());
}

async fn withdrawal_waits_until_no_trade_is_open_on_either_side(backend: Backend) {
    let (market, order) = paid_order(backend).await;
    let withdraw =
        |user: &'static str| call(&market, "/skill/members/me/withdraw", user, &[("confirm", "yes")]);
    for user in ["buyer", "seller"] {
        let refused = withdraw(user).await;
        assert!(
            refused.contains("진행 중인 거래가 1건"),
            "{user}: {}",
            refused.text()
        );
        let still = call(&market, "/skill/members/me", user, &[]).await;
        assert!(
            !still.contains("회원가입이 필요해요"),
            "{user} must still be a member"
        );
    }

    set_tracking(&market, "seller", &order, "123456789012").await;
    confirmed(&market, "/skill/orders/confirm-purchase", "buyer", &order).await;
    assert!(withdraw("seller").await.contains("진행 중인 거래가 1건"));
    confirmed(&market, "/skill/orders/confirm-sale", "seller", &order).await;

    for user in ["buyer", "seller"] {
        let done = withdraw(user).await;
        assert!(done.contains("탈퇴가 완료"), "{user}: {}", done.text());
    }
    // The finished trade stays in the records.
    assert_eq!(market.order(order.id).await.status, OrderStatus::Completed);
}

async fn a_payment_completed_after_the_hold_ended_is_refunded_and_the_buyer_is_told(backend: Backend) {
    let (market, product, buyer) = market_with_product(backend).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    // Our approve goes unanswered and Kakao Pay still says AUTH_PASSWORD: the hold is kept for now.
    market.fake.fail_next("approve", 1, FailMode::Deferred);
    market.pay_and_return(&tid).await;
    assert_eq!(market.order(order.id).await.status, OrderStatus::Pending);

    // The hold ends with Kakao Pay still undecided: the product goes back on sale.
    let report = market
        .payments()
        .reconcile_at(order.hold_expires_at + 1)
        .await
        .unwrap();
    assert_eq!(report.released, 1);
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);

    // The buyer still finds the order, and is told the payment is being checked, not that none was made.
    let list = call(&market, "/skill/orders/purchases", "buyer", &[]).await;
    let rows_now = rows(&list);
    assert_eq!(rows_now.len(), 1, "{:#}", list.0);
    assert!(rows_now[0].1.contains("결제 취소(확인 중)"), "{rows_now:?}");
    let view = detail(&market, "buyer", &order).await;
    assert!(
        view.contains("결제가 뒤늦게 완료되면 결제한 금액은 자동으로 전액 환불돼요."),
        "{}",
        view.text()
    );

    // Kakao Pay completes the approval after all; the reconciler refunds it.
    market.fake.complete_deferred("approve");
    let report = market
        .payments()
        .reconcile_at(order.hold_expires_at + 3_600_000)
        .await
        .unwrap();
    assert_eq!(report.refunded, 1);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);

    let list = call(&market, "/skill/orders/purchases", "buyer", &[]).await;
    assert!(
        rows(&list)[0]
            .1
            .starts_with("15,000원 · 시간 초과 결제(환불완료) · "),
        "{:?}",
        rows(&list)
    );
    let view = detail(&market, "buyer", &order).await;
    for said in [
        "결제 시간이 지난 뒤에 결제가 완료됐어요",
        "결제한 금액을 카카오페이로 전액 환불했어요.",
        "결제일",
    ] {
        assert!(view.contains(said), "{said}: {}", view.text());
    }
    assert_eq!(labels(&view), ["판매자 신고", "구매 내역", "처음으로"]);
    // The seller never had a sale: their product went back on sale when the hold ended.
    let sales = call(&market, "/skill/orders/sales", "seller", &[]).await;
    assert!(rows(&sales).is_empty(), "{:#}", sales.0);
}

async fn purchases_and_sales_come_five_at_a_time_newest_first(backend: Backend) {
    let market = Market::start(backend).await;
    market.member("seller", "판매자").await;
    let buyer = market.member("buyer", "구매자").await;
    market.member("idle", "구경꾼").await;
    let mut names = Vec::new();
    for i in 1..=7 {
        let name = format!("상품 {i}");
        let product = market.product("seller", &name).await;
        market.buy(buyer, product).await;
        names.push(name);
    }
    names.reverse();

    for (path, user) in [
        ("/skill/orders/purchases", "buyer"),
        ("/skill/orders/sales", "seller"),
    ] {
        let first = call(&market, path, user, &[]).await;
        let titles: Vec<String> = rows(&first).into_iter().map(|r| r.0).collect();
        assert_eq!(titles, names[..5], "{path}");
        let more = quick_reply_extra(&first, "더보기").expect("a next page");
        let cursor = more["cursor"].as_str().unwrap().to_owned();

        let second = call(&market, path, user, &[("cursor", &cursor)]).await;
        let titles: Vec<String> = rows(&second).into_iter().map(|r| r.0).collect();
        assert_eq!(titles, names[5..], "{path}");
        assert!(
            quick_reply_extra(&second, "더보기").is_none(),
            "{path}: no page after the last"
        );

        let past_the_end = call(&market, path, user, &[("cursor", "1")]).await;
        assert!(
            past_the_end.contains("더 볼 주문이 없어요"),
            "{}",
            past_the_end.text()
        );
    }

    let none = call(&market, "/skill/orders/purchases", "idle", &[]).await;
    assert!(none.contains("아직 구매한 상품이 없어요"), "{}", none.text());
    let none = call(&market, "/skill/orders/sales", "buyer", &[]).await;
    assert!(
        none.contains("아직 카카오페이로 판매된 상품이 없어요"),
        "{}",
        none.text()
    );
    let stranger = call(&market, "/skill/orders/purchases", "visitor", &[]).await;
    assert!(stranger.contains("회원가입이 필요해요"));
}

/// The my-page menu leads to both lists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn my_page_offers_purchases_and_sales() {
    let app = TestApp::new(Backend::Sqlite).await.with_all_block_ids();
    join(&app, "u1", "김철수").await;
    let reply = app.skill("/skill/members/mypage", &payload("u1").build()).await;
    for entry in ["구매 내역", "판매 내역"] {
        assert!(reply.contains(entry), "{entry} in {}", reply.text());
    }
}
