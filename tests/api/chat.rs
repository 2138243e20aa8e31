//! Conversation mode (`/skill/chat`), on both databases: the whole market behind one fallback block with
//! no block ids — questions asked one at a time and checked with the validation parsers, 취소 leaves,
//! and every quick reply and button is a message the skill reads back (paging, confirmations, short forms).

use junggye::products::{Category, ProductStatus};
use serde_json::Value;

use crate::helpers::{Backend, Reply, TestApp, payload};
use crate::on_both_backends;
use crate::products::seed_product;

on_both_backends!(
    joining_asks_each_question_and_asks_again_with_the_reason,
    cancel_leaves_the_question_in_progress,
    paging_works_by_the_messages_the_answers_offer,
    a_confirmation_works_without_any_block_id,
    short_forms_open_a_product_and_search,
    anything_else_gets_the_menu,
    a_product_is_registered_by_conversation_and_the_photo_block,
    a_paid_order_is_shipped_and_confirmed_by_conversation,
    an_idle_question_expires_and_is_purged,
);

async fn say(app: &TestApp, user: &str, text: &str) -> Reply {
    app.skill("/skill/chat", &payload(user).says(text).build()).await
}

/// Every `messageText` a tap on the answer would send, by label.
fn taps(reply: &Reply) -> Vec<(String, String)> {
    let mut found = Vec::new();
    collect_taps(&reply.0, &mut found);
    found
}

fn collect_taps(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            assert!(
                !map.contains_key("blockId"),
                "a block link in conversation mode: {value}"
            );
            if let Some(Value::String(text)) = map.get("messageText") {
                let label = map.get("label").or_else(|| map.get("title"));
                found.push((
                    label.and_then(Value::as_str).unwrap_or("").to_owned(),
                    text.clone(),
                ));
            }
            map.values().for_each(|v| collect_taps(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_taps(v, found)),
        _ => {}
    }
}

/// The message of the tap that opens `prefix` (a block's utterance and the start of its extra).
fn tap_to(reply: &Reply, prefix: &str) -> String {
    taps(reply)
        .into_iter()
        .map(|(_, text)| text)
        .find(|text| text.starts_with(prefix))
        .unwrap_or_else(|| panic!("no tap to `{prefix}` in {:?}", taps(reply)))
}

fn tap(reply: &Reply, label: &str) -> String {
    taps(reply)
        .into_iter()
        .find(|(l, _)| l == label)
        .unwrap_or_else(|| panic!("no `{label}` in {:?}", taps(reply)))
        .1
}

async fn join(app: &TestApp, user: &str, name: &str) {
    say(app, user, "회원가입").await;
    say(app, user, name).await;
    let welcome = say(app, user, "010-1234-5678").await;
    assert!(welcome.contains("환영"), "{}", welcome.text());
}

async fn joining_asks_each_question_and_asks_again_with_the_reason(backend: Backend) {
    let app = TestApp::new(backend).await;
    let asked = say(&app, "u1", "회원가입").await;
    assert!(asked.contains("가입할 이름을 알려 주세요"), "{}", asked.text());
    let refused = say(&app, "u1", "홍").await;
    assert!(
        refused.contains("가입할 이름을 알려 주세요"),
        "asked again: {}",
        refused.text()
    );
    assert!(
        refused.text().lines().count() >= 2,
        "with the reason: {}",
        refused.text()
    );
    let phone = say(&app, "u1", "홍길동").await;
    assert!(phone.contains("휴대폰 번호"), "{}", phone.text());
    let welcome = say(&app, "u1", "010-9876-5432").await;
    assert!(welcome.contains("환영"), "{}", welcome.text());
    let profile = say(&app, "u1", "프로필").await;
    assert!(profile.contains("홍길동"), "{}", profile.text());
}

async fn cancel_leaves_the_question_in_progress(backend: Backend) {
    let app = TestApp::new(backend).await;
    say(&app, "u1", "회원가입").await;
    let left = say(&app, "u1", "취소").await;
    assert!(left.contains("취소했어요"), "{}", left.text());
    let lost = say(&app, "u1", "홍길동").await;
    assert!(
        lost.contains("잘 모르겠어요"),
        "the answer has no question now: {}",
        lost.text()
    );
    let profile = say(&app, "u1", "프로필").await;
    assert!(profile.contains("회원가입이 필요해요"), "{}", profile.text());
}

