//! The notice sender against a fake Event API, on both databases: a purchase reaches each party once
//! through the event block; a lost answer is sent again only when the notice never showed; Kakao's
//! outages are retried and its refusals recorded; two senders never send one row twice; a sender that
//! stopped mid-send is recovered; alerts obey opt-out, quiet hours, the keyword allowance and the cap.

use junggye::clock::now_ms;
use junggye::domain::ids::MemberId;
use junggye::notifications::store as notice_store;
use junggye::notifications::{Kind, Sender, State, hours};

use crate::fake_event_api::{FakeEventApi, Fault};
use crate::helpers::{Backend, payload};
use crate::on_both_backends;
use crate::pay_world::Market;

on_both_backends!(
    a_purchase_reaches_each_party_once_through_the_event_block,
    a_lost_answer_is_sent_again_only_if_the_notice_never_showed,
    kakao_outages_are_retried_and_refusals_recorded,
    two_senders_send_each_notice_once,
    a_sender_that_stopped_before_sending_is_recovered,
    a_call_is_made_only_while_the_claim_holds,
    alerts_obey_opt_out_quiet_hours_and_consent,
    keyword_alerts_past_the_allowance_become_one_digest,
    past_the_daily_cap_alerts_wait_and_trade_notices_go,
    users_kakao_could_not_reach_are_recorded_as_failed,
);

const MINUTE: i64 = 60_000;

struct World {
    market: Market,
    fake: FakeEventApi,
}

impl World {
    async fn start(backend: Backend) -> Self {
        Self::with(backend, |_| {}).await
    }

    async fn with(backend: Backend, tweak: impl FnOnce(&mut junggye::config::NotifySettings)) -> Self {
        let fake = FakeEventApi::start().await;
        let mut settings = fake.settings();
        tweak(&mut settings);
        let market = Market::start_configured(backend, |_| {}, |c| c.notify = Some(settings)).await;
        Self { market, fake }
    }

    fn sender(&self) -> Sender {
        let state = self.market.state();
        Sender::new(
            state.config.notify.as_ref().unwrap(),
            state.db.clone(),
            state.outbox.clone(),
        )
        .unwrap()
    }

    /// Kakao shows every accepted message: runs the event block's skill for each user, as Kakao does, and
    /// returns (user, text) in order.
    async fn deliver(&self, from: usize) -> Vec<(String, String)> {
        let mut shown = Vec::new();
        for message in &self.fake.messages()[from..] {
            for user in &message.users {
                let body = payload(user).param("batch", &message.batch).build();
                // The conversation skill, as an operator in conversation mode connects to the event block
                // (it hands `batch` to the event skill; tests/api/notice_restart.rs calls that directly).
                let reply = self.market.app.skill("/skill/chat", &body).await;
                shown.push((user.clone(), reply.text()));
            }
        }
        shown
    }

    async fn states(&self) -> Vec<(String, String)> {
        junggye::dispatch!(&self.market.state().db, pool => {
            sqlx::query_as("SELECT kind, state FROM notifications ORDER BY id").fetch_all(pool).await.unwrap()
        })
    }

    async fn state_of(&self, kind: Kind) -> Vec<String> {
        self.states()
            .await
            .into_iter()
            .filter(|(k, _)| k == kind.key())
            .map(|(_, s)| s)
            .collect()
    }

    /// An alert row written straight into the outbox (what the stores' inserts write).
    async fn alert(&self, to: MemberId, kind: Kind, subject: &str, now: i64) {
        junggye::dispatch!(&self.market.state().db, pool => {
            sqlx::query(
                "INSERT INTO notifications (recipient_id, kind, subject, amount, detail, state, not_before, \
                                            created_at, updated_at) VALUES ($1, $2, $3, 10000, '아이폰', $4, $5, $5, $5)",
            )
            .bind(to)
            .bind(kind)
            .bind(subject)
            .bind(State::Queued)
            .bind(now)
            .execute(pool)
            .await
            .unwrap();
        });
    }
}

/// A daytime instant (KST) after every row the test wrote.
fn daytime() -> i64 {
    hours::next_morning(now_ms()) + 60 * MINUTE
}

