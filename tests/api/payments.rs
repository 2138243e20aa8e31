//! The Kakao Pay flow against the fake Kakao Pay: links, holds, approval, cancel/fail redirects,
//! refunds and reconciliation, on both databases.

use std::time::Duration;

use axum::http::StatusCode;
use futures_util::future::join_all;
use junggye::clock::now_ms;
use junggye::domain::ids::{MemberId, OrderId, ProductId};
use junggye::kakaopay::PaymentState;
use junggye::orders::link::PayClaims;
use junggye::orders::payment::RefundOutcome;
use junggye::orders::store::{self as order_store, Refunder};
use junggye::orders::{ApprovalWatch, CloseReason, OrderStatus};
use junggye::products::ProductStatus;

use crate::fake_kakaopay::FailMode;
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::pay_world::{DESKTOP_UA, KAKAOTALK_UA, Market, PRICE};

on_both_backends!(
    a_link_leads_to_kakao_pay_and_approval_marks_the_order_paid,
    fifty_buyers_at_once_make_one_order_and_one_ready_call,
    approve_replayed_twenty_times_at_once_approves_once,
    forged_expired_foreign_and_reused_links_are_refused,
    a_product_not_on_sale_gets_a_page_and_no_kakao_pay_call,
    cancel_and_fail_urls_release_the_hold_only_when_kakao_pay_says_so,
    a_paid_payment_whose_approve_redirect_was_lost_is_recorded_by_the_reconciler,
    an_approve_timeout_is_settled_by_asking_kakao_pay,
    an_unsettled_approve_is_left_visible_and_settled_by_the_reconciler,
    a_refused_approve_keeps_the_hold_for_another_try,
    hold_expiry_puts_the_product_back_on_sale_and_a_late_approval_takes_no_money,
    a_failed_ready_gives_the_product_back,
    a_lost_refund_answer_is_checked_with_kakao_pay_and_never_refunded_twice,
    an_approval_completed_after_the_hold_ended_is_refunded_exactly_once,
    a_closed_order_is_asked_about_less_and_less_often_until_kakao_pay_gives_a_final_status,
);

async fn seller_product_buyer(market: &Market) -> (ProductId, MemberId) {
    market.member("seller", "판매자").await;
    let product = market.product("seller", "닌텐도 스위치").await;
    let buyer = market.member("buyer", "구매자").await;
    (product, buyer)
}

async fn events(market: &Market, order_id: OrderId) -> Vec<(String, String)> {
    order_store::events(&market.state().db, order_id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.call, e.outcome))
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

async fn a_link_leads_to_kakao_pay_and_approval_marks_the_order_paid(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;

    // A desktop browser goes to the QR page; KakaoTalk's in-app browser to the app page.
    let link = market.link(buyer, product).await;
    let page = market.browse(&link, DESKTOP_UA).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let tid = market
        .fake
        .tid_from_redirect(page.location.as_deref().unwrap())
        .unwrap();
    assert!(page.location.unwrap().ends_with("/info"), "the PC page");
    let order = market.order_by_tid(&tid).await;
    assert_eq!(order.status, OrderStatus::Pending);
    assert_eq!(
        (order.buyer_id, order.amount, order.product_id),
        (buyer, PRICE, product)
    );
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    // Kakao Pay got the order's amount, our opaque reference, and no personal data.
    let sent = market.fake.payment(&tid).unwrap();
    assert_eq!(sent.total_amount, PRICE);
    assert_eq!(sent.partner_order_id, order.reference);
    assert_eq!(sent.partner_user_id, buyer.to_string());
    assert!(
        sent.approval_url
            .ends_with(&format!("/pay/approve/{}", order.reference))
    );
    assert!(
        sent.cancel_url
            .ends_with(&format!("/pay/cancel/{}", order.reference))
    );
    assert!(sent.fail_url.ends_with(&format!("/pay/fail/{}", order.reference)));

    let approved = [("call", "approve"), ("outcome", "ok")];
    let approvals = crate::metrics::sample("junggye_kakaopay_calls_total", &approved);
    let page = market.pay_and_return(&tid).await;
    assert!(crate::metrics::sample("junggye_kakaopay_calls_total", &approved) >= approvals + 1.0);
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    let order = market.order(order.id).await;
    assert_eq!(order.status, OrderStatus::Paid);
    assert!(order.aid.is_some() && order.paid_at.is_some());
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::AwaitingCompletion
    );
    assert_eq!(market.fake.state(&tid), Some(PaymentState::SuccessPayment));
    assert_eq!(
        events(&market, order.id).await,
        pairs(&[("ready", "ok"), ("approve", "ok")])
    );

    // The KakaoTalk browser is sent to the app page.
    let other = market.product("seller", "젤다 타이틀").await;
    let page = market
        .browse(&market.link(buyer, other).await, KAKAOTALK_UA)
        .await;
    assert!(page.location.unwrap().ends_with("/aInfo"), "the app page");
}

