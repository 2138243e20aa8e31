//! The Kakao Pay client against the fake Kakao Pay (`fake_kakaopay`): a whole payment, Kakao's refusals,
//! and every way a call can fail — each sorted into the error the payment flow must handle.

use std::time::{Duration, Instant};

use junggye::kakaopay::{
    ApproveRequest, CancelRequest, KakaoPay, KakaoPaySettings, OrderStatus, PayError, PaymentState,
    ReadyRequest, ReadyResponse, redirect_for,
};
use secrecy::SecretString;

use crate::fake_kakaopay::{FailMode, FakeKakaoPay, codes, reason};

const PRICE: i64 = 15_000;

fn ready_request(order_id: &str) -> ReadyRequest {
    ReadyRequest {
        partner_order_id: order_id.to_owned(),
        partner_user_id: "member-42".to_owned(),
        item_name: "닌텐도 스위치 OLED".to_owned(),
        item_code: None,
        quantity: 1,
        total_amount: PRICE,
        tax_free_amount: 0,
        vat_amount: None,
        approval_url: format!("https://market.example/pay/{order_id}/approved"),
        cancel_url: format!("https://market.example/pay/{order_id}/cancelled"),
        fail_url: format!("https://market.example/pay/{order_id}/failed"),
        payment_method_type: None,
        install_month: None,
    }
}

fn approve_request(ready: &ReadyRequest, tid: &str, pg_token: &str) -> ApproveRequest {
    ApproveRequest {
        tid: tid.to_owned(),
        partner_order_id: ready.partner_order_id.clone(),
        partner_user_id: ready.partner_user_id.clone(),
        pg_token: pg_token.to_owned(),
        total_amount: Some(ready.total_amount),
    }
}

/// A payment made ready and paid by the buyer, waiting for approve.
async fn paid_by_buyer(fake: &FakeKakaoPay, pay: &KakaoPay, order_id: &str) -> (ApproveRequest, String) {
    let request = ready_request(order_id);
    let ready = pay.ready(&request).await.expect("ready");
    let token = fake.user_pays(&ready.tid);
    (approve_request(&request, &ready.tid, &token), ready.tid)
}

async fn status_of(pay: &KakaoPay, tid: &str) -> PaymentState {
    pay.order(tid).await.expect("order").status
}

fn expect_rejected(result: Result<impl std::fmt::Debug, PayError>, code: i64) -> PayError {
    match result {
        Err(e @ PayError::Rejected { .. }) => {
            assert_eq!(e.error_code(), Some(code), "{e}");
            assert!(e.is_definitive() && !e.is_retryable() && !e.is_ambiguous());
            e
        }
        other => panic!("expected a refusal with error_code {code}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// A whole payment

#[tokio::test]
async fn a_payment_goes_from_ready_through_approval_and_order_to_a_full_refund() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let request = ready_request("order-1");

    let ready = pay.ready(&request).await.unwrap();
    assert_eq!(ready.tid.len(), 20);
    assert_eq!(fake.state(&ready.tid), Some(PaymentState::Ready));
    assert!(status_of(&pay, &ready.tid).await.is_in_progress());

    let pg_token = fake.user_pays(&ready.tid);
    let approval = pay
        .approve(&approve_request(&request, &ready.tid, &pg_token))
        .await
        .unwrap();
    assert_eq!(approval.tid, ready.tid);
    assert!(!approval.aid.is_empty());
    assert_eq!(approval.cid, "TC0ONETIME");
    assert_eq!(approval.partner_order_id, "order-1");
    assert_eq!(approval.partner_user_id, "member-42");
    assert_eq!(approval.amount.total, PRICE);
    assert_eq!(approval.amount.tax_free, 0);
    assert_eq!(approval.amount.vat, PRICE / 11);

    let order: OrderStatus = pay.order(&ready.tid).await.unwrap();
    assert_eq!(order.status, PaymentState::SuccessPayment);
    assert!(order.status.is_paid());
    assert_eq!(order.partner_order_id, "order-1");
    assert_eq!(order.amount.map(|a| a.total), Some(PRICE));

    let cancellation = pay
        .cancel(&CancelRequest::full(&ready.tid, PRICE, 0))
        .await
        .unwrap();
    assert_eq!(cancellation.status, PaymentState::CancelPayment);
    assert_eq!(cancellation.approved_cancel_amount.total, PRICE);
    assert_eq!(cancellation.canceled_amount.total, PRICE);
    assert_eq!(cancellation.cancel_available_amount.total, 0);

    let order = pay.order(&ready.tid).await.unwrap();
    assert_eq!(order.status, PaymentState::CancelPayment);
    assert!(order.status.is_cancelled() && !order.status.is_paid());
    assert_eq!(order.cancel_available_amount.map(|a| a.total), Some(0));

    assert_eq!(
        (
            fake.calls("ready"),
            fake.calls("approve"),
            fake.calls("cancel"),
            fake.calls("order")
        ),
        (1, 1, 1, 3)
    );
}

#[tokio::test]
async fn a_buyer_who_quits_leaves_an_abandoned_payment_that_cannot_be_approved() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-quit").await;
    fake.user_quits(&tid);

    let status = status_of(&pay, &tid).await;
    assert_eq!(status, PaymentState::QuitPayment);
    assert!(status.is_abandoned() && !status.is_in_progress());
    let e = expect_rejected(pay.approve(&approve).await, codes::APPROVAL_FAILURE);
    assert_eq!(e.method_result_code(), Some(reason::INVALID_PG_TOKEN));
}

#[tokio::test]
async fn a_payment_cannot_be_refunded_before_it_is_approved() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (_, tid) = paid_by_buyer(&fake, &pay, "order-early-cancel").await;
    let e = expect_rejected(
        pay.cancel(&CancelRequest::full(&tid, PRICE, 0)).await,
        codes::CANCEL_FAILURE,
    );
    assert_eq!(e.method_result_code(), Some(reason::NOT_CANCELLABLE));
    assert_eq!(fake.state(&tid), Some(PaymentState::AuthPassword));
}