async fn a_purchase_reaches_each_party_once_through_the_event_block(backend: Backend) {
    let w = World::start(backend).await;
    w.market.member("seller", "판매자").await;
    let buyer = w.market.member("buyer", "구매자").await;
    let product = w.market.product("seller", "닌텐도 스위치").await;
    // The server is down while the purchase happens: the notices wait in the outbox.
    let order = w.market.buy(buyer, product).await;
    let track = payload("seller")
        .extra("orderId", &order.id.to_string())
        .param("trackingNumber", "123456789")
        .build();
    w.market.app.skill("/skill/orders/tracking", &track).await;
    assert_eq!(w.fake.calls(), 0);

    // A sender starts (the server is back): both notices go, one call per user at most.
    let now = daytime();
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!((report.accepted, report.calls), (2, 1), "{report:?}");
    let shown = w.deliver(0).await;
    assert_eq!(shown.len(), 2);
    let seller = &shown.iter().find(|(u, _)| u == "seller").unwrap().1;
    let buyer_text = &shown.iter().find(|(u, _)| u == "buyer").unwrap().1;
    assert!(seller.contains("'닌텐도 스위치' 결제가 완료됐어요"), "{seller}");
    assert!(buyer_text.contains("운송장 번호: 123456789"), "{buyer_text}");
    assert!(w.states().await.iter().all(|(_, s)| s == "delivered"));

    // Nothing more is sent, now or after the task result is read.
    w.sender().pass_at(now + MINUTE).await.unwrap();
    assert_eq!(w.fake.calls(), 1);
    assert!(w.states().await.iter().all(|(_, s)| s == "delivered"));
}

async fn a_lost_answer_is_sent_again_only_if_the_notice_never_showed(backend: Backend) {
    let w = World::start(backend).await;
    w.market.member("seller", "판매자").await;
    let buyer = w.market.member("buyer", "구매자").await;
    let first = w.market.product("seller", "첫 상품").await;
    let second = w.market.product("seller", "둘째 상품").await;
    let now = daytime();

    // The first notice is taken by Kakao, its answer lost, and Kakao shows it.
    w.market.buy(buyer, first).await;
    w.fake.fail_next(Fault::LoseAnswer);
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!(report.unsure, 1, "{report:?}");
    assert_eq!(w.deliver(0).await.len(), 1);
    // After the wait: it showed, so it is not sent again.
    w.sender().pass_at(now + 2 * MINUTE).await.unwrap();
    assert_eq!(w.fake.messages().len(), 1);
    assert_eq!(w.state_of(Kind::OrderPaid).await, ["delivered"]);

    // The second: the answer is lost and the notice never shows (Kakao never ran the block).
    w.market.buy(buyer, second).await;
    w.fake.fail_next(Fault::Hang);
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!(report.unsure, 1, "{report:?}");
    // Before the wait is over nothing is sent again; after it, once.
    w.sender().pass_at(now + MINUTE / 2).await.unwrap();
    assert_eq!(w.fake.messages().len(), 1);
    w.sender().pass_at(now + 2 * MINUTE).await.unwrap();
    assert_eq!(w.fake.messages().len(), 2);
    assert_eq!(w.deliver(1).await.len(), 1);
    assert_eq!(w.state_of(Kind::OrderPaid).await, ["delivered", "delivered"]);
}

async fn kakao_outages_are_retried_and_refusals_recorded(backend: Backend) {
    let w = World::start(backend).await;
    w.market.member("seller", "판매자").await;
    let buyer = w.market.member("buyer", "구매자").await;
    let first = w.market.product("seller", "첫 상품").await;
    let second = w.market.product("seller", "둘째 상품").await;
    let now = daytime();

    w.market.buy(buyer, first).await;
    w.fake.fail_next(Fault::Status(503));
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!(report.retried, 1, "{report:?}");
    assert_eq!(w.state_of(Kind::OrderPaid).await, ["queued"]);
    // Not before its wait (5 s) …
    w.sender().pass_at(now + 1_000).await.unwrap();
    assert_eq!(w.fake.calls(), 1);
    // … then sent.
    let report = w.sender().pass_at(now + 6_000).await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");

    w.market.buy(buyer, second).await;
    w.fake.fail_next(Fault::Status(400));
    let report = w.sender().pass_at(now + 7_000).await.unwrap();
    assert_eq!(report.failed, 1, "{report:?}");
    let (state, reason): (String, Option<String>) = junggye::dispatch!(&w.market.state().db, pool => {
        sqlx::query_as("SELECT state, last_error FROM notifications ORDER BY id DESC LIMIT 1")
            .fetch_one(pool).await.unwrap()
    });
    assert_eq!(state, "failed");
    assert!(reason.unwrap_or_default().contains("HTTP 400"));
    // A refusal is not tried again.
    w.sender().pass_at(now + 10 * MINUTE).await.unwrap();
    assert_eq!(w.fake.calls(), 3);
}