async fn fifty_buyers_at_once_make_one_order_and_one_ready_call(backend: Backend) {
    let market = Market::start(backend).await;
    market.member("seller", "판매자").await;
    let product = market.product("seller", "한정판 운동화").await;
    let mut links = Vec::new();
    for i in 0..50 {
        let buyer = market.member(&format!("buyer-{i}"), &format!("구매자{i}")).await;
        links.push(market.link(buyer, product).await);
    }

    let pages = join_all(links.iter().map(|link| market.browse(link, KAKAOTALK_UA))).await;

    let sent: Vec<_> = pages
        .iter()
        .filter(|p| p.status == StatusCode::SEE_OTHER)
        .collect();
    assert_eq!(sent.len(), 1, "exactly one buyer goes to Kakao Pay");
    for page in pages.iter().filter(|p| p.status != StatusCode::SEE_OTHER) {
        assert_eq!(page.status, StatusCode::CONFLICT);
        assert!(
            page.body.contains("지금은 구매할 수 없는 상품이에요"),
            "{}",
            page.body
        );
    }
    assert_eq!(market.fake.calls("ready"), 1);
    assert_eq!(market.order_count().await, 1);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );
}

async fn approve_replayed_twenty_times_at_once_approves_once(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    let redirect = market.fake.user_pays_redirect(&tid);

    let pages = join_all((0..20).map(|_| market.follow(&redirect))).await;

    assert_eq!(market.fake.calls("approve"), 1, "one approve call");
    for page in &pages {
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    // And again later: the same answer, still one call.
    let page = market.follow(&redirect).await;
    assert!(page.body.contains("결제가 완료되었어요"));
    assert_eq!(market.fake.calls("approve"), 1);
}

async fn forged_expired_foreign_and_reused_links_are_refused(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let links = market.payments().links();
    let good = links.issue(buyer, product, PRICE);
    let claims = links.verify(&good).unwrap();

    // Another buyer's id or a lower price pasted into the payload breaks the signature.
    let mut parts: Vec<&str> = good.split('.').collect();
    let forged_payload = base64_url(
        &serde_json::to_vec(&PayClaims {
            amount: 100,
            ..claims.clone()
        })
        .unwrap(),
    );
    parts[1] = &forged_payload;
    let forged = parts.join(".");
    let page = market.browse(&format!("/pay/{forged}"), KAKAOTALK_UA).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("올바르지 않은 결제 링크"));

    let expired = links.sign(&PayClaims {
        exp: junggye::orders::link::unix_now() - 60,
        ..claims.clone()
    });
    let page = market.browse(&format!("/pay/{expired}"), KAKAOTALK_UA).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.body.contains("만료"));

    let foreign = junggye::orders::link::PayLinks::new(
        &secrecy::SecretString::from("some-other-key-some-other-key-0000".to_owned()),
        Duration::from_secs(600),
    )
    .issue(buyer, product, PRICE);
    for bad in [foreign.as_str(), "not-a-token", "a.b.c"] {
        let page = market.browse(&format!("/pay/{bad}"), KAKAOTALK_UA).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(market.fake.calls("ready"), 0, "no refused link reaches Kakao Pay");

    // A link works once: after its payment is abandoned the product is on sale again, but the same
    // link is refused.
    let page = market.browse(&format!("/pay/{good}"), KAKAOTALK_UA).await;
    let tid = market.fake.tid_from_redirect(&page.location.unwrap()).unwrap();
    market.fake.user_quits(&tid);
    let order = market.order_by_tid(&tid).await;
    market
        .follow(&market.fake.payment(&tid).unwrap().cancel_url)
        .await;
    assert_eq!(market.order(order.id).await.status, OrderStatus::Abandoned);
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    let page = market.browse(&format!("/pay/{good}"), KAKAOTALK_UA).await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.body.contains("이미 사용한 결제 링크"), "{}", page.body);
    assert_eq!(market.fake.calls("ready"), 1);

    // The seller cannot buy their own product, even with a validly signed link.
    let seller = crate::pay_world::member_id(&market.app, "seller").await;
    let page = market
        .browse(&market.link(seller, product).await, KAKAOTALK_UA)
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert_eq!(market.fake.calls("ready"), 1);
}

