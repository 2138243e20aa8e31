//! 신고 (reports), on both databases: filing through the skill, once per member and target; the hold when
//! REPORTS_TO_HOLD members reported a product; the admin queue and its decisions (dismiss lists the product
//! again, hide keeps it from its seller too, suspend stops the member but not their trades); reports at
//! once all counting; two admins deciding at once; and conversation mode.

use axum::http::{Method, StatusCode};
use junggye::admin::accounts::Role;
use junggye::domain::ids::{MemberId, ProductId};
use junggye::products::{Category, ProductStatus};
use junggye::reports::store::{self as reports, Decided, Filed, Target};
use junggye::reports::{Decision, Reason};
use serde_json::{Value, json};

use crate::admin_auth::{Answer, account, admin_app, call, sign_in};
use crate::helpers::{Backend, Reply, TestApp, join, payload, tap};
use crate::on_both_backends;
use crate::pay_world::member_id;
use crate::products::{card_titles, seed_product};

async fn app(backend: Backend) -> (TestApp, String, String) {
    let app = admin_app(backend).await.with_all_block_ids();
    account(&app, "boss", Role::Admin).await;
    account(&app, "guest", Role::Viewer).await;
    let admin = sign_in(&app.router, "boss").await.0;
    let viewer = sign_in(&app.router, "guest").await.0;
    (app, admin, viewer)
}

async fn product(app: &TestApp, seller: &str, name: &str) -> ProductId {
    ProductId::new(seed_product(&app.state.db, seller, name, Category::Etc, ProductStatus::OnSale).await)
}

async fn report(app: &TestApp, user: &str, product: ProductId, reason: Option<&str>) -> Reply {
    let mut body = payload(user).extra("productId", &product.get().to_string());
    if let Some(reason) = reason {
        body = body.extra("reason", reason);
    }
    app.skill("/skill/reports", &body.build()).await
}

async fn send(app: &TestApp, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
    call(method, path, body).bearer(token).send(&app.router).await
}

fn ok(answer: &Answer) -> &Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    &answer.body
}

async fn status_and_hold(app: &TestApp, product: ProductId) -> (String, Option<String>) {
    junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT status, held_by FROM products WHERE id = $1")
            .bind(product)
            .fetch_one(pool)
            .await
            .unwrap()
    })
}

async fn listed(app: &TestApp) -> Vec<String> {
    card_titles(&app.skill("/skill/products", &payload("u-reader").build()).await)
}

async fn detail(app: &TestApp, user: &str, product: ProductId) -> Reply {
    let body = payload(user)
        .extra("productId", &product.get().to_string())
        .build();
    app.skill("/skill/products/detail", &body).await
}

