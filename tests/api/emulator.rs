//! The development emulator (`/dev/chat`) and Kakao's stand-ins: the real clients against the stand-ins,
//! the real binary serving the emulator in development and never in production. The page itself is played
//! in a real browser by `scripts/browser-test` (tests/browser/emulator.mjs).

use std::time::Duration;

use junggye::config::{Config, STANDIN_SECRET};
use junggye::dev::Standins;
use junggye::kakao_event::{EventApi, EventApiSettings, SendOutcome, TaskResult};
use junggye::kakaopay::{ApproveRequest, KakaoPay, KakaoPaySettings, PaymentState, ReadyRequest};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::helpers::{free_port, junggye_in, payload, wait_for_port_async};

fn ready_request() -> ReadyRequest {
    ReadyRequest {
        partner_order_id: "order-1".into(),
        partner_user_id: "member-1".into(),
        item_name: "닌텐도 스위치".into(),
        item_code: None,
        quantity: 1,
        total_amount: 250_000,
        tax_free_amount: 0,
        vat_amount: None,
        approval_url: "http://127.0.0.1:1/pay/approve/r1".into(),
        cancel_url: "http://127.0.0.1:1/pay/cancel/r1".into(),
        fail_url: "http://127.0.0.1:1/pay/fail/r1".into(),
        payment_method_type: None,
        install_month: None,
    }
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_kakao_pay_stand_in_takes_a_payment_through_its_checkout_page_and_refunds_it() {
    let standins = Standins::start(junggye::router::standin_routes).await.unwrap();
    let pay = KakaoPay::new(KakaoPaySettings {
        secret_key: SecretString::from(STANDIN_SECRET.to_owned()),
        ..KakaoPaySettings::for_tests(format!("http://{}", standins.addr()))
    })
    .unwrap();
    let request = ready_request();
    let ready = pay.ready(&request).await.unwrap();
    assert_eq!(pay.order(&ready.tid).await.unwrap().status, PaymentState::Ready);

    // The buyer's browser: the checkout page, then 결제하기, which sends it back to our approval URL.
    let browser = no_redirects();
    let page = browser.get(&ready.next_redirect_pc_url).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("standin-approve") && html.contains("250,000원"),
        "{html}"
    );
    let approved = browser
        .post(format!("{}/approve", ready.next_redirect_pc_url))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 303);
    let location = approved.headers()["location"].to_str().unwrap().to_owned();
    let pg_token = location
        .strip_prefix("http://127.0.0.1:1/pay/approve/r1?pg_token=")
        .unwrap_or_else(|| panic!("back to the approval URL, not {location}"));

    let approve = ApproveRequest {
        tid: ready.tid.clone(),
        partner_order_id: request.partner_order_id.clone(),
        partner_user_id: request.partner_user_id.clone(),
        pg_token: "forged".into(),
        total_amount: Some(250_000),
    };
    assert!(
        pay.approve(&approve).await.is_err(),
        "a wrong pg_token approves nothing"
    );
    let approval = pay
        .approve(&ApproveRequest {
            pg_token: pg_token.to_owned(),
            ..approve.clone()
        })
        .await
        .unwrap();
    assert_eq!(approval.amount.total, 250_000);
    assert!(
        pay.approve(&ApproveRequest {
            pg_token: pg_token.to_owned(),
            ..approve
        })
        .await
        .is_err(),
        "approved once only"
    );
    assert_eq!(
        pay.order(&ready.tid).await.unwrap().status,
        PaymentState::SuccessPayment
    );
    let refund = junggye::kakaopay::CancelRequest {
        tid: ready.tid.clone(),
        cancel_amount: 250_000,
        cancel_tax_free_amount: 0,
        cancel_vat_amount: None,
        cancel_available_amount: None,
    };
    let cancelled = pay.cancel(&refund).await.unwrap();
    assert_eq!(cancelled.status, PaymentState::CancelPayment);

    // A second checkout of a finished payment moves nothing.
    let again = browser
        .post(format!("{}/approve", ready.next_redirect_pc_url))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

fn event_api(standins: &Standins, key: &str) -> EventApi {
    EventApi::new(&EventApiSettings {
        base_url: format!("http://{}", standins.addr()),
        rest_api_key: SecretString::from(key.to_owned()),
        bot_id: "emulator-bot".into(),
        event_name: "market_notice".into(),
        timeout: Duration::from_secs(2),
    })
    .unwrap()
}

#[tokio::test]
async fn the_event_api_stand_in_delivers_to_each_user_and_reports_its_task_done() {
    let standins = Standins::start(junggye::router::standin_routes).await.unwrap();
    let api = event_api(&standins, STANDIN_SECRET);
    let data = serde_json::Map::new();
    let SendOutcome::Accepted { task_id } = api.send(&["seller", "buyer"], &data).await.unwrap() else {
        panic!("the stand-in took the job");
    };
    assert_eq!(api.task(&task_id).await, TaskResult::Done { failed: vec![] });
    let seller = standins.notices_for("seller", 0);
    assert_eq!(seller.len(), 1);
    assert_eq!(seller[0].name, "market_notice");
    assert!(standins.notices_for("seller", seller[0].seq).is_empty());
    assert_eq!(standins.notices_for("buyer", 0).len(), 1);

    let wrong_key = event_api(&standins, "someone-else");
    assert!(matches!(
        wrong_key.send(&["seller"], &data).await.unwrap(),
        SendOutcome::Refused { .. }
    ));
}