/// Unpadded URL-safe base64.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

async fn a_product_not_on_sale_gets_a_page_and_no_kakao_pay_call(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let link = market.link(buyer, product).await;
    for status in [
        ProductStatus::Reserved,
        ProductStatus::Hidden,
        ProductStatus::Sold,
    ] {
        junggye::dispatch!(&market.state().db, pool => {
            sqlx::query("UPDATE products SET status = $1 WHERE id = $2")
                .bind(status.key()).bind(product).execute(pool).await.unwrap();
        });
        let page = market.browse(&link, KAKAOTALK_UA).await;
        assert_eq!(page.status, StatusCode::CONFLICT, "{status:?}");
        assert!(page.body.contains("지금은 구매할 수 없는 상품이에요"));
    }
    assert_eq!(market.fake.calls("ready"), 0);
    assert_eq!(market.order_count().await, 0);

    // Payments switched off: a friendly page, not a 404.
    let plain = TestApp::new(backend).await;
    let (status, _) = plain.get(&link).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

async fn cancel_and_fail_urls_release_the_hold_only_when_kakao_pay_says_so(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;

    // Hit while the buyer is still on Kakao's page: nothing is released.
    let (order, tid) = market.start_paying(buyer, product).await;
    let payment = market.fake.payment(&tid).unwrap();
    for url in [&payment.cancel_url, &payment.fail_url] {
        let page = market.follow(url).await;
        assert!(page.body.contains("아직 진행 중"), "{}", page.body);
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::Pending);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    // The buyer quits: now the cancel URL releases the hold.
    market.fake.user_quits(&tid);
    let page = market.follow(&payment.cancel_url).await;
    assert!(page.body.contains("결제가 취소되었어요"), "{}", page.body);
    let order = market.order(order.id).await;
    assert_eq!(
        (order.status, order.close_reason),
        (OrderStatus::Abandoned, Some(CloseReason::Quit))
    );
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);

    // A failed payment: the fail URL releases it.
    let (order, tid) = market.start_paying(buyer, product).await;
    market.fake.user_fails(&tid);
    market.follow(&market.fake.payment(&tid).unwrap().fail_url).await;
    let order = market.order(order.id).await;
    assert_eq!(
        (order.status, order.close_reason),
        (OrderStatus::Abandoned, Some(CloseReason::Failed))
    );
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);

    // Paid and approved: someone opening the cancel or fail URL changes nothing.
    let order = market.buy(buyer, product).await;
    let tid = order.tid.clone().unwrap();
    let payment = market.fake.payment(&tid).unwrap();
    for url in [&payment.cancel_url, &payment.fail_url] {
        let page = market.follow(url).await;
        assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    }
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::AwaitingCompletion
    );

    // An unknown reference: not found, nothing touched.
    let page = market.browse("/pay/cancel/0000", KAKAOTALK_UA).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
}

async fn a_paid_payment_whose_approve_redirect_was_lost_is_recorded_by_the_reconciler(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    // Kakao Pay reports the payment succeeded, though no approve redirect reached us.
    market.fake.set_state(&tid, PaymentState::SuccessPayment);

    // Someone opens the cancel URL meanwhile: Kakao says paid, so nothing is released.
    let page = market
        .follow(&market.fake.payment(&tid).unwrap().cancel_url)
        .await;
    assert_eq!(page.status, StatusCode::ACCEPTED);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Pending);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    let report = market
        .payments()
        .reconcile_at(now_ms() + 3_600_000)
        .await
        .unwrap();
    assert_eq!(report.paid, 1);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::AwaitingCompletion
    );
}

async fn an_approve_timeout_is_settled_by_asking_kakao_pay(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    // Kakao approves but the answer comes after our 1 s timeout.
    market
        .fake
        .fail_next("approve", 1, FailMode::Slow(Duration::from_millis(1_500)));

    let page = market.pay_and_return(&tid).await;

    assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::AwaitingCompletion
    );
    assert_eq!(market.fake.calls("approve"), 1, "never approved twice");
    assert_eq!(
        events(&market, order.id).await,
        pairs(&[("ready", "ok"), ("approve", "ambiguous"), ("order", "ok")])
    );
}

