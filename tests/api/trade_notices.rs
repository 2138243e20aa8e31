//! Trade notices and auto-confirmation, on both databases, against the fake Kakao Pay: every change of an
//! order that a party must hear about writes exactly its notices (the outbox rows) in its own
//! transaction; a change that did not apply writes none; with notifications off nothing is written; and
//! a shipped purchase nobody confirms is warned about a day ahead, once per shipment, then confirms
//! itself.

use std::time::Duration;

use junggye::clock::now_ms;
use junggye::domain::ids::{MemberId, OrderId, ProductId};
use junggye::kakaopay::PaymentState;
use junggye::notifications::Kind;
use junggye::orders::store::{self as order_store, Refunder};
use junggye::orders::{CloseReason, Order, OrderStatus};
use junggye::products::ProductStatus;

use crate::fake_kakaopay::FailMode;
use crate::helpers::{Backend, Reply, notify_settings, payload};
use crate::on_both_backends;
use crate::pay_world::{Market, PRICE};

on_both_backends!(
    a_whole_purchase_tells_each_party_each_step_once,
    a_cancel_tells_both_parties_and_the_refund_tells_the_buyer,
    an_expired_hold_tells_the_buyer_and_a_quit_tells_nobody,
    a_late_payment_refunded_tells_the_buyer_only_when_the_money_is_back,
    a_change_that_did_not_apply_writes_no_notice,
    with_notifications_off_nothing_is_written,
    a_shipped_purchase_is_warned_a_day_ahead_once_then_confirms_itself,
    a_new_tracking_number_warns_again_for_the_new_shipment,
    an_order_without_a_tracking_number_never_confirms_itself,
    two_instances_confirming_at_once_confirm_each_order_once,
);

const DAY_MS: i64 = 86_400_000;
/// `AUTO_CONFIRM_DAYS` of the test markets (the default).
const AUTO_CONFIRM_DAYS: i64 = 7;

/// A market with notifications on, a seller with one product on sale, and a buyer.
struct Trade {
    market: Market,
    seller: MemberId,
    buyer: MemberId,
    product: ProductId,
}

impl Trade {
    async fn start(backend: Backend) -> Self {
        let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(notify_settings())).await;
        Self::around(market).await
    }

    async fn around(market: Market) -> Self {
        let seller = market.member("seller", "판매자").await;
        let product = market.product("seller", "닌텐도 스위치").await;
        let buyer = market.member("buyer", "구매자").await;
        Self {
            market,
            seller,
            buyer,
            product,
        }
    }

    async fn buy(&self) -> Order {
        self.market.buy(self.buyer, self.product).await
    }

    async fn skill(&self, path: &str, user: &str, order: &Order, extra: &[(&str, &str)]) -> Reply {
        let body = extra
            .iter()
            .fold(
                payload(user).extra("orderId", &order.id.to_string()),
                |p, (k, v)| p.extra(k, v),
            )
            .build();
        self.market.app.skill(path, &body).await
    }

    async fn tracking(&self, order: &Order, number: &str) -> Reply {
        let body = payload("seller")
            .extra("orderId", &order.id.to_string())
            .param("trackingNumber", number)
            .build();
        let reply = self.market.app.skill("/skill/orders/tracking", &body).await;
        assert!(reply.contains("저장했어요"), "{}", reply.text());
        reply
    }

    async fn confirm_purchase(&self, order: &Order) {
        let path = "/skill/orders/confirm-purchase";
        let reply = self.skill(path, "buyer", order, &[("confirm", "yes")]).await;
        assert!(reply.contains("구매확정했어요"), "{}", reply.text());
    }

    async fn confirm_sale(&self, order: &Order) {
        let path = "/skill/orders/confirm-sale";
        let reply = self.skill(path, "seller", order, &[("confirm", "yes")]).await;
        assert!(reply.contains("판매확정했어요"), "{}", reply.text());
    }

    async fn order(&self, order: &Order) -> Order {
        self.market.order(order.id).await
    }

    async fn notices(&self) -> Vec<Notice> {
        notices(&self.market).await
    }
}

