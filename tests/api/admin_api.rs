//! The admin endpoints for members, products, orders, notices and deals: happy paths, validation,
//! roles (viewers read, only admins change), the audit log, and the OpenAPI document covering them.

use axum::Router;
use axum::http::{Method, StatusCode};
use junggye::admin::accounts::Role;
use junggye::admin::audit::{self, AuditRecord};
use junggye::products::{Category, ProductStatus};
use serde_json::{Value, json};

use crate::admin_auth::{Answer, SECRET, account, admin_app, call, get, sign_in};
use crate::helpers::{Backend, TestApp, join};
use crate::on_both_backends;
use crate::pay_world::{Market, member_id};
use crate::products::seed_product;

/// Tokens of an admin (`boss`) and a viewer (`guest`).
struct Staff {
    admin: String,
    viewer: String,
}

async fn staff(app: &TestApp) -> Staff {
    account(app, "boss", Role::Admin).await;
    account(app, "guest", Role::Viewer).await;
    Staff {
        admin: sign_in(&app.router, "boss").await.0,
        viewer: sign_in(&app.router, "guest").await.0,
    }
}

async fn send(router: &Router, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
    call(method, path, body).bearer(token).send(router).await
}

fn ok(answer: &Answer) -> &Value {
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    &answer.body
}

/// The audit rows of `action`, newest first.
async fn audited(app: &TestApp, action: &str) -> Vec<AuditRecord> {
    let log = audit::recent(&app.state.db, None, 100).await.unwrap();
    log.into_iter().filter(|e| e.action == action).collect()
}