#[tokio::test]
async fn asking_about_an_unknown_tid_is_a_refusal() {
    let fake = FakeKakaoPay::start().await;
    expect_rejected(
        fake.client().order("T0000000000000000999").await,
        codes::UNKNOWN_TID,
    );
}

// ---------------------------------------------------------------------------------------------
// Kakao's refusals

#[tokio::test]
async fn a_wrong_secret_key_is_rejected_and_never_appears_in_the_error() {
    let fake = FakeKakaoPay::start().await;
    let wrong = "DEVwrong0secret0key0123456789";
    let settings = KakaoPaySettings {
        secret_key: SecretString::from(wrong),
        ..fake.settings()
    };
    let pay = KakaoPay::new(settings.clone()).unwrap();

    let e = pay.ready(&ready_request("order-auth")).await.unwrap_err();
    assert!(matches!(e, PayError::Rejected { status: 401, .. }), "{e:?}");
    assert_eq!(e.error_code(), Some(codes::UNAUTHORIZED));
    assert!(e.is_definitive());
    // The fake echoes the Authorization header it got; the client scrubs it.
    for text in [
        e.to_string(),
        format!("{e:?}"),
        format!("{settings:?}"),
        format!("{pay:?}"),
    ] {
        assert!(!text.contains(wrong), "secret shown in {text}");
        assert!(!text.contains(fake.secret()), "fake's secret shown in {text}");
    }
    assert!(e.to_string().contains("[redacted]"), "{e}");
    assert_eq!(fake.calls("ready"), 1);
    assert!(fake.tids().is_empty());
}

#[tokio::test]
async fn approve_with_another_amount_than_ready_is_rejected_and_the_right_one_still_works() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-amount").await;

    let cheaper = ApproveRequest {
        total_amount: Some(PRICE - 1),
        ..approve.clone()
    };
    let e = expect_rejected(pay.approve(&cheaper).await, codes::APPROVAL_FAILURE);
    assert_eq!(e.method_result_code(), Some(reason::AMOUNT_MISMATCH));
    assert!(
        matches!(&e, PayError::Rejected { status: 400, message, .. } if message.contains("approval failure"))
    );
    assert_eq!(fake.state(&tid), Some(PaymentState::AuthPassword));

    pay.approve(&approve).await.expect("the right amount is approved");
    assert_eq!(fake.state(&tid), Some(PaymentState::SuccessPayment));
}