async fn enough_reports_hold_a_product_until_an_admin_dismisses_them(backend: Backend) {
    let (app, admin, viewer) = app(backend).await;
    join(&app, "u-seller", "판매자").await;
    for (user, name) in [("u-a", "가나다"), ("u-b", "라마바"), ("u-c", "사아자")] {
        join(&app, user, name).await;
    }
    let chair = product(&app, "u-seller", "의자").await;
    let reasons = report(&app, "u-a", chair, None).await;
    assert!(
        reasons.text().contains("'의자'을(를) 신고할까요?"),
        "{}",
        reasons.text()
    );
    for reason in Reason::ALL {
        assert!(reasons.quick_reply_labels().contains(&reason.label().to_owned()));
    }
    let filed = report(&app, "u-a", chair, Some("fraud")).await;
    assert!(
        filed.text().contains("신고(사기 의심)를 받았어요"),
        "{}",
        filed.text()
    );
    assert!(filed.quick_reply_labels().contains(&"차단하기".to_owned()));
    let again = report(&app, "u-a", chair, Some("spam")).await;
    assert!(again.text().contains("이미 신고했어요"), "{}", again.text());
    let own = report(&app, "u-seller", chair, Some("spam")).await;
    assert!(own.text().contains("신고할 수 없는 상품"), "{}", own.text());
    let bad = report(&app, "u-a", chair, Some("nonsense")).await;
    assert!(
        bad.text().contains("신고 이유를 골라"),
        "an unknown reason asks again: {}",
        bad.text()
    );
    assert!(
        report(&app, "u-stranger", chair, Some("fraud"))
            .await
            .text()
            .contains("회원가입")
    );

    report(&app, "u-b", chair, Some("misleading")).await;
    assert_eq!(listed(&app).await, vec!["의자"], "two reports do not hold it");
    report(&app, "u-c", chair, Some("fraud")).await;
    assert_eq!(
        status_and_hold(&app, chair).await,
        ("hidden".into(), Some("reports".into()))
    );
    assert!(listed(&app).await.is_empty(), "the third report holds it");
    assert!(detail(&app, "u-a", chair).await.text().contains("찾을 수 없는"));
    let seller_view = detail(&app, "u-seller", chair).await;
    assert!(
        seller_view.text().contains("운영자가 확인하는 동안"),
        "{}",
        seller_view.text()
    );
    assert!(
        !seller_view
            .quick_reply_labels()
            .iter()
            .any(|l| l == "보이기" || l == "숨기기" || l == "삭제")
    );
    let show = payload("u-seller")
        .extra("productId", &chair.get().to_string())
        .extra("action", "show")
        .extra("from", "hidden")
        .build();
    app.skill("/skill/products/status", &show).await;
    assert_eq!(
        status_and_hold(&app, chair).await.0,
        "hidden",
        "the seller cannot show it"
    );

    let queue = send(&app, &viewer, Method::GET, "/admin/reports", None).await;
    let items = ok(&queue)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["open_on_target"], 3);
    assert_eq!(items[0]["product_held_by"], "reports");
    assert_eq!(items[0]["reason_label"], "사기 의심");
    assert_eq!(items[0]["reporter_name"], "가나다");
    let first = items[0]["id"].as_i64().unwrap();
    let path = format!("/admin/reports/{first}/decision");
    send(
        &app,
        &viewer,
        Method::POST,
        &path,
        Some(json!({"decision": "dismiss"})),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    send(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"decision": "maybe"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let decided = send(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"decision": "dismiss"})),
    )
    .await;
    assert_eq!(ok(&decided)["status"], "dismissed");
    assert_eq!(decided.body["resolved_by"], "boss");
    assert_eq!(
        decided.body["open_on_target"], 0,
        "the other two were answered too"
    );
    assert_eq!(status_and_hold(&app, chair).await, ("on_sale".into(), None));
    assert_eq!(listed(&app).await, vec!["의자"]);
    send(
        &app,
        &admin,
        Method::POST,
        &path,
        Some(json!({"decision": "dismiss"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let open = send(&app, &admin, Method::GET, "/admin/reports", None).await;
    assert_eq!(ok(&open)["total"], 0);
    let all = send(
        &app,
        &admin,
        Method::GET,
        "/admin/reports?status=all&target=product",
        None,
    )
    .await;
    assert_eq!(ok(&all)["total"], 3);
    send(&app, &admin, Method::GET, "/admin/reports?status=later", None)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let log = junggye::admin::audit::recent(&app.state.db, None, 10)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.action == "report.dismiss"));
}

async fn an_admin_hides_a_reported_product_and_releases_it(backend: Backend) {
    let (app, admin, _) = app(backend).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-a", "가나다").await;
    let chair = product(&app, "u-seller", "의자").await;
    report(&app, "u-a", chair, Some("prohibited")).await;
    let member_report = app
        .skill(
            "/skill/reports",
            &payload("u-a")
                .extra("memberId", &member_id(&app, "u-seller").await.get().to_string())
                .extra("reason", "abusive")
                .build(),
        )
        .await;
    assert!(
        member_report.text().contains("판매자님에 대한 신고"),
        "{}",
        member_report.text()
    );
    let queue = send(&app, &admin, Method::GET, "/admin/reports", None).await;
    let items = ok(&queue)["items"].as_array().unwrap().clone();
    let (product_report, member_report) =
        (items[0]["id"].as_i64().unwrap(), items[1]["id"].as_i64().unwrap());
    assert_eq!(items[1]["target"], "member");
    send(
        &app,
        &admin,
        Method::POST,
        &format!("/admin/reports/{member_report}/decision"),
        Some(json!({"decision": "hide_product"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");

    let hidden = send(
        &app,
        &admin,
        Method::POST,
        &format!("/admin/reports/{product_report}/decision"),
        Some(json!({"decision": "hide_product"})),
    )
    .await;
    assert_eq!(ok(&hidden)["status"], "actioned");
    assert_eq!(
        status_and_hold(&app, chair).await,
        ("hidden".into(), Some("admin".into()))
    );
    let product = send(
        &app,
        &admin,
        Method::GET,
        &format!("/admin/products/{}", chair.get()),
        None,
    )
    .await;
    assert_eq!(ok(&product)["held_by"], "admin");
    assert_eq!(product.body["actions"], json!([]));
    send(
        &app,
        &admin,
        Method::POST,
        &format!("/admin/products/{}/status", chair.get()),
        Some(json!({"action": "show"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    assert!(
        detail(&app, "u-seller", chair)
            .await
            .text()
            .contains("운영자가 숨긴 상품")
    );

    let release = format!("/admin/products/{}/release", chair.get());
    let released = send(&app, &admin, Method::POST, &release, None).await;
    assert_eq!(ok(&released)["status"], "on_sale");
    assert_eq!(released.body["held_by"], Value::Null);
    send(&app, &admin, Method::POST, &release, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    assert_eq!(listed(&app).await, vec!["의자"]);
}

async fn a_suspended_member_is_refused_but_finishes_trades(backend: Backend) {
    let (app, admin, _) = app(backend).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-a", "가나다").await;
    let chair = product(&app, "u-seller", "의자").await;
    let lamp = product(&app, "u-seller", "스탠드").await;
    let seller = member_id(&app, "u-seller").await;
    // A reserved one too: it comes back reserved.
    junggye::products::store::change_status(
        &app.state.db,
        &app.state.catalog,
        &app.state.outbox,
        lamp,
        seller,
        ProductStatus::OnSale,
        ProductStatus::Reserved,
    )
    .await
    .unwrap();
    report(&app, "u-a", chair, Some("fraud")).await;
    let queue = send(&app, &admin, Method::GET, "/admin/reports", None).await;
    let id = ok(&queue)["items"][0]["id"].as_i64().unwrap();
    let suspended = send(
        &app,
        &admin,
        Method::POST,
        &format!("/admin/reports/{id}/decision"),
        Some(json!({"decision": "suspend_member"})),
    )
    .await;
    assert_eq!(ok(&suspended)["member_suspended"], true);
    assert_eq!(
        status_and_hold(&app, chair).await,
        ("hidden".into(), Some("suspension".into()))
    );
    assert_eq!(
        status_and_hold(&app, lamp).await,
        ("hidden".into(), Some("suspension".into()))
    );
    assert!(listed(&app).await.is_empty());

    for path in ["/skill/products/mine", "/skill/offers", "/skill/members/blocks"] {
        let refused = app.skill(path, &payload("u-seller").build()).await;
        assert!(
            refused.text().contains("계정 이용이 제한됐어요"),
            "{path}: {}",
            refused.text()
        );
    }
    let sales = app
        .skill("/skill/orders/sales", &payload("u-seller").build())
        .await;
    assert!(
        !sales.text().contains("제한"),
        "order skills still answer: {}",
        sales.text()
    );
    let member = send(
        &app,
        &admin,
        Method::GET,
        &format!("/admin/members/{}", seller.get()),
        None,
    )
    .await;
    assert!(ok(&member)["suspended_at"].is_i64());
    send(
        &app,
        &admin,
        Method::POST,
        &format!("/admin/products/{}/release", chair.get()),
        None,
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");

    let lift = format!("/admin/members/{}/unsuspend", seller.get());
    let lifted = send(&app, &admin, Method::POST, &lift, None).await;
    assert_eq!(ok(&lifted)["suspended_at"], Value::Null);
    assert_eq!(status_and_hold(&app, chair).await, ("on_sale".into(), None));
    assert_eq!(status_and_hold(&app, lamp).await, ("reserved".into(), None));
    send(&app, &admin, Method::POST, &lift, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let mine = app
        .skill("/skill/products/mine", &payload("u-seller").build())
        .await;
    assert_eq!(card_titles(&mine).len(), 2);
}

/// Three members report one product at once, five times over: every time the product ends held, and
/// exactly one of the three reports says it was the one that held it.
async fn reports_at_once_all_count(backend: Backend) {
    let (app, ..) = app(backend).await;
    join(&app, "u-seller", "판매자").await;
    let mut reporters = Vec::new();
    for (user, name) in [("u-a", "가나다"), ("u-b", "라마바"), ("u-c", "사아자")] {
        join(&app, user, name).await;
        reporters.push(member_id(&app, user).await);
    }
    let (db, catalog) = (&app.state.db, &app.state.catalog);
    for round in 0..5 {
        let chair = product(&app, "u-seller", &format!("의자 {round}")).await;
        let file = |who: MemberId| reports::file(db, catalog, who, Target::Product(chair), Reason::Fraud, 3);
        let (x, y, z) = tokio::join!(file(reporters[0]), file(reporters[1]), file(reporters[2]));
        let outcomes = [x.unwrap(), y.unwrap(), z.unwrap()];
        let held = outcomes
            .iter()
            .filter(|o| **o == Filed::Filed { held: true })
            .count();
        assert_eq!(held, 1, "round {round}: {outcomes:?}");
        assert_eq!(
            status_and_hold(&app, chair).await.1.as_deref(),
            Some("reports"),
            "round {round}"
        );
    }
}

/// Two admins decide the same report at once: one decides, the other is told it was decided.
async fn two_decisions_at_once_decide_once(backend: Backend) {
    let (app, ..) = app(backend).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-a", "가나다").await;
    let reporter = member_id(&app, "u-a").await;
    let (db, catalog) = (&app.state.db, &app.state.catalog);
    for round in 0..5 {
        let chair = product(&app, "u-seller", &format!("의자 {round}")).await;
        reports::file(db, catalog, reporter, Target::Product(chair), Reason::Spam, 3)
            .await
            .unwrap();
        let id: i64 = junggye::dispatch!(db, pool => {
            sqlx::query_scalar("SELECT id FROM reports WHERE product_id = $1")
                .bind(chair)
                .fetch_one(pool)
                .await
                .unwrap()
        });
        let (x, y) = tokio::join!(
            reports::decide(db, catalog, id, Decision::HideProduct, "boss"),
            reports::decide(db, catalog, id, Decision::Dismiss, "other")
        );
        let outcomes = [x.unwrap(), y.unwrap()];
        let done = outcomes
            .iter()
            .filter(|o| matches!(o, Decided::Done { .. }))
            .count();
        assert_eq!(done, 1, "round {round}: {outcomes:?}");
        assert!(
            outcomes.contains(&Decided::NotOpen),
            "round {round}: {outcomes:?}"
        );
        let (status, held) = status_and_hold(&app, chair).await;
        match outcomes[0] {
            Decided::Done { .. } => assert_eq!((status.as_str(), held.as_deref()), ("hidden", Some("admin"))),
            _ => assert_eq!((status.as_str(), held), ("on_sale", None)),
        }
    }
}

async fn reports_work_in_conversation_mode(backend: Backend) {
    let app = TestApp::with(backend, |_| {}, junggye::router::skill_routes()).await;
    join(&app, "u-seller", "판매자").await;
    join(&app, "u-a", "가나다").await;
    let chair = product(&app, "u-seller", "캠핑 의자").await;
    let say = |text: &str| payload("u-a").says(text).build();
    let seen = app
        .skill(
            "/skill/chat",
            &say(&format!("상품상세 productId={}", chair.get())),
        )
        .await;
    let reasons = app.skill("/skill/chat", &say(&tap(&seen, "신고하기"))).await;
    assert!(reasons.text().contains("신고할까요"), "{}", reasons.text());
    let filed = app.skill("/skill/chat", &say(&tap(&reasons, "광고·도배"))).await;
    assert!(
        filed.text().contains("신고(광고·도배)를 받았어요"),
        "{}",
        filed.text()
    );
}

on_both_backends!(
    enough_reports_hold_a_product_until_an_admin_dismisses_them,
    an_admin_hides_a_reported_product_and_releases_it,
    a_suspended_member_is_refused_but_finishes_trades,
    reports_at_once_all_count,
    two_decisions_at_once_decide_once,
    reports_work_in_conversation_mode,
);