async fn an_unsettled_approve_is_left_visible_and_settled_by_the_reconciler(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    // The approve goes through but its answer is a 500, and Kakao cannot be asked right after.
    market
        .fake
        .fail_next("approve", 1, FailMode::Status500AfterEffect);
    market.fake.fail_next("order", 1, FailMode::Status500);

    let page = market.pay_and_return(&tid).await;

    assert_eq!(page.status, StatusCode::ACCEPTED);
    assert!(page.body.contains("확인하고 있어요"), "{}", page.body);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Approving);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    // Not yet stale: the reconciler leaves an approve that may still be in flight alone.
    let report = market.payments().reconcile().await.unwrap();
    assert_eq!(report, Default::default());

    let report = market.payments().reconcile_at(now_ms() + 60_000).await.unwrap();
    assert_eq!(report.paid, 1);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::AwaitingCompletion
    );
    assert_eq!(market.fake.calls("approve"), 1);
}

async fn a_refused_approve_keeps_the_hold_for_another_try(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;
    let real = market.fake.user_pays(&tid);

    let page = market
        .browse(
            &Market::approve_path(&order, "pg000000000000000000"),
            KAKAOTALK_UA,
        )
        .await;
    assert!(page.body.contains("승인되지 않았어요"), "{}", page.body);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Pending);
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    // A pg_token that is not even well-formed never reaches Kakao Pay.
    let approves = market.fake.calls("approve");
    let page = market
        .browse(&Market::approve_path(&order, "%3Cscript%3E"), KAKAOTALK_UA)
        .await;
    assert!(page.body.contains("승인되지 않았어요"));
    assert_eq!(market.fake.calls("approve"), approves);

    let page = market
        .browse(&Market::approve_path(&order, &real), KAKAOTALK_UA)
        .await;
    assert!(page.body.contains("결제가 완료되었어요"), "{}", page.body);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Paid);
}

async fn hold_expiry_puts_the_product_back_on_sale_and_a_late_approval_takes_no_money(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let (order, tid) = market.start_paying(buyer, product).await;

    // Before expiry nothing happens.
    assert_eq!(market.payments().reconcile().await.unwrap(), Default::default());
    assert_eq!(
        market.product_status(product).await,
        ProductStatus::PendingPayment
    );

    let report = market
        .payments()
        .reconcile_at(order.hold_expires_at + 1)
        .await
        .unwrap();
    assert_eq!(report.released, 1);
    let closed = market.order(order.id).await;
    assert_eq!(
        (closed.status, closed.close_reason),
        (OrderStatus::Abandoned, Some(CloseReason::Expired))
    );
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);

    // The buyer finishes on Kakao's page after all: the order is closed, so nothing is approved.
    let page = market.pay_and_return(&tid).await;
    assert!(page.body.contains("결제는 이루어지지 않았어요"), "{}", page.body);
    assert_eq!(market.fake.calls("approve"), 0);
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
}

async fn a_failed_ready_gives_the_product_back(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    market.fake.fail_next("ready", 1, FailMode::Status500);

    let page = market
        .browse(&market.link(buyer, product).await, KAKAOTALK_UA)
        .await;

    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("결제는 이루어지지 않았어요"));
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    let (status, reason): (String, Option<String>) = junggye::dispatch!(&market.state().db, pool => {
        sqlx::query_as("SELECT status, close_reason FROM orders").fetch_one(pool).await.unwrap()
    });
    assert_eq!(
        (status.as_str(), reason.as_deref()),
        ("abandoned", Some("ready_failed"))
    );

    // A timeout is treated the same way: nobody was sent to the tid it may have created.
    market
        .fake
        .fail_next("ready", 1, FailMode::Slow(Duration::from_millis(1_500)));
    let page = market
        .browse(&market.link(buyer, product).await, KAKAOTALK_UA)
        .await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    // And the next try works.
    market.start_paying(buyer, product).await;
}