async fn two_senders_send_each_notice_once(backend: Backend) {
    let w = World::start(backend).await;
    let mut members = Vec::new();
    for i in 0..4 {
        members.push(w.market.member(&format!("fan{i}"), &format!("팬{i}")).await);
    }
    let now = daytime();
    for round in 0..60 {
        let to = members[round % members.len()];
        w.alert(to, Kind::FavouriteBack, &format!("상품 {round}"), now - MINUTE)
            .await;
    }
    let (a, b) = (w.sender(), w.sender());
    let (ra, rb) = tokio::join!(a.pass_at(now), b.pass_at(now));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.accepted + rb.accepted, 60, "{ra:?} {rb:?}");
    let batches: Vec<String> = w.fake.messages().iter().map(|m| m.batch.clone()).collect();
    let users: usize = w.fake.messages().iter().map(|m| m.users.len()).sum();
    assert_eq!(users, 60, "every row in exactly one call");
    let distinct: std::collections::HashSet<&String> = batches.iter().collect();
    assert_eq!(distinct.len(), batches.len());
    assert!(w.states().await.iter().all(|(_, s)| s == "accepted"));
}

async fn a_sender_that_stopped_before_sending_is_recovered(backend: Backend) {
    let w = World::start(backend).await;
    let fan = w.market.member("fan", "팬심").await;
    let now = daytime();
    w.alert(fan, Kind::PriceDrop, "상품", now - MINUTE).await;
    // A sender claims the row and dies before calling Kakao.
    let claimed = notice_store::claim(&w.market.state().db, now, now + 120_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // While its claim holds, another sender leaves the row alone; after it, the row goes, once.
    w.sender().pass_at(now + MINUTE).await.unwrap();
    assert_eq!(w.fake.calls(), 0);
    w.sender().pass_at(now + 3 * MINUTE).await.unwrap();
    w.sender().pass_at(now + 4 * MINUTE).await.unwrap();
    assert_eq!(w.fake.messages().len(), 1);
}

async fn a_call_is_made_only_while_the_claim_holds(backend: Backend) {
    // A claim that outlasts one slow call but not two.
    let lease = crate::fake_event_api::TIMEOUT * 7 / 4;
    let w = World::with(backend, |s| s.lease = lease).await;
    let seller = w.market.member("seller", "판매자").await;
    let now = daytime();
    // Two notices to one member: two calls.
    w.alert(seller, Kind::OrderPaid, "첫째", now - MINUTE).await;
    w.alert(seller, Kind::OrderPaid, "둘째", now - MINUTE).await;
    w.fake.fail_next(Fault::Hang);
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!((report.calls, report.unsure), (1, 1), "{report:?}");
    // The second call would have ended after the claim: it was not made, and its row is queued again
    // (not left to another sender's recovery, and not counted against the day).
    assert_eq!(w.fake.calls(), 1);
    let states: Vec<String> = w.states().await.into_iter().map(|(_, s)| s).collect();
    assert_eq!(states, ["unsure", "queued"]);
    let report = w.sender().pass_at(now + 1_000).await.unwrap();
    assert_eq!((report.calls, report.accepted), (1, 1), "{report:?}");
    assert_eq!(w.fake.messages().len(), 1);
}

async fn alerts_obey_opt_out_quiet_hours_and_consent(backend: Backend) {
    let w = World::start(backend).await;
    let (plain, off, owl) = (
        w.market.member("plain", "보통").await,
        w.market.member("off", "끔이").await,
        w.market.member("owl", "올빼미").await,
    );
    // 알림 끄기 and the night consent, through their skills.
    let reply = w
        .market
        .app
        .skill("/skill/notifications/off", &payload("off").build())
        .await;
    assert!(reply.contains("알림을 껐어요"), "{}", reply.text());
    let body = payload("owl").extra("set", "night_on").build();
    let reply = w.market.app.skill("/skill/notifications/settings", &body).await;
    assert!(reply.contains("야간 알림: 받음"), "{}", reply.text());

    let night = hours::next_morning(now_ms()) - 3 * 60 * MINUTE; // 05:00 KST
    for to in [plain, off, owl] {
        w.alert(to, Kind::FavouriteSold, "찜한 상품", night - MINUTE)
            .await;
    }
    w.sender().pass_at(night).await.unwrap();
    let sent: Vec<String> = w.fake.messages().iter().flat_map(|m| m.users.clone()).collect();
    assert_eq!(sent, ["owl"], "only the member who consented hears at night");
    let shown = w.deliver(0).await;
    assert!(
        shown[0].1.contains("찜한 '찜한 상품' 상품이 판매됐어요"),
        "{}",
        shown[0].1
    );
    // At eight the held alert goes; the member who turned alerts off never hears.
    w.sender().pass_at(hours::next_morning(night)).await.unwrap();
    let sent: Vec<String> = w.fake.messages().iter().flat_map(|m| m.users.clone()).collect();
    assert_eq!(sent, ["owl", "plain"]);
    assert_eq!(
        w.state_of(Kind::FavouriteSold).await,
        ["accepted", "dropped", "delivered"]
    );
}

async fn keyword_alerts_past_the_allowance_become_one_digest(backend: Backend) {
    let w = World::start(backend).await; // allowance: 3 a day
    let fan = w.market.member("fan", "팬심").await;
    let now = daytime();
    for i in 0..5 {
        w.alert(fan, Kind::KeywordMatch, &format!("아이폰 {i}"), now - MINUTE)
            .await;
    }
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!((report.accepted, report.folded), (3, 2), "{report:?}");
    // The digest waits for the next morning, counting both.
    let (amount, not_before): (i64, i64) = junggye::dispatch!(&w.market.state().db, pool => {
        sqlx::query_as("SELECT amount, not_before FROM notifications WHERE kind = $1")
            .bind(Kind::KeywordDigest).fetch_one(pool).await.unwrap()
    });
    assert_eq!((amount, not_before), (2, hours::next_morning(now)));
    w.sender().pass_at(hours::next_morning(now)).await.unwrap();
    let shown = w.deliver(0).await;
    assert_eq!(shown.len(), 4);
    assert!(shown[3].1.contains("새 상품이 2개 더"), "{}", shown[3].1);
}

async fn past_the_daily_cap_alerts_wait_and_trade_notices_go(backend: Backend) {
    let w = World::with(backend, |s| s.daily_cap = 2).await;
    w.market.member("seller", "판매자").await;
    let buyer = w.market.member("buyer", "구매자").await;
    let product = w.market.product("seller", "상품").await;
    let fans = [
        w.market.member("a", "에이").await,
        w.market.member("b", "비이").await,
        w.market.member("c", "씨이").await,
    ];
    let now = daytime();
    for fan in fans {
        w.alert(fan, Kind::PriceDrop, "상품", now - MINUTE).await;
    }
    let report = w.sender().pass_at(now).await.unwrap();
    assert_eq!((report.accepted, report.held), (2, 1), "{report:?}");
    // The cap is reached; a trade notice still goes.
    w.market.buy(buyer, product).await;
    let report = w.sender().pass_at(now + 1_000).await.unwrap();
    assert_eq!(report.accepted, 1, "{report:?}");
    assert_eq!(w.state_of(Kind::OrderPaid).await, ["accepted"]);
    assert_eq!(
        w.state_of(Kind::PriceDrop).await,
        ["accepted", "accepted", "queued"]
    );
}

async fn users_kakao_could_not_reach_are_recorded_as_failed(backend: Backend) {
    let w = World::start(backend).await;
    let (a, b) = (
        w.market.member("a", "에이").await,
        w.market.member("b", "비이").await,
    );
    let now = daytime();
    w.alert(a, Kind::FavouriteBack, "상품", now - MINUTE).await;
    w.alert(b, Kind::FavouriteBack, "상품", now - MINUTE).await;
    w.fake.block("b");
    w.sender().pass_at(now).await.unwrap();
    // The task result is read half a minute later.
    w.sender().pass_at(now + MINUTE).await.unwrap();
    assert_eq!(w.state_of(Kind::FavouriteBack).await, ["delivered", "failed"]);
}