#[tokio::test]
async fn approve_with_a_pg_token_of_another_payment_or_none_at_all_is_rejected() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (first, _) = paid_by_buyer(&fake, &pay, "order-a").await;
    pay.approve(&first).await.unwrap();

    // The buyer has not paid the second one yet: no token is valid.
    let request = ready_request("order-b");
    let ready = pay.ready(&request).await.unwrap();
    let reused = approve_request(&request, &ready.tid, &first.pg_token);
    let e = expect_rejected(pay.approve(&reused).await, codes::APPROVAL_FAILURE);
    assert_eq!(e.method_result_code(), Some(reason::INVALID_PG_TOKEN));

    // Paid now, but the first payment's (used) token is still not this one's.
    let token = fake.user_pays(&ready.tid);
    let e = expect_rejected(pay.approve(&reused).await, codes::APPROVAL_FAILURE);
    assert_eq!(e.method_result_code(), Some(reason::INVALID_PG_TOKEN));
    pay.approve(&approve_request(&request, &ready.tid, &token))
        .await
        .unwrap();
}

#[tokio::test]
async fn approve_with_other_partner_ids_than_ready_is_rejected() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (approve, _) = paid_by_buyer(&fake, &pay, "order-partner").await;
    let someone_else = ApproveRequest {
        partner_user_id: "member-666".into(),
        ..approve.clone()
    };
    let e = expect_rejected(pay.approve(&someone_else).await, codes::APPROVAL_FAILURE);
    assert_eq!(e.method_result_code(), Some(reason::PARTNER_MISMATCH));
    let other_order = ApproveRequest {
        partner_order_id: "order-other".into(),
        ..approve
    };
    expect_rejected(pay.approve(&other_order).await, codes::APPROVAL_FAILURE);
}

#[tokio::test]
async fn a_second_approve_of_the_same_payment_is_rejected() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-twice").await;
    pay.approve(&approve).await.unwrap();

    expect_rejected(pay.approve(&approve).await, codes::ALREADY_APPROVED);
    assert_eq!(fake.state(&tid), Some(PaymentState::SuccessPayment));
    assert_eq!(fake.calls("approve"), 2);
}

// ---------------------------------------------------------------------------------------------
// Failures: unavailable (nothing happened) and ambiguous (ask order)

#[tokio::test]
async fn a_server_error_from_ready_or_order_is_unavailable_and_a_retry_succeeds() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    fake.fail_next("ready", 1, FailMode::Status500);

    let e = pay.ready(&ready_request("order-500")).await.unwrap_err();
    assert!(matches!(e, PayError::Unavailable(_)), "{e:?}");
    assert!(e.is_retryable() && !e.is_definitive() && !e.is_ambiguous());
    let ready = pay
        .ready(&ready_request("order-500"))
        .await
        .expect("the retry works");
    assert_eq!(fake.calls("ready"), 2);
    assert_eq!(fake.tids(), vec![ready.tid.clone()]);

    fake.fail_next("order", 1, FailMode::Status500);
    let e = pay.order(&ready.tid).await.unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(status_of(&pay, &ready.tid).await, PaymentState::Ready);
}

#[tokio::test]
async fn a_server_error_from_approve_is_ambiguous_and_order_tells_what_happened() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();

    // Kakao failed before doing anything: order says not paid, and approve can be tried again.
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-500-before").await;
    fake.fail_next("approve", 1, FailMode::Status500);
    let e = pay.approve(&approve).await.unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(status_of(&pay, &tid).await, PaymentState::AuthPassword);
    pay.approve(&approve).await.expect("approved on the second try");

    // Kakao approved, then failed to answer: order says paid, and a retry would be refused.
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-500-after").await;
    fake.fail_next("approve", 1, FailMode::Status500AfterEffect);
    let e = pay.approve(&approve).await.unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(status_of(&pay, &tid).await, PaymentState::SuccessPayment);
    expect_rejected(pay.approve(&approve).await, codes::ALREADY_APPROVED);
}