#[test]
fn the_stand_ins_fill_in_only_what_is_not_configured_and_never_run_in_production() {
    let vars = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<std::collections::HashMap<_, _>>()
    };
    let standins: std::net::SocketAddr = "127.0.0.1:45678".parse().unwrap();
    let development = Config::with_standins(&vars(&[("BIND_ADDR", "0.0.0.0:8080")]), standins).unwrap();
    assert!(development.emulator);
    let pay = development
        .payments
        .as_ref()
        .expect("payments through the stand-in");
    assert_eq!(pay.kakaopay.base_url, "http://127.0.0.1:45678");
    let notify = development.notify.as_ref().expect("notices through the stand-in");
    assert_eq!(notify.event_api.base_url, "http://127.0.0.1:45678");
    assert_eq!(development.kakao_bot_id, None, "any bot is still accepted");
    assert!(
        development
            .images
            .allowed_hosts
            .contains(&"127.0.0.1:8080".to_owned()),
        "{:?}",
        development.images.allowed_hosts
    );

    let configured = Config::with_standins(
        &vars(&[
            ("KAKAOPAY_SECRET_KEY", "real-key"),
            ("KAKAOPAY_BASE_URL", "https://open-api.kakaopay.com"),
        ]),
        standins,
    )
    .unwrap();
    assert_eq!(
        configured.payments.unwrap().kakaopay.base_url,
        "https://open-api.kakaopay.com"
    );

    assert!(!Config::from_vars(&vars(&[("APP_ENV", "test")])).unwrap().emulator);
    let refused = Config::from_vars(&vars(&[("APP_ENV", "production"), ("DEV_EMULATOR", "on")]))
        .unwrap_err()
        .to_string();
    assert!(refused.contains("DEV_EMULATOR"), "{refused}");
}

/// The binary on its development defaults in a fresh directory, with `env` added.
async fn start(env: &[(&str, &str)]) -> (std::process::Child, String) {
    let dir = tempfile::tempdir().unwrap().keep();
    let port = free_port();
    let mut command = junggye_in(&dir);
    command
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .env("METRICS_ADDR", "off")
        .env("DEALS_ENABLED", "false")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command.arg("serve").spawn().unwrap();
    wait_for_port_async(port, "server").await;
    (child, format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn the_development_server_serves_the_emulator_which_judges_every_answer() {
    let (mut child, base) = start(&[]).await;
    let http = reqwest::Client::new();
    let page = http.get(format!("{base}/dev/chat")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("/dev/chat/assets/chat.js"));
    for asset in ["chat.js", "chat.css"] {
        let got = http
            .get(format!("{base}/dev/chat/assets/{asset}"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200, "{asset}");
    }
    let catalogue: Value = http
        .get(format!("{base}/dev/chat/catalogue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(catalogue["fallback"]["url"], "/skill/chat");

    let emulate = |path: &str, payload: Value| {
        let request = http
            .post(format!("{base}/dev/chat/skill"))
            .json(&json!({"path": path, "payload": payload}));
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let call = emulate("/skill/chat", payload("emulated").says("상품목록").build()).await;
    assert_eq!(call["status"], 200, "{call}");
    assert_eq!(call["verdict"]["ok"], true, "{call}");
    let slot = json!({"isInSlotFilling": true, "utterance": "123", "value": {"origin": "123", "resolved": "123"},
        "user": {"id": "emulated", "type": "botUserKey"}});
    let validation = emulate("/skill/validate/phone", slot).await;
    assert_eq!(validation["body"]["status"], "FAIL", "{validation}");
    assert_eq!(validation["verdict"]["ok"], true, "{validation}");
    let elsewhere = http
        .post(format!("{base}/dev/chat/skill"))
        .json(&json!({"path": "/admin/members", "payload": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 400, "the emulator calls skills only");

    let notices: Value = http
        .get(format!("{base}/dev/chat/notices?user=emulated&after=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(notices["boot"].as_str().map(str::len), Some(32), "{notices}");
    assert!(notices["events"].is_array(), "{notices}");

    let not_a_photo = http
        .post(format!("{base}/dev/chat/photos"))
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_photo.status(), 415);
    let png = junggye::images::NO_PHOTO_PNG.to_vec();
    let uploaded: Value = http
        .post(format!("{base}/dev/chat/photos"))
        .body(png.clone())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = uploaded["url"].as_str().unwrap();
    assert!(url.starts_with(&base), "{url}");
    let fetched = http.get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(fetched.to_vec(), png);
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test]
async fn the_emulator_is_absent_in_production_and_when_turned_off() {
    let production = [
        ("APP_ENV", "production"),
        ("SKILL_SECRET", "a-skill-secret-long-enough-for-production"),
        ("KAKAO_BOT_ID", "65a1f0c2e4b7d93a1c8e5f20"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef0123456789"),
        ("PUBLIC_URL", "https://market.example"),
    ];
    for env in [&production[..], &[("DEV_EMULATOR", "off")][..]] {
        let (mut child, base) = start(env).await;
        let page = reqwest::get(format!("{base}/dev/chat")).await.unwrap();
        assert_eq!(page.status(), 404, "{env:?}");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