async fn a_lost_refund_answer_is_checked_with_kakao_pay_and_never_refunded_twice(backend: Backend) {
    let market = Market::start(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let db = &market.state().db;

    // The refund happens but its answer is lost: asking Kakao settles it at once.
    let order = market.buy(buyer, product).await;
    assert!(
        order_store::begin_refund(
            db,
            &market.state().catalog,
            &market.state().outbox,
            order.id,
            Refunder::Buyer(buyer)
        )
        .await
        .unwrap()
    );
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    market.fake.fail_next("cancel", 1, FailMode::Status500AfterEffect);
    assert_eq!(
        market.payments().refund(order.id).await.unwrap(),
        RefundOutcome::Refunded
    );
    assert_eq!(market.order(order.id).await.status, OrderStatus::Refunded);

    // Kakao Pay is down for the refund and the status check: the order stays refund_pending, visibly.
    let order = market.buy(buyer, product).await;
    let tid = order.tid.clone().unwrap();
    assert!(
        order_store::begin_refund(
            db,
            &market.state().catalog,
            &market.state().outbox,
            order.id,
            Refunder::Buyer(buyer)
        )
        .await
        .unwrap()
    );
    market.fake.fail_next("cancel", 1, FailMode::Status500AfterEffect);
    market.fake.fail_next("order", 1, FailMode::Status500);
    assert_eq!(
        market.payments().refund(order.id).await.unwrap(),
        RefundOutcome::Pending
    );
    assert_eq!(market.order(order.id).await.status, OrderStatus::RefundPending);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));

    // The reconciler asks first, sees it was refunded, and does not refund again.
    let cancels = market.fake.calls("cancel");
    let report = market.payments().reconcile_at(now_ms() + 60_000).await.unwrap();
    assert_eq!(report.refunded, 1);
    assert_eq!(market.order(order.id).await.status, OrderStatus::Refunded);
    assert!(market.fake.calls("cancel") <= cancels + 1);
    assert_eq!(
        market.fake.payment(&tid).unwrap().canceled_amount,
        PRICE,
        "refunded exactly once"
    );

    // A refund Kakao refuses outright stays pending and is retried until it goes through.
    let order = market.buy(buyer, product).await;
    let tid = order.tid.clone().unwrap();
    assert!(
        order_store::begin_refund(
            db,
            &market.state().catalog,
            &market.state().outbox,
            order.id,
            Refunder::Buyer(buyer)
        )
        .await
        .unwrap()
    );
    market.fake.fail_next("cancel", 1, FailMode::Status500);
    assert_eq!(
        market.payments().refund(order.id).await.unwrap(),
        RefundOutcome::Pending
    );
    assert_eq!(market.fake.state(&tid), Some(PaymentState::SuccessPayment));
    let report = market.payments().reconcile_at(now_ms() + 60_000).await.unwrap();
    assert_eq!(report.refunded, 1);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);
}

/// A market whose hold (0.5 s) ends while an approve waits for its 1 s timeout.
async fn market_with_a_short_hold(backend: Backend) -> Market {
    Market::start_with(backend, |s| s.hold = Duration::from_millis(500)).await
}

/// The buyer pays, but Kakao Pay is still working on our approve when it times out and when it is asked
/// right after (`AUTH_PASSWORD`); with a short hold the order is closed at once.
async fn approve_left_unanswered(
    market: &Market,
    buyer: MemberId,
    product: ProductId,
) -> (OrderId, String, String) {
    let (order, tid) = market.start_paying(buyer, product).await;
    market.fake.fail_next("approve", 1, FailMode::Deferred);
    let page = market.pay_and_return(&tid).await;
    assert_eq!(market.fake.state(&tid), Some(PaymentState::AuthPassword));
    (order.id, tid, page.body)
}

async fn watch(market: &Market, order_id: OrderId) -> Option<ApprovalWatch> {
    market.order(order_id).await.approval_watch
}