#[tokio::test]
async fn an_approve_answer_slower_than_the_timeout_is_ambiguous_and_order_shows_the_payment() {
    let fake = FakeKakaoPay::start().await;
    let pay = KakaoPay::new(KakaoPaySettings {
        timeout: Duration::from_millis(300),
        ..fake.settings()
    })
    .unwrap();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-slow").await;
    fake.fail_next("approve", 1, FailMode::Slow(Duration::from_secs(10)));

    let started = Instant::now();
    let e = pay.approve(&approve).await.unwrap_err();
    assert!(
        matches!(&e, PayError::Ambiguous(m) if m.contains("no answer within 300 ms")),
        "{e:?}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );

    // The approve callback's answer was lost; the money moved all the same.
    let order = pay.order(&tid).await.unwrap();
    assert!(order.status.is_paid(), "{:?}", order.status);
    assert_eq!(order.partner_order_id, "order-slow");
}

#[tokio::test]
async fn a_deferred_approve_times_out_and_takes_the_money_only_when_completed() {
    let fake = FakeKakaoPay::start().await;
    let pay = KakaoPay::new(KakaoPaySettings {
        timeout: Duration::from_millis(300),
        ..fake.settings()
    })
    .unwrap();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-late").await;
    fake.fail_next("approve", 1, FailMode::Deferred);

    let e = pay.approve(&approve).await.unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    // Kakao Pay is still working on it: order shows the buyer's authentication, nothing taken.
    assert_eq!(status_of(&pay, &tid).await, PaymentState::AuthPassword);
    assert_eq!(fake.payment(&tid).unwrap().aid, None);

    assert_eq!(fake.complete_deferred("approve"), 1);
    assert_eq!(status_of(&pay, &tid).await, PaymentState::SuccessPayment);
    assert_eq!(fake.complete_deferred("approve"), 0, "completed once");
    expect_rejected(pay.approve(&approve).await, codes::ALREADY_APPROVED);
}

#[tokio::test]
async fn a_success_answer_that_cannot_be_read_is_ambiguous() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let (approve, tid) = paid_by_buyer(&fake, &pay, "order-garbled").await;
    fake.fail_next("approve", 1, FailMode::Garbled);
    let e = pay.approve(&approve).await.unwrap_err();
    assert!(e.is_ambiguous(), "{e:?}");
    assert_eq!(status_of(&pay, &tid).await, PaymentState::SuccessPayment);
}

#[tokio::test]
async fn a_closed_port_is_unavailable_even_for_approve() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let pay = KakaoPay::new(KakaoPaySettings::for_tests(format!("http://127.0.0.1:{port}"))).unwrap();
    let request = ready_request("order-refused");

    let e = pay.ready(&request).await.unwrap_err();
    assert!(
        matches!(&e, PayError::Unavailable(m) if m.contains("cannot connect")),
        "{e:?}"
    );
    let e = pay
        .approve(&approve_request(&request, "T0000000000000000001", "pg1"))
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "no connection, so nothing was sent: {e:?}");
}

// ---------------------------------------------------------------------------------------------
// Requests checked before sending

/// Makes a valid request break one limit.
type Breaks = fn(&mut ReadyRequest);

#[tokio::test]
async fn requests_breaking_documented_limits_are_refused_before_anything_is_sent() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let long_url = format!("https://market.example/{}", "a".repeat(255 - 22));
    assert_eq!(long_url.len(), 256);

    let ready_cases: Vec<(&str, Breaks)> = vec![
        ("partner_order_id", |r| r.partner_order_id = "o".repeat(101)),
        ("partner_order_id", |r| r.partner_order_id = String::new()),
        ("partner_user_id", |r| r.partner_user_id = "가".repeat(101)),
        ("item_name", |r| r.item_name = "상".repeat(101)),
        ("item_name", |r| r.item_name = "line\nbreak".into()),
        ("quantity", |r| r.quantity = 0),
        ("total_amount", |r| r.total_amount = 0),
        ("total_amount", |r| r.total_amount = -1),
        ("tax_free_amount", |r| r.tax_free_amount = PRICE + 1),
        ("tax_free_amount", |r| r.tax_free_amount = -1),
        ("vat_amount", |r| r.vat_amount = Some(-5)),
        ("approval_url", |r| {
            r.approval_url = format!("https://market.example/{}", "a".repeat(234))
        }),
        ("cancel_url", |r| r.cancel_url = "/relative/cancel".into()),
        ("fail_url", |r| r.fail_url = "javascript:alert(1)".into()),
    ];
    for (field, breaks) in ready_cases {
        let mut request = ready_request("order-limits");
        breaks(&mut request);
        match pay.ready(&request).await {
            Err(PayError::InvalidRequest(message)) => assert!(message.contains(field), "{field}: {message}"),
            other => panic!("{field}: expected InvalidRequest, got {other:?}"),
        }
    }

    let good = ready_request("order-limits");
    let approve = approve_request(&good, "T0000000000000000001", "pg1");
    let approve_cases = [
        ApproveRequest {
            pg_token: String::new(),
            ..approve.clone()
        },
        ApproveRequest {
            tid: " ".into(),
            ..approve.clone()
        },
        ApproveRequest {
            total_amount: Some(0),
            ..approve.clone()
        },
        ApproveRequest {
            partner_user_id: "u".repeat(101),
            ..approve
        },
    ];
    for request in approve_cases {
        let e = pay.approve(&request).await.unwrap_err();
        assert!(
            matches!(e, PayError::InvalidRequest(_)) && e.is_definitive(),
            "{request:?}: {e:?}"
        );
    }
    let cancel_cases = [
        CancelRequest::full("T0000000000000000001", 0, 0),
        CancelRequest::full("T0000000000000000001", 100, 101),
        CancelRequest::full("", 100, 0),
    ];
    for request in cancel_cases {
        let e = pay.cancel(&request).await.unwrap_err();
        assert!(matches!(e, PayError::InvalidRequest(_)), "{request:?}: {e:?}");
    }
    assert!(matches!(pay.order("").await, Err(PayError::InvalidRequest(_))));

    assert_eq!(fake.total_calls(), 0, "nothing reached Kakao");
}