/// One outbox row, as a test compares it.
#[derive(Debug, PartialEq, Eq)]
struct Notice {
    to: MemberId,
    kind: Kind,
    order: Option<OrderId>,
    /// The tracking number of a trade notice, as it was.
    detail: Option<String>,
}

fn notice(to: MemberId, kind: Kind, order: &Order, detail: Option<&str>) -> Notice {
    Notice {
        to,
        kind,
        order: Some(order.id),
        detail: detail.map(str::to_owned),
    }
}

/// Every outbox row, in the order written; each must be queued and carry the order's item and amount.
async fn notices(market: &Market) -> Vec<Notice> {
    type Row = (
        MemberId,
        String,
        Option<OrderId>,
        Option<String>,
        String,
        String,
        Option<i64>,
    );
    let rows: Vec<Row> = junggye::dispatch!(&market.state().db, pool => {
        sqlx::query_as(
            "SELECT recipient_id, kind, order_id, detail, state, subject, amount FROM notifications ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    });
    rows.into_iter()
        .map(|(to, kind, order, detail, state, subject, amount)| {
            let kind = Kind::parse(&kind).expect("a known kind");
            assert_eq!(state, "queued", "{kind:?}");
            if order.is_some() {
                assert_eq!(
                    (subject.as_str(), amount),
                    ("닌텐도 스위치", Some(PRICE)),
                    "{kind:?}"
                );
            }
            Notice {
                to,
                kind,
                order,
                detail,
            }
        })
        .collect()
}

async fn dedupe_keys(market: &Market) -> Vec<Option<String>> {
    junggye::dispatch!(&market.state().db, pool => {
        sqlx::query_scalar("SELECT dedupe_key FROM notifications ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
    })
}

async fn save(market: &Market, member: MemberId, product: ProductId) {
    junggye::dispatch!(&market.state().db, pool => {
        sqlx::query("INSERT INTO favourites (member_id, product_id, created_at) VALUES ($1, $2, $3)")
            .bind(member)
            .bind(product)
            .bind(now_ms())
            .execute(pool)
            .await
            .unwrap();
    });
}

async fn a_whole_purchase_tells_each_party_each_step_once(backend: Backend) {
    let t = Trade::start(backend).await;
    // Someone saved the product; so did its seller (never alerted about their own product) and its
    // buyer (told of the sale by their own trade notice, not again as a saver).
    let fan = t.market.member("fan", "찜한사람").await;
    save(&t.market, fan, t.product).await;
    save(&t.market, t.seller, t.product).await;
    save(&t.market, t.buyer, t.product).await;

    let order = t.buy().await;
    t.tracking(&order, "123456789").await;
    let shipped = t.order(&order).await.shipped_at;
    // The same number again: saved, nobody told, the shipment (and its clock) unchanged.
    t.tracking(&order, "123-456-789").await;
    assert_eq!(t.order(&order).await.shipped_at, shipped);
    t.tracking(&order, "987654321").await;
    t.confirm_purchase(&order).await;
    t.confirm_sale(&order).await;

    let (buyer, seller) = (t.buyer, t.seller);
    assert_eq!(
        t.notices().await,
        [
            notice(seller, Kind::OrderPaid, &order, None),
            notice(buyer, Kind::TrackingEntered, &order, Some("123456789")),
            notice(buyer, Kind::TrackingChanged, &order, Some("987654321")),
            notice(seller, Kind::PurchaseConfirmed, &order, Some("987654321")),
            notice(buyer, Kind::SaleConfirmed, &order, Some("987654321")),
            Notice {
                to: fan,
                kind: Kind::FavouriteSold,
                order: None,
                detail: None
            },
        ]
    );
    assert_eq!(t.order(&order).await.status, OrderStatus::Completed);
    assert_eq!(t.market.product_status(t.product).await, ProductStatus::Sold);
}

async fn a_cancel_tells_both_parties_and_the_refund_tells_the_buyer(backend: Backend) {
    let t = Trade::start(backend).await;

    // The buyer cancels before shipping; Kakao Pay refunds at once.
    let order = t.buy().await;
    let reply = t
        .skill("/skill/orders/cancel", "buyer", &order, &[("confirm", "yes")])
        .await;
    assert!(reply.contains("전액 환불했어요"), "{}", reply.text());
    assert_eq!(
        t.notices().await,
        [
            notice(t.seller, Kind::OrderPaid, &order, None),
            notice(t.buyer, Kind::OrderCancelled, &order, None),
            notice(t.seller, Kind::OrderCancelled, &order, None),
            notice(t.buyer, Kind::RefundDone, &order, None),
        ]
    );

    // An operator cancels after shipping; Kakao Pay does not confirm the refund yet: both are told of
    // the cancel now, the buyer of the refund only when the reconciler finishes it.
    let second = t.buy().await;
    t.tracking(&second, "123456789").await;
    let db = &t.market.state().db;
    let (catalog, outbox) = (&t.market.state().catalog, &t.market.state().outbox);
    let by = Refunder::Operator(CloseReason::AdminCancelled);
    assert!(
        order_store::begin_refund(db, catalog, outbox, second.id, by)
            .await
            .unwrap()
    );
    t.market.fake.fail_next("cancel", 1, FailMode::Status500);
    t.market.fake.fail_next("order", 1, FailMode::Status500);
    t.market.payments().refund(second.id).await.unwrap();
    let before_reconcile = t.notices().await;
    assert_eq!(
        before_reconcile[4..],
        [
            notice(t.seller, Kind::OrderPaid, &second, None),
            notice(t.buyer, Kind::TrackingEntered, &second, Some("123456789")),
            notice(t.buyer, Kind::OrderCancelled, &second, Some("123456789")),
            notice(t.seller, Kind::OrderCancelled, &second, Some("123456789")),
        ]
    );
    let report = t.market.payments().reconcile_at(now_ms() + 60_000).await.unwrap();
    assert_eq!(report.refunded, 1);
    let after = t.notices().await;
    assert_eq!(after.len(), 9);
    assert_eq!(
        after[8],
        notice(t.buyer, Kind::RefundDone, &second, Some("123456789"))
    );
}

async fn an_expired_hold_tells_the_buyer_and_a_quit_tells_nobody(backend: Backend) {
    let t = Trade::start(backend).await;

    // The buyer leaves Kakao Pay's page: they see the result there; no notice.
    let (quit, tid) = t.market.start_paying(t.buyer, t.product).await;
    t.market.fake.user_quits(&tid);
    t.market
        .follow(&t.market.fake.payment(&tid).unwrap().cancel_url)
        .await;
    assert_eq!(t.market.order(quit.id).await.status, OrderStatus::Abandoned);
    assert_eq!(t.notices().await, []);

    // A hold that runs out without a payment: the reconciler releases it and tells the buyer once.
    let (order, _) = t.market.start_paying(t.buyer, t.product).await;
    let payments = t.market.payments();
    let report = payments.reconcile_at(order.hold_expires_at + 1).await.unwrap();
    assert_eq!(report.released, 1);
    let closed = t.order(&order).await;
    assert_eq!(closed.close_reason, Some(CloseReason::Expired));
    let expected = [notice(t.buyer, Kind::HoldExpired, &order, None)];
    assert_eq!(t.notices().await, expected);
    payments
        .reconcile_at(order.hold_expires_at + DAY_MS)
        .await
        .unwrap();
    assert_eq!(t.notices().await, expected);
}

async fn a_late_payment_refunded_tells_the_buyer_only_when_the_money_is_back(backend: Backend) {
    let market = Market::start_configured(
        backend,
        |s| s.hold = Duration::from_millis(500),
        |c| c.notify = Some(notify_settings()),
    )
    .await;
    let t = Trade::around(market).await;

    // Kakao Pay is still working on the approve when it times out, and the short hold ends: closed.
    let (order, tid) = t.market.start_paying(t.buyer, t.product).await;
    t.market.fake.fail_next("approve", 1, FailMode::Deferred);
    t.market.pay_and_return(&tid).await;
    assert_eq!(t.order(&order).await.status, OrderStatus::Abandoned);
    let expired = notice(t.buyer, Kind::HoldExpired, &order, None);
    assert_eq!(t.notices().await, [expired]);

    // The payment completes after all and is refunded: no "cancelled" (there was never a purchase to
    // cancel, nor anything for the seller to stop), only the refund, once it is done.
    assert_eq!(t.market.fake.complete_deferred("approve"), 1);
    let report = t
        .market
        .payments()
        .reconcile_at(now_ms() + 600_000)
        .await
        .unwrap();
    assert_eq!(report.refunded, 1);
    let refunded = t.order(&order).await;
    assert_eq!(refunded.close_reason, Some(CloseReason::LateApproval));
    assert_eq!(t.market.fake.state(&tid), Some(PaymentState::CancelPayment));
    assert_eq!(
        t.notices().await,
        [
            notice(t.buyer, Kind::HoldExpired, &order, None),
            notice(t.buyer, Kind::RefundDone, &order, None),
        ]
    );
}

async fn a_change_that_did_not_apply_writes_no_notice(backend: Backend) {
    let t = Trade::start(backend).await;
    let order = t.buy().await;
    let paid_only = [notice(t.seller, Kind::OrderPaid, &order, None)];
    assert_eq!(t.notices().await, paid_only);
    let db = &t.market.state().db;
    let (catalog, outbox) = (&t.market.state().catalog, &t.market.state().outbox);

    // Each conditional update refuses: the wrong party, or the wrong status for the step.
    assert!(
        !order_store::set_tracking(db, outbox, order.id, t.buyer, "123456789")
            .await
            .unwrap()
    );
    assert!(
        !order_store::confirm_purchase(db, outbox, order.id, t.buyer)
            .await
            .unwrap()
    );
    assert!(
        !order_store::confirm_sale(db, catalog, outbox, order.id, t.seller)
            .await
            .unwrap()
    );
    assert!(!order_store::finish_refund(db, outbox, order.id).await.unwrap());
    t.tracking(&order, "123456789").await;
    assert!(
        !order_store::confirm_purchase(db, outbox, order.id, t.seller)
            .await
            .unwrap()
    );
    let by_buyer = Refunder::Buyer(t.buyer);
    assert!(
        !order_store::begin_refund(db, catalog, outbox, order.id, by_buyer)
            .await
            .unwrap()
    );
    // Through the skills too: the buyer's cancel after shipping is refused.
    let reply = t
        .skill("/skill/orders/cancel", "buyer", &order, &[("confirm", "yes")])
        .await;
    assert!(reply.contains("이미 상품을 보냈어요"), "{}", reply.text());

    assert_eq!(
        t.notices().await,
        [
            notice(t.seller, Kind::OrderPaid, &order, None),
            notice(t.buyer, Kind::TrackingEntered, &order, Some("123456789")),
        ]
    );
    assert_eq!(t.order(&order).await.status, OrderStatus::Paid);
}

async fn with_notifications_off_nothing_is_written(backend: Backend) {
    let t = Trade::around(crate::pay_world::Market::start(backend).await).await;
    assert!(!t.market.state().outbox.is_on());
    let fan = t.market.member("fan", "찜한사람").await;
    save(&t.market, fan, t.product).await;
    let other = t.market.product("seller", "닌텐도 스위치").await;

    let order = t.buy().await;
    t.tracking(&order, "123456789").await;
    t.tracking(&order, "987654321").await;
    let shipped_at = t.order(&order).await.shipped_at.unwrap();
    let payments = t.market.payments();
    let warned = payments.auto_confirm_at(shipped_at + 6 * DAY_MS).await.unwrap();
    assert_eq!(warned, Default::default());
    let confirmed = payments.auto_confirm_at(shipped_at + 7 * DAY_MS).await.unwrap();
    assert_eq!(confirmed.confirmed, 1);
    t.confirm_sale(&order).await;

    let second = t.market.buy(t.buyer, other).await;
    let reply = t
        .skill("/skill/orders/cancel", "buyer", &second, &[("confirm", "yes")])
        .await;
    assert!(reply.contains("전액 환불했어요"), "{}", reply.text());
    let (third, _) = t.market.start_paying(t.buyer, other).await;
    payments.reconcile_at(third.hold_expires_at + 1).await.unwrap();

    assert_eq!(t.notices().await, []);
}

async fn a_shipped_purchase_is_warned_a_day_ahead_once_then_confirms_itself(backend: Backend) {
    let t = Trade::start(backend).await;
    let order = t.buy().await;
    t.tracking(&order, "123456789").await;
    let shipped_at = t.order(&order).await.shipped_at.unwrap();
    let confirms_at = shipped_at + AUTO_CONFIRM_DAYS * DAY_MS;

    // Both parties' order detail says when.
    let day = junggye::present::month_day_kst(confirms_at);
    for user in ["buyer", "seller"] {
        let shown = t.skill("/skill/orders/detail", user, &order, &[]).await;
        let note = format!("{day}에 자동으로 구매확정돼요.");
        assert!(shown.contains(&note), "{user}: {}", shown.text());
    }

    let payments = t.market.payments();
    let shipped_notices = t.notices().await.len();
    // Not yet a day before.
    let early = payments.auto_confirm_at(confirms_at - DAY_MS - 1).await.unwrap();
    assert_eq!(early, Default::default());
    assert_eq!(t.notices().await.len(), shipped_notices);

    // A day before: the buyer is warned, once however many passes run.
    let warned = payments.auto_confirm_at(confirms_at - DAY_MS).await.unwrap();
    assert_eq!((warned.warned, warned.confirmed), (1, 0));
    let again = payments.auto_confirm_at(confirms_at - 1).await.unwrap();
    assert_eq!(again, Default::default());
    let soon = notice(t.buyer, Kind::AutoConfirmSoon, &order, Some("123456789"));
    assert_eq!(t.notices().await[shipped_notices..], [soon]);
    let key = format!("auto_confirm_soon:{}:{shipped_at}", order.id);
    assert_eq!(dedupe_keys(&t.market).await.last(), Some(&Some(key)));
    assert_eq!(t.order(&order).await.status, OrderStatus::Paid);

    // On the day: confirmed for the buyer, both told, once.
    let confirmed = payments.auto_confirm_at(confirms_at).await.unwrap();
    assert_eq!((confirmed.warned, confirmed.confirmed), (0, 1));
    assert_eq!(
        payments.auto_confirm_at(confirms_at + DAY_MS).await.unwrap(),
        Default::default()
    );
    let now = t.order(&order).await;
    assert_eq!(now.status, OrderStatus::BuyerConfirmed);
    assert_eq!(now.buyer_confirmed_at, Some(confirms_at));
    assert_eq!(
        t.notices().await[shipped_notices..],
        [
            notice(t.buyer, Kind::AutoConfirmSoon, &order, Some("123456789")),
            notice(t.seller, Kind::AutoConfirmed, &order, Some("123456789")),
            notice(t.buyer, Kind::AutoConfirmed, &order, Some("123456789")),
        ]
    );

    // The detail no longer promises a date, and the seller can confirm the sale.
    let shown = t.skill("/skill/orders/detail", "buyer", &order, &[]).await;
    assert!(!shown.contains("자동으로"), "{}", shown.text());
    t.confirm_sale(&order).await;
    assert_eq!(t.order(&order).await.status, OrderStatus::Completed);
    assert_eq!(
        t.notices().await.last(),
        Some(&notice(t.buyer, Kind::SaleConfirmed, &order, Some("123456789")))
    );
}

async fn a_new_tracking_number_warns_again_for_the_new_shipment(backend: Backend) {
    let t = Trade::start(backend).await;
    let order = t.buy().await;
    t.tracking(&order, "123456789").await;
    let first = t.order(&order).await.shipped_at.unwrap();
    let payments = t.market.payments();
    let warned = payments
        .auto_confirm_at(first + (AUTO_CONFIRM_DAYS - 1) * DAY_MS)
        .await
        .unwrap();
    assert_eq!(warned.warned, 1);

    // The seller changes the number: a new shipment, with its own clock and its own warning.
    tokio::time::sleep(Duration::from_millis(5)).await;
    t.tracking(&order, "987654321").await;
    let second = t.order(&order).await.shipped_at.unwrap();
    assert!(second > first);
    // The old shipment's day confirms nothing; it is within a day of the new one's, which is warned.
    let old_day = payments
        .auto_confirm_at(first + AUTO_CONFIRM_DAYS * DAY_MS)
        .await
        .unwrap();
    assert_eq!((old_day.warned, old_day.confirmed), (1, 0));
    assert_eq!(t.order(&order).await.status, OrderStatus::Paid);
    let again = payments
        .auto_confirm_at(second + AUTO_CONFIRM_DAYS * DAY_MS - 1)
        .await
        .unwrap();
    assert_eq!(again, Default::default());

    let kinds: Vec<Kind> = t.notices().await.into_iter().map(|n| n.kind).collect();
    assert_eq!(
        kinds,
        [
            Kind::OrderPaid,
            Kind::TrackingEntered,
            Kind::AutoConfirmSoon,
            Kind::TrackingChanged,
            Kind::AutoConfirmSoon,
        ]
    );
    let keys = dedupe_keys(&t.market).await;
    assert_eq!(
        [keys[2].clone(), keys[4].clone()],
        [
            Some(format!("auto_confirm_soon:{}:{first}", order.id)),
            Some(format!("auto_confirm_soon:{}:{second}", order.id)),
        ]
    );
}

async fn an_order_without_a_tracking_number_never_confirms_itself(backend: Backend) {
    let t = Trade::start(backend).await;
    let order = t.buy().await;
    let payments = t.market.payments();
    for days in [6, 7, 30, 365] {
        let report = payments.auto_confirm_at(now_ms() + days * DAY_MS).await.unwrap();
        assert_eq!(report, Default::default(), "{days} days");
    }
    assert_eq!(t.order(&order).await.status, OrderStatus::Paid);
    let shown = t.skill("/skill/orders/detail", "buyer", &order, &[]).await;
    assert!(!shown.contains("자동으로"), "{}", shown.text());
    assert_eq!(
        t.notices().await,
        [notice(t.seller, Kind::OrderPaid, &order, None)]
    );
}

async fn two_instances_confirming_at_once_confirm_each_order_once(backend: Backend) {
    let t = Trade::start(backend).await;
    let other = t.market.product("seller", "닌텐도 스위치").await;
    let first = t.buy().await;
    let second = t.market.buy(t.buyer, other).await;
    t.tracking(&first, "123456789").await;
    t.tracking(&second, "987654321").await;
    let due = t.order(&second).await.shipped_at.unwrap() + AUTO_CONFIRM_DAYS * DAY_MS;

    let payments = t.market.payments();
    let (a, b) = tokio::join!(payments.auto_confirm_at(due), payments.auto_confirm_at(due));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.confirmed + b.confirmed, 2, "{a:?} {b:?}");
    assert_eq!(a.warned + b.warned, 0, "{a:?} {b:?}");
    let told: Vec<(MemberId, Option<OrderId>)> = t
        .notices()
        .await
        .into_iter()
        .filter(|n| n.kind == Kind::AutoConfirmed)
        .map(|n| (n.to, n.order))
        .collect();
    let mut expected = Vec::new();
    for order in [&first, &second] {
        expected.extend([(t.seller, Some(order.id)), (t.buyer, Some(order.id))]);
    }
    let mut sorted = told.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "each order told to both parties once: {told:?}");
    for order in [&first, &second] {
        assert_eq!(t.order(order).await.status, OrderStatus::BuyerConfirmed);
    }
}