async fn paging_works_by_the_messages_the_answers_offer(backend: Backend) {
    // Block ids configured for the per-block skills change nothing here.
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "seller", "판매자").await;
    for i in 0..12 {
        seed_product(
            &app.state.db,
            "seller",
            &format!("의자 {i:02}"),
            Category::Etc,
            ProductStatus::OnSale,
        )
        .await;
    }
    let first = say(&app, "buyer", "상품목록").await;
    let more = tap(&first, "더보기");
    assert!(more.starts_with("상품목록 cursor="), "{more}");
    let second = say(&app, "buyer", &more).await;
    assert!(
        second.contains("의자 01") && !second.contains("의자 11"),
        "{}",
        second.text()
    );
    assert!(first.contains("의자 11"), "{}", first.text());
}

async fn a_confirmation_works_without_any_block_id(backend: Backend) {
    let app = TestApp::new(backend).await.with_all_block_ids();
    join(&app, "u1", "홍길동").await;
    let asked = say(&app, "u1", "회원탈퇴").await;
    let confirm = tap(&asked, "탈퇴할게요");
    assert_eq!(confirm, "회원탈퇴 confirm=yes");
    let done = say(&app, "u1", &confirm).await;
    assert!(done.contains("탈퇴"), "{}", done.text());
    let profile = say(&app, "u1", "프로필").await;
    assert!(
        profile.contains("회원가입이 필요해요"),
        "withdrawn: {}",
        profile.text()
    );
}

async fn short_forms_open_a_product_and_search(backend: Backend) {
    let app = TestApp::new(backend).await;
    join(&app, "seller", "판매자").await;
    let id = seed_product(
        &app.state.db,
        "seller",
        "캠핑 의자",
        Category::Etc,
        ProductStatus::OnSale,
    )
    .await;
    seed_product(
        &app.state.db,
        "seller",
        "노트북",
        Category::Digital,
        ProductStatus::OnSale,
    )
    .await;
    let detail = say(&app, "buyer", &format!("상세 {id}")).await;
    assert!(
        detail.contains("캠핑 의자") && detail.contains("15,000원"),
        "{}",
        detail.text()
    );
    let found = say(&app, "buyer", "검색 의자").await;
    assert!(
        found.contains("캠핑 의자") && !found.contains("노트북"),
        "{}",
        found.text()
    );
    // The long way: the question, then the answer.
    let asked = say(&app, "buyer", "상품검색").await;
    assert!(taps(&asked).iter().any(|(l, _)| l == "취소"), "{}", asked.text());
    let found = say(&app, "buyer", "노트북").await;
    assert!(
        found.contains("노트북") && !found.contains("캠핑 의자"),
        "{}",
        found.text()
    );
}

async fn anything_else_gets_the_menu(backend: Backend) {
    let app = TestApp::new(backend).await;
    let reply = say(&app, "u1", "안녕하세요").await;
    assert!(reply.contains("잘 모르겠어요"), "{}", reply.text());
    let menu: Vec<String> = taps(&reply).into_iter().map(|(_, t)| t).collect();
    for word in ["상품목록", "상품검색", "마이페이지", "핫딜"] {
        assert!(menu.iter().any(|t| t == word), "{word} in {menu:?}");
    }
    let welcome = say(&app, "u1", "").await;
    assert!(welcome.contains("무엇을 도와드릴까요"), "{}", welcome.text());
}