#[tokio::test]
async fn values_exactly_at_the_limits_are_sent_and_accepted() {
    let fake = FakeKakaoPay::start().await;
    let pay = fake.client();
    let url = format!("https://market.example/{}", "a".repeat(255 - 23));
    assert_eq!(url.chars().count(), 255);
    let request = ReadyRequest {
        partner_order_id: "o".repeat(100),
        partner_user_id: "u".repeat(100),
        item_name: "상".repeat(100),
        tax_free_amount: PRICE,
        approval_url: url.clone(),
        cancel_url: url.clone(),
        fail_url: url,
        ..ready_request("unused")
    };
    let ready = pay.ready(&request).await.expect("accepted at the limits");
    let payment = fake.payment(&ready.tid).unwrap();
    assert_eq!(payment.item_name, request.item_name);
    assert_eq!(payment.tax_free_amount, PRICE);
}

// ---------------------------------------------------------------------------------------------
// Settings

#[test]
fn settings_that_cannot_work_are_refused_without_showing_the_key() {
    let base = KakaoPaySettings::for_tests("http://127.0.0.1:9");
    let cases = [
        KakaoPaySettings {
            secret_key: SecretString::from(""),
            ..base.clone()
        },
        KakaoPaySettings {
            secret_key: SecretString::from("DEV key with spaces"),
            ..base.clone()
        },
        KakaoPaySettings {
            base_url: "https://open-api.kakaopay.com/online/v1/payment".into(),
            ..base.clone()
        },
        KakaoPaySettings {
            base_url: "open-api.kakaopay.com".into(),
            ..base.clone()
        },
        KakaoPaySettings {
            cid: String::new(),
            ..base.clone()
        },
        KakaoPaySettings {
            timeout: Duration::ZERO,
            ..base.clone()
        },
    ];
    for settings in cases {
        let e = KakaoPay::new(settings).unwrap_err();
        assert!(!e.to_string().contains("key with spaces"), "{e}");
    }
    assert!(KakaoPay::new(KakaoPaySettings::for_tests("http://127.0.0.1:9/")).is_ok());
    assert!(!format!("{base:?}").contains("DEV_TEST_SECRET_KEY"));

    let production = KakaoPaySettings::new(SecretString::from("PRDsecret"));
    assert_eq!(production.base_url, "https://open-api.kakaopay.com");
    assert_eq!(production.cid, "TC0ONETIME");
    assert_eq!(production.timeout, Duration::from_millis(3000));
}

// ---------------------------------------------------------------------------------------------
// Redirects and statuses

fn ready_answer() -> ReadyResponse {
    serde_json::from_value(serde_json::json!({
        "tid": "T1234567890123456789",
        "next_redirect_app_url": "https://pay.example/aInfo",
        "next_redirect_mobile_url": "https://pay.example/mInfo",
        "next_redirect_pc_url": "https://pay.example/info",
        "created_at": "2024-05-01T12:00:00",
        "something_new": {"ignored": true}
    }))
    .unwrap()
}