/// A viewer gets 403 on every route in `changes`.
async fn viewer_refused(router: &Router, staff: &Staff, changes: &[(Method, &str, Option<Value>)]) {
    for (method, path, body) in changes {
        send(router, &staff.viewer, method.clone(), path, body.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
}

async fn members_are_listed_filtered_graded_and_deactivated(backend: Backend) {
    let app = admin_app(backend).await;
    let staff = staff(&app).await;
    join(&app, "u-kim", "김철수").await;
    join(&app, "u-lee", "이영희").await;
    let kim = member_id(&app, "u-kim").await;
    let r = &app.router;

    let all = send(r, &staff.viewer, Method::GET, "/admin/members", None).await;
    assert_eq!(ok(&all)["total"], 2);
    let phone = all.body["items"][0]["phone"].as_str().unwrap();
    assert!(phone.contains('*'), "viewers see masked numbers: {phone}");
    assert!(all.body["items"][0].get("user_key").is_none());
    let named = send(
        r,
        &staff.admin,
        Method::GET,
        "/admin/members?name=철수&per_page=1",
        None,
    )
    .await;
    assert_eq!(ok(&named)["total"], 1);
    assert_eq!(named.body["items"][0]["id"], kim.get());
    assert!(!named.body["items"][0]["phone"].as_str().unwrap().contains('*'));
    send(
        r,
        &staff.admin,
        Method::GET,
        "/admin/members?grade=gold&page=0",
        None,
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let one = send(
        r,
        &staff.viewer,
        Method::GET,
        &format!("/admin/members/{kim}"),
        None,
    )
    .await;
    assert_eq!(ok(&one)["name"], "김철수");
    send(r, &staff.viewer, Method::GET, "/admin/members/999999", None)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not-found");

    let grade_path = format!("/admin/members/{kim}/grade");
    let deactivate_path = format!("/admin/members/{kim}/deactivate");
    viewer_refused(
        r,
        &staff,
        &[
            (Method::PATCH, &grade_path, Some(json!({"grade": "silver"}))),
            (Method::POST, &deactivate_path, None),
        ],
    )
    .await;
    send(
        r,
        &staff.admin,
        Method::PATCH,
        &grade_path,
        Some(json!({"grade": "gold"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let graded = send(
        r,
        &staff.admin,
        Method::PATCH,
        &grade_path,
        Some(json!({"grade": "silver"})),
    )
    .await;
    assert_eq!(ok(&graded)["grade"], "silver");
    let silver = send(r, &staff.viewer, Method::GET, "/admin/members?grade=silver", None).await;
    assert_eq!(ok(&silver)["total"], 1);
    let entry = &audited(&app, "member.grade").await[0];
    assert!(entry.before_json.as_deref().unwrap().contains("bronze"));
    assert!(entry.after_json.as_deref().unwrap().contains("silver"));
    assert!(
        entry.after_json.as_deref().unwrap().contains('*'),
        "the log keeps numbers masked"
    );

    let gone = send(r, &staff.admin, Method::POST, &deactivate_path, None).await;
    assert_eq!(ok(&gone)["status"], "withdrawn");
    assert_eq!(gone.body["phone"], Value::Null);
    assert_eq!(audited(&app, "member.deactivate").await.len(), 1);
    send(r, &staff.admin, Method::POST, &deactivate_path, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let withdrawn = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/members?status=withdrawn",
        None,
    )
    .await;
    assert_eq!(ok(&withdrawn)["total"], 1);
}

async fn products_follow_the_state_machine(backend: Backend) {
    let app = admin_app(backend).await;
    let staff = staff(&app).await;
    join(&app, "u-kim", "김철수").await;
    let db = &app.state.db;
    let phone = seed_product(db, "u-kim", "아이폰 15", Category::Digital, ProductStatus::OnSale).await;
    let paying = seed_product(
        db,
        "u-kim",
        "갤럭시",
        Category::Digital,
        ProductStatus::PendingPayment,
    )
    .await;
    let r = &app.router;

    let listed = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/products?q=아이폰&category=digital",
        None,
    )
    .await;
    assert_eq!(ok(&listed)["total"], 1);
    assert_eq!(listed.body["items"][0]["id"], phone);
    let paying_list = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/products?status=pending_payment",
        None,
    )
    .await;
    assert_eq!(ok(&paying_list)["total"], 1);
    send(r, &staff.viewer, Method::GET, "/admin/products?status=lost", None)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let one = send(
        r,
        &staff.viewer,
        Method::GET,
        &format!("/admin/products/{phone}"),
        None,
    )
    .await;
    assert_eq!(ok(&one)["status"], "on_sale");

    let status_path = format!("/admin/products/{phone}/status");
    let item_path = format!("/admin/products/{phone}");
    viewer_refused(
        r,
        &staff,
        &[
            (Method::POST, &status_path, Some(json!({"action": "hide"}))),
            (Method::DELETE, &item_path, None),
        ],
    )
    .await;
    send(
        r,
        &staff.admin,
        Method::POST,
        &status_path,
        Some(json!({"action": "fly"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let hidden = send(
        r,
        &staff.admin,
        Method::POST,
        &status_path,
        Some(json!({"action": "hide"})),
    )
    .await;
    assert_eq!(ok(&hidden)["status"], "hidden");
    send(
        r,
        &staff.admin,
        Method::POST,
        &status_path,
        Some(json!({"action": "reserve"})),
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    for action in ["hide", "delete"] {
        send(
            r,
            &staff.admin,
            Method::POST,
            &format!("/admin/products/{paying}/status"),
            Some(json!({ "action": action })),
        )
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    }
    let deleted = send(r, &staff.admin, Method::DELETE, &item_path, None).await;
    assert_eq!(ok(&deleted)["status"], "deleted");
    let entry = &audited(&app, "product.status").await[0];
    assert!(entry.before_json.as_deref().unwrap().contains("on_sale"));
    assert_eq!(audited(&app, "product.delete").await.len(), 1);
}

async fn notices_are_validated_published_and_deleted(backend: Backend) {
    let app = admin_app(backend).await;
    let staff = staff(&app).await;
    let r = &app.router;
    let notice = json!({"kind": "text", "title": "배송 안내", "body": "연휴에는 늦어요."});

    let bad = send(
        r,
        &staff.admin,
        Method::POST,
        "/admin/notices",
        Some(
            json!({"kind": "text", "title": "", "body": "x", "image_url": "https://a.example/i.png",
                    "link_label": "보기"}),
        ),
    )
    .await;
    bad.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let fields: Vec<_> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].clone())
        .collect();
    assert_eq!(fields, ["title", "image_url", "link"]);
    send(
        r,
        &staff.admin,
        Method::POST,
        "/admin/notices",
        Some(json!({"kind": "video", "title": "t", "body": "b"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");

    let created = send(
        r,
        &staff.admin,
        Method::POST,
        "/admin/notices",
        Some(notice.clone()),
    )
    .await;
    let id = ok(&created)["id"].as_i64().unwrap();
    assert_eq!(created.body["status"], "hidden");
    let path = format!("/admin/notices/{id}");
    let status_path = format!("{path}/status");
    viewer_refused(
        r,
        &staff,
        &[
            (Method::POST, "/admin/notices", Some(notice.clone())),
            (Method::PUT, &path, Some(notice.clone())),
            (Method::POST, &status_path, Some(json!({"status": "published"}))),
            (Method::DELETE, &path, None),
        ],
    )
    .await;
    let edited = json!({"kind": "text", "title": "배송 안내 (수정)", "body": "연휴에는 늦어요.",
                        "link_label": "자세히", "link_url": "https://example.com/n"});
    let updated = send(r, &staff.admin, Method::PUT, &path, Some(edited)).await;
    assert_eq!(ok(&updated)["link_label"], "자세히");
    send(
        r,
        &staff.admin,
        Method::POST,
        &status_path,
        Some(json!({"status": "deleted"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let published = send(
        r,
        &staff.admin,
        Method::POST,
        &status_path,
        Some(json!({"status": "published"})),
    )
    .await;
    assert_eq!(ok(&published)["status"], "published");
    assert!(
        junggye::notices::store::get_published(&app.state.db, id)
            .await
            .unwrap()
            .is_some()
    );
    let listed = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/notices?status=published",
        None,
    )
    .await;
    assert_eq!(ok(&listed)["total"], 1);
    assert_eq!(
        ok(&send(r, &staff.viewer, Method::GET, &path, None).await)["id"],
        id
    );

    let deleted = send(r, &staff.admin, Method::DELETE, &path, None).await;
    assert_eq!(ok(&deleted)["status"], "deleted");
    send(r, &staff.admin, Method::DELETE, &path, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let remaining = send(r, &staff.viewer, Method::GET, "/admin/notices", None).await;
    assert_eq!(ok(&remaining)["total"], 0);
    for action in ["notice.create", "notice.update", "notice.status", "notice.delete"] {
        assert_eq!(audited(&app, action).await.len(), 1, "{action}");
    }
}

async fn an_admin_cancels_a_paid_order_with_a_refund(backend: Backend) {
    let market =
        Market::start_configured(backend, |_| {}, |c| c.jwt_secret = Some(SECRET.to_owned().into())).await;
    let app = &market.app;
    let staff = staff(app).await;
    let seller = market.member("u-seller", "판매자").await;
    let buyer = market.member("u-buyer", "구매자").await;
    let product = market.product("u-seller", "카메라").await;
    let order = market.buy(buyer, product).await;
    let r = &app.router;

    let paid = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/orders?status=paid&created_from=0",
        None,
    )
    .await;
    assert_eq!(ok(&paid)["total"], 1);
    assert!(paid.body["items"][0].get("tid").is_none());
    let later = send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/orders?created_from=2999-01-01T00:00:00Z",
        None,
    )
    .await;
    assert_eq!(ok(&later)["total"], 0);
    send(
        r,
        &staff.viewer,
        Method::GET,
        "/admin/orders?created_to=soon",
        None,
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let detail = send(
        r,
        &staff.viewer,
        Method::GET,
        &format!("/admin/orders/{}", order.id),
        None,
    )
    .await;
    assert_eq!(ok(&detail)["order"]["seller_id"], seller.get());
    let paid_order = market.order(order.id).await;
    assert_events_without_payment_ids(&detail.body, &paid_order, &["ready", "approve"]);

    send(
        r,
        &staff.admin,
        Method::POST,
        &format!("/admin/members/{buyer}/deactivate"),
        None,
    )
    .await
    .assert_problem(StatusCode::CONFLICT, "conflict");
    let cancel_path = format!("/admin/orders/{}/cancel", order.id);
    viewer_refused(r, &staff, &[(Method::POST, &cancel_path, None)]).await;
    let cancelled = send(r, &staff.admin, Method::POST, &cancel_path, None).await;
    assert_eq!(ok(&cancelled)["status"], "refunded", "{}", cancelled.body);
    assert_eq!(cancelled.body["refund"], "confirmed");
    assert_eq!(cancelled.body["close_reason"], "admin_cancelled");
    assert_eq!(market.product_status(product).await, ProductStatus::OnSale);
    send(r, &staff.admin, Method::POST, &cancel_path, None)
        .await
        .assert_problem(StatusCode::CONFLICT, "conflict");
    let refunded = send(
        r,
        &staff.viewer,
        Method::GET,
        &format!("/admin/orders/{}", order.id),
        None,
    )
    .await;
    assert_events_without_payment_ids(ok(&refunded), &paid_order, &["ready", "approve", "cancel"]);
    let entry = &audited(app, "order.cancel").await[0];
    assert!(entry.before_json.as_deref().unwrap().contains("\"paid\""));
    assert!(
        !entry
            .after_json
            .as_deref()
            .unwrap()
            .contains(&order.tid.clone().unwrap())
    );
}

/// An order's Kakao Pay calls as admins see them: each call's name, outcome, amount and time, and no
/// Kakao Pay id (tid, aid) anywhere in the answer.
fn assert_events_without_payment_ids(detail: &Value, order: &junggye::orders::Order, calls: &[&str]) {
    let text = detail.to_string();
    for id in [order.tid.as_deref(), order.aid.as_deref()] {
        let id = id.expect("a paid order has both ids");
        assert!(!text.contains(id), "{id} shown: {text}");
    }
    let events = detail["events"].as_array().unwrap();
    let names: Vec<_> = events.iter().map(|e| e["call"].as_str().unwrap()).collect();
    assert_eq!(names, calls, "{text}");
    for event in events {
        let mut keys: Vec<_> = event.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["amount", "call", "created_at", "elapsed_ms", "id", "outcome"],
            "{event}"
        );
        assert_eq!(event["outcome"], "ok", "{event}");
        assert_eq!(event["amount"], order.amount, "{event}");
        assert!(event["created_at"].as_i64().unwrap() > 0);
    }
}

async fn cancelling_without_kakao_pay_is_unavailable(backend: Backend) {
    let app = admin_app(backend).await;
    let staff = staff(&app).await;
    send(
        &app.router,
        &staff.admin,
        Method::POST,
        "/admin/orders/1/cancel",
        None,
    )
    .await
    .assert_problem(StatusCode::SERVICE_UNAVAILABLE, "unavailable");
}

async fn deal_sources_report_health_and_refresh(backend: Backend) {
    let app = admin_app(backend).await;
    let staff = staff(&app).await;
    let r = &app.router;
    let sources = send(r, &staff.viewer, Method::GET, "/admin/deals/sources", None).await;
    assert!(ok(&sources).is_array());
    viewer_refused(
        r,
        &staff,
        &[(Method::POST, "/admin/deals/refresh", Some(json!({})))],
    )
    .await;
    send(
        r,
        &staff.admin,
        Method::POST,
        "/admin/deals/refresh",
        Some(json!({"source": "nowhere"})),
    )
    .await
    .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation");
    let refreshed = send(
        r,
        &staff.admin,
        Method::POST,
        "/admin/deals/refresh",
        Some(json!({})),
    )
    .await;
    assert!(ok(&refreshed).is_array());
    assert_eq!(audited(&app, "deals.refresh").await.len(), 1);
}

/// A problem names what was wrong without repeating a huge offending value: 200 KB in (60 KB in a
/// path, the most a URI holds), well under 2 KB out.
#[tokio::test]
async fn problems_do_not_repeat_a_huge_value() {
    let app = admin_app(Backend::Sqlite).await;
    let staff = staff(&app).await;
    let r = &app.router;
    let huge = "A".repeat(200_000);
    let cases = [
        (
            Method::POST,
            "/admin/auth/revoke-all".to_owned(),
            Some(json!({ "account_id": huge })),
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::GET,
            format!("/admin/orders/{}", &huge[..60_000]),
            None,
            StatusCode::BAD_REQUEST,
        ),
        (
            Method::POST,
            "/admin/deals/refresh".to_owned(),
            Some(json!({ "source": huge })),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (method, path, body, status) in cases {
        let answer = send(r, &staff.admin, method.clone(), &path, body).await;
        let path: String = path.chars().take(40).collect();
        assert_eq!(answer.status, status, "{method} {path}");
        assert_eq!(
            answer.header(axum::http::header::CONTENT_TYPE),
            "application/problem+json"
        );
        let size = answer.body.to_string().len();
        assert!(size < 2_048, "{method} {path}: a {size}-byte answer");
        assert!(
            answer.body.to_string().contains("AAAA"),
            "the start of the value is kept"
        );
    }
}

on_both_backends!(
    members_are_listed_filtered_graded_and_deactivated,
    products_follow_the_state_machine,
    notices_are_validated_published_and_deleted,
    an_admin_cancels_a_paid_order_with_a_refund,
    cancelling_without_kakao_pay_is_unavailable,
    deal_sources_report_health_and_refresh,
);

/// Every method the router serves on a documented `/admin` path is documented, and every documented
/// operation is served (a handler's answer, not the router's 404 or 405 problem).
#[tokio::test]
async fn every_admin_route_is_in_the_openapi_document() {
    let app = admin_app(Backend::Sqlite).await;
    let staff = staff(&app).await;
    let document = get("/admin/openapi.json").send(&app.router).await;
    let paths = ok(&document)["paths"].as_object().unwrap().clone();
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ];
    let mut documented = 0;
    for (path, item) in &paths {
        assert!(path.starts_with("/admin/"), "{path}");
        let concrete = path.replace("{id}", "999999");
        for method in &methods {
            let answer = send(
                &app.router,
                &staff.admin,
                method.clone(),
                &concrete,
                Some(json!({})),
            )
            .await;
            let is_documented = item.get(method.as_str().to_lowercase()).is_some();
            let served = answer.status != StatusCode::METHOD_NOT_ALLOWED
                && answer.body["type"] != "urn:junggye:problem:no-route";
            assert_eq!(served, is_documented, "{method} {path}: {}", answer.status);
            documented += usize::from(is_documented);
        }
    }
    assert!(documented >= 24, "{documented} operations");
    for expected in [
        "/admin/members",
        "/admin/members/{id}/grade",
        "/admin/products/{id}/status",
        "/admin/orders/{id}/cancel",
        "/admin/notices/{id}/status",
        "/admin/deals/refresh",
    ] {
        assert!(paths.contains_key(expected), "{expected}");
    }
    let served: Value = document.body.clone();
    assert_eq!(
        served,
        serde_json::to_value(junggye::router::admin_openapi()).unwrap()
    );
}

/// Generated clients need one `operationId` per operation and every `$ref` naming a schema that exists;
/// `POST /admin/deals/refresh` takes its own body (`source`), not the token refresh's.
#[test]
fn the_openapi_document_names_each_operation_once_and_every_ref_resolves() {
    let document = serde_json::to_value(junggye::router::admin_openapi()).unwrap();
    let mut seen = std::collections::HashMap::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation.get("operationId") else {
                continue;
            };
            let id = id.as_str().unwrap().to_owned();
            let here = format!("{method} {path}");
            if let Some(first) = seen.insert(id.clone(), here.clone()) {
                panic!("operationId `{id}` names both {first} and {here}");
            }
        }
    }
    assert!(seen.len() >= 24, "{} operations", seen.len());
    let mut refs = Vec::new();
    collect_refs(&document, &mut refs);
    assert!(!refs.is_empty());
    for reference in &refs {
        let pointer = reference.strip_prefix('#').expect("a local reference");
        assert!(
            document.pointer(pointer).is_some(),
            "{reference} resolves to nothing"
        );
    }
    let body = &document["paths"]["/admin/deals/refresh"]["post"]["requestBody"]["content"]["application/json"]
        ["schema"];
    let schema = match body["$ref"].as_str() {
        Some(reference) => document.pointer(&reference[1..]).unwrap(),
        None => body,
    };
    let fields: Vec<_> = schema["properties"].as_object().unwrap().keys().collect();
    assert_eq!(fields, ["source"], "{schema}");
}

fn collect_refs(value: &Value, refs: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                refs.push(reference.clone());
            }
            map.values().for_each(|v| collect_refs(v, refs));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}