async fn a_product_is_registered_by_conversation_and_the_photo_block(backend: Backend) {
    let cdn = crate::registration::fake_cdn().await;
    let host = cdn.addr.to_string();
    let app = TestApp::with(
        backend,
        |c| c.images.allowed_hosts = vec![host],
        junggye::router::skill_routes(),
    )
    .await;
    join(&app, "seller", "판매자").await;
    // Photos before a registration: nothing to attach them to.
    let photos = cdn.secure_images(&["photo.jpg"]);
    let early = app
        .skill(
            "/skill/chat/photo",
            &payload("seller").param("images", &photos).build(),
        )
        .await;
    assert!(early.contains("먼저 '상품등록'으로"), "{}", early.text());

    // 상품등록 → the category picker, whose rows come back as commands.
    let picker = say(&app, "seller", "상품등록").await;
    let (_, digital) = taps(&picker)
        .into_iter()
        .find(|(_, t)| t == "상품등록 category=digital")
        .unwrap_or_else(|| panic!("no digital row: {:?}", taps(&picker)));
    let asked = say(&app, "seller", &digital).await;
    assert!(asked.contains("상품명을 알려 주세요"), "{}", asked.text());
    say(&app, "seller", "아이폰 15 프로").await;
    let refused = say(&app, "seller", "아주 싸게").await;
    assert!(
        refused.contains("가격을 알려 주세요"),
        "asked again: {}",
        refused.text()
    );
    for answer in ["90만원", "배터리 성능 95%", "강남역 2번 출구"] {
        say(&app, "seller", answer).await;
    }
    let photo_please = say(&app, "seller", "https://open.kakao.com/o/gAbC123").await;
    assert_eq!(tap(&photo_please, "사진 등록"), "사진 등록");

    // The 사진 등록 block's skill completes it: the preview, whose 등록하기 is a command too. The block
    // may use the conversation skill itself: its plugin parameter says which block called.
    let preview = app
        .skill("/skill/chat", &payload("seller").param("images", &photos).build())
        .await;
    assert!(
        preview.contains("아이폰 15 프로") && preview.contains("900,000원"),
        "{}",
        preview.text()
    );
    let register = tap(&preview, "등록하기");
    assert!(register.starts_with("등록하기 draftId="), "{register}");
    let done = say(&app, "seller", &register).await;
    assert!(
        done.contains("'아이폰 15 프로'을(를) 등록했어요"),
        "{}",
        done.text()
    );
    let again = say(&app, "seller", &register).await;
    assert!(
        !again.contains("등록했어요!"),
        "registered once: {}",
        again.text()
    );
}

async fn a_paid_order_is_shipped_and_confirmed_by_conversation(backend: Backend) {
    let market = crate::pay_world::Market::start(backend).await;
    let app = &market.app;
    market.member("seller", "판매자").await;
    let buyer = market.member("buyer", "구매자").await;
    let product = market.product("seller", "닌텐도 스위치").await;
    let order = market.buy(buyer, product).await;

    // The seller finds the order in 판매내역 and enters the tracking number, asked for and checked.
    let sales = say(app, "seller", "판매내역").await;
    let detail = say(
        app,
        "seller",
        &tap_to(&sales, &format!("주문상세 orderId={}", order.id)),
    )
    .await;
    let asked = say(app, "seller", &tap_to(&detail, "운송장입력 orderId=")).await;
    let refused = say(app, "seller", "12ab").await;
    assert!(
        refused.text() != asked.text() && refused.text().contains(&asked.text()),
        "{}",
        refused.text()
    );
    let saved = say(app, "seller", "1234-5678-9012").await;
    assert!(saved.contains("저장했어요"), "{}", saved.text());

    // The buyer confirms the purchase, then the seller the sale: each a question and a confirming tap.
    let ask = say(app, "buyer", &format!("구매확정 orderId={}", order.id)).await;
    let done = say(app, "buyer", &tap_to(&ask, "구매확정 confirm=yes")).await;
    assert!(done.contains("구매확정했어요"), "{}", done.text());
    let ask = say(app, "seller", &format!("판매확정 orderId={}", order.id)).await;
    let done = say(app, "seller", &tap_to(&ask, "판매확정 confirm=yes")).await;
    assert!(done.contains("판매확정했어요"), "{}", done.text());
    assert_eq!(
        market.order(order.id).await.status,
        junggye::orders::OrderStatus::Completed
    );
}

async fn an_idle_question_expires_and_is_purged(backend: Backend) {
    use junggye::conversations::{self, IDLE_MS};
    let app = TestApp::new(backend).await;
    say(&app, "u1", "회원가입").await;
    say(&app, "u2", "상품검색").await;
    let db = &app.state.db;
    let now = junggye::clock::now_ms();
    assert!(conversations::load(db, "u1", now).await.unwrap().is_some());
    // Past the idle time the question is gone, and the answer is not taken for it.
    let later = now + IDLE_MS + 1_000;
    assert!(conversations::load(db, "u1", later).await.unwrap().is_none());
    assert_eq!(conversations::purge_expired(db, now).await.unwrap(), 0);
    assert_eq!(conversations::purge_expired(db, later).await.unwrap(), 2);
    let lost = say(&app, "u1", "홍길동").await;
    assert!(lost.contains("잘 모르겠어요"), "{}", lost.text());
}