#[test]
fn the_buyer_is_sent_to_the_app_page_in_kakaotalk_the_mobile_page_on_phones_and_the_pc_page_elsewhere() {
    let ready = ready_answer();
    let cases = [
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918N Build/UP1A.231005.007; wv) AppleWebKit/537.36 \
             (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.230 Mobile Safari/537.36;KAKAOTALK 2410430",
            "https://pay.example/aInfo",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Mobile/15E148 KAKAOTALK 10.5.5",
            "https://pay.example/aInfo",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/17.2 Mobile/15E148 Safari/604.1",
            "https://pay.example/mInfo",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918N) AppleWebKit/537.36 (KHTML, like Gecko) \
             SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            "https://pay.example/mInfo",
        ),
        (
            "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/16.6 Mobile/15E148 Safari/604.1",
            "https://pay.example/mInfo",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/124.0.0.0 Safari/537.36",
            "https://pay.example/info",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) KAKAOTALK",
            "https://pay.example/info",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) \
             Version/17.4 Safari/605.1.15",
            "https://pay.example/info",
        ),
        ("", "https://pay.example/info"),
    ];
    for (agent, expected) in cases {
        assert_eq!(redirect_for(agent, &ready), expected, "{agent}");
    }
}

#[test]
fn every_documented_payment_status_is_parsed_and_an_unknown_one_is_kept() {
    let documented = [
        "READY",
        "SEND_TMS",
        "OPEN_PAYMENT",
        "SELECT_METHOD",
        "ARS_WAITING",
        "AUTH_PASSWORD",
        "ISSUED_SID",
        "SUCCESS_PAYMENT",
        "PART_CANCEL_PAYMENT",
        "CANCEL_PAYMENT",
        "FAIL_AUTH_PASSWORD",
        "QUIT_PAYMENT",
        "FAIL_PAYMENT",
    ];
    for name in documented {
        let state: PaymentState = serde_json::from_value(serde_json::json!(name)).unwrap();
        assert!(!state.is_unknown(), "{name}");
        assert_eq!(state.as_str(), name);
        assert_eq!(serde_json::to_value(&state).unwrap(), serde_json::json!(name));
        let helpers = [
            state.is_paid(),
            state.is_abandoned(),
            state.is_cancelled(),
            state.is_in_progress(),
        ];
        assert_eq!(
            helpers.iter().filter(|h| **h).count(),
            1,
            "{name}: exactly one helper holds"
        );
    }
    assert_eq!(PaymentState::DOCUMENTED.len(), documented.len());

    let expected = [
        ("SUCCESS_PAYMENT", PaymentState::SuccessPayment),
        ("PART_CANCEL_PAYMENT", PaymentState::PartCancelPayment),
        ("CANCEL_PAYMENT", PaymentState::CancelPayment),
        ("QUIT_PAYMENT", PaymentState::QuitPayment),
        ("FAIL_PAYMENT", PaymentState::FailPayment),
        ("FAIL_AUTH_PASSWORD", PaymentState::FailAuthPassword),
        ("READY", PaymentState::Ready),
    ];
    for (name, state) in expected {
        assert_eq!(PaymentState::parse(name), state);
    }
    assert!(PaymentState::SuccessPayment.is_paid() && PaymentState::PartCancelPayment.is_paid());
    assert!(PaymentState::QuitPayment.is_abandoned() && PaymentState::FailPayment.is_abandoned());
    assert!(PaymentState::FailAuthPassword.is_in_progress());

    let order: OrderStatus = serde_json::from_value(serde_json::json!({
        "tid": "T1234567890123456789",
        "status": "SOMETHING_NEW",
        "partner_order_id": "order-1",
        "payment_action_details": [{"aid": "A1", "payment_action_type": "PAYMENT"}]
    }))
    .unwrap();
    assert_eq!(order.status, PaymentState::Unknown("SOMETHING_NEW".into()));
    assert!(order.status.is_unknown());
    assert!(
        !(order.status.is_paid()
            || order.status.is_abandoned()
            || order.status.is_cancelled()
            || order.status.is_in_progress())
    );
    assert_eq!(order.status.to_string(), "SOMETHING_NEW");
    assert!(
        PaymentState::parse("success_payment").is_unknown(),
        "statuses are case-sensitive"
    );
}