async fn an_approval_completed_after_the_hold_ended_is_refunded_exactly_once(backend: Backend) {
    let market = market_with_a_short_hold(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;

    let (id, tid, page) = approve_left_unanswered(&market, buyer, product).await;

    // The hold ended with Kakao Pay still saying AUTH_PASSWORD: the order is closed and the product
    // released, but the buyer is not told that nothing was paid.
    let closed = market.order(id).await;
    assert_eq!(
        (closed.status, closed.close_reason),
        (OrderStatus::Abandoned, Some(CloseReason::Expired))
    );
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    assert!(!page.contains("결제는 이루어지지 않았어요"), "{page}");
    assert!(page.contains("전액 환불돼요"), "{page}");
    assert_eq!(watch(&market, id).await, Some(ApprovalWatch::Watching));

    // Kakao Pay completes the approval a moment later.
    assert_eq!(market.fake.complete_deferred("approve"), 1);
    assert_eq!(market.fake.state(&tid), Some(PaymentState::SuccessPayment));

    // Two reconcilers (one per instance) pass at the same moment: the money goes back once. (The passes
    // run ten minutes ahead of the clock, so the refund one of them starts may look stale to the other,
    // which then retries it; Kakao Pay refuses a second cancel of the full amount — the request says how
    // much must be left — so the money still moves once. Real passes see a refund just begun as fresh.)
    let later = now_ms() + 600_000;
    let payments = market.payments();
    let (first, second) = tokio::join!(payments.reconcile_at(later), payments.reconcile_at(later));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert!(first.refunded + second.refunded >= 1, "{first:?} {second:?}");
    let refunded = market.order(id).await;
    assert_eq!(refunded.status, OrderStatus::Refunded);
    assert_eq!(refunded.close_reason, Some(CloseReason::LateApproval));
    assert_eq!(market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);
    let events = events(&market, id).await;
    let succeeded = |call: &str| events.iter().filter(|(c, o)| c == call && o == "ok").count();
    assert_eq!(
        (succeeded("ready"), succeeded("approve"), succeeded("cancel")),
        (1, 0, 1),
        "{events:?}"
    );
    assert_eq!(
        events[..3].to_vec(),
        pairs(&[("ready", "ok"), ("approve", "ambiguous"), ("order", "ok")])
    );
    assert_eq!(watch(&market, id).await, None);
    // The product released when the hold ended stays on sale: the late payment bought nothing.
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);

    // Later passes leave the order alone.
    let calls = market.fake.total_calls();
    let report = payments.reconcile_at(later + 86_400_000).await.unwrap();
    assert_eq!(report, Default::default());
    assert_eq!(market.fake.total_calls(), calls);
    assert_eq!(market.fake.payment(&tid).unwrap().canceled_amount, PRICE);
}

async fn a_closed_order_is_asked_about_less_and_less_often_until_kakao_pay_gives_a_final_status(
    backend: Backend,
) {
    const MINUTE: i64 = 60_000;
    const HOUR: i64 = 60 * MINUTE;
    let market = market_with_a_short_hold(backend).await;
    let (product, buyer) = seller_product_buyer(&market).await;
    let payments = market.payments();

    // Kakao Pay stays undecided for a while, then says the payment failed.
    let (id, tid, _) = approve_left_unanswered(&market, buyer, product).await;
    // Passes half a minute off the minute, so no look falls on the edge of its wait.
    let closed_at = market.order(id).await.closed_at.unwrap() + MINUTE / 2;
    let asked = market.fake.calls("order");
    for minute in 0..=30 {
        payments.reconcile_at(closed_at + minute * MINUTE).await.unwrap();
    }
    // A pass a minute for half an hour, but Kakao Pay is asked only 1, 3, 7 and 15 minutes after the
    // order closed: each wait is as long as the order has been closed.
    assert_eq!(market.fake.calls("order") - asked, 4);
    assert_eq!(watch(&market, id).await, Some(ApprovalWatch::Watching));
    market.fake.user_fails(&tid);
    payments.reconcile_at(closed_at + HOUR).await.unwrap();
    assert_eq!(watch(&market, id).await, None, "a final status ends the watch");
    let asked = market.fake.calls("order");
    payments.reconcile_at(closed_at + 30 * 24 * HOUR).await.unwrap();
    assert_eq!(market.fake.calls("order"), asked, "and nobody asks again");
    let closed = market.order(id).await;
    assert_eq!(
        (closed.status, closed.close_reason),
        (OrderStatus::Abandoned, Some(CloseReason::Expired))
    );

    // Kakao Pay never decides: the reconciler gives up after three days and marks the order for an
    // administrator.
    let (id, _, _) = approve_left_unanswered(&market, buyer, product).await;
    let closed_at = market.order(id).await.closed_at.unwrap() + MINUTE / 2;
    let asked = market.fake.calls("order");
    let mut given_up = 0;
    for hour in 1..=96 {
        given_up += payments
            .reconcile_at(closed_at + hour * HOUR)
            .await
            .unwrap()
            .given_up;
    }
    assert_eq!(given_up, 1);
    // Hourly once the order is an hour old, the last time 72 hours after it closed.
    assert_eq!(market.fake.calls("order") - asked, 72);
    assert_eq!(watch(&market, id).await, Some(ApprovalWatch::GivenUp));
    let asked = market.fake.calls("order");
    payments.reconcile_at(closed_at + 30 * 24 * HOUR).await.unwrap();
    assert_eq!(market.fake.calls("order"), asked);
    assert_eq!(market.order(id).await.status, OrderStatus::Abandoned);
}
