//! What members watch, end to end on both databases: keywords (키워드 알림), saved products (찜), the
//! seller's price change, and the alerts that registration, price drops and status changes write into the
//! outbox — exactly the right members, once, never the seller, and nothing at all with the outbox off.

use std::time::Duration;

use junggye::config::{Config, NotifySettings};
use junggye::db::Db;
use junggye::domain::ids::ProductId;
use junggye::kakao_event::EventApiSettings;
use junggye::members::store as members;
use junggye::products::store::{self, ProductFields, Registration};
use junggye::products::{Category, ProductStatus};
use serde_json::Value;

use crate::helpers::{Backend, Reply, TestApp, join, payload};
use crate::on_both_backends;
use crate::products::{quick_reply_extra, seed_product};

on_both_backends!(
    keywords_are_added_listed_and_removed_by_their_owner_only,
    ten_keywords_at_most_and_a_duplicate_is_answered_kindly,
    concurrent_adds_never_pass_ten_keywords,
    keywords_are_checked_like_a_search_query,
    a_registration_alerts_each_matching_member_once,
    keyword_alerts_match_metacharacters_literally_and_ignore_case,
    favourites_are_saved_listed_newest_first_and_removed,
    saving_is_refused_for_own_hidden_deleted_and_unknown_products,
    the_seller_sees_how_many_saved_their_product,
    a_price_change_is_validated_and_made_only_by_the_seller_on_the_price_seen,
    a_price_drop_alerts_the_savers_and_a_rise_alerts_nobody,
    status_changes_alert_the_savers_of_a_sale_and_a_return,
    with_the_outbox_off_nothing_is_written,
    withdrawing_forgets_keywords_and_favourites,
);

// ---------------------------------------------------------------------------------------------
// Support.

/// Notifications on; nothing is sent in tests (no sender runs inside `TestApp`).
fn notify_on(config: &mut Config) {
    config.notify = Some(NotifySettings {
        event_api: EventApiSettings {
            base_url: "http://127.0.0.1:9".into(),
            rest_api_key: "test-key".to_owned().into(),
            bot_id: "bot-1".into(),
            event_name: "notice".into(),
            timeout: Duration::from_secs(1),
        },
        daily_cap: 1000,
        keyword_alerts_per_day: 10,
        recheck_after: Duration::from_secs(60),
        lease: Duration::from_secs(120),
        poll_every: Duration::from_secs(60),
        message_price_won: 0,
    });
}

async fn app(backend: Backend) -> TestApp {
    TestApp::with(backend, notify_on, junggye::router::skill_routes())
        .await
        .with_all_block_ids()
}

async fn app_without_outbox(backend: Backend) -> TestApp {
    TestApp::new(backend).await.with_all_block_ids()
}

/// One row of the outbox, with its recipient's user key.
#[derive(Debug, PartialEq, Eq, sqlx::FromRow)]
struct Notice {
    user_key: String,
    kind: String,
    product_id: Option<i64>,
    subject: String,
    amount: Option<i64>,
    detail: Option<String>,
}

impl Notice {
    fn new(user: &str, kind: &str, product: i64, subject: &str, amount: i64, detail: Option<&str>) -> Self {
        Self {
            user_key: user.into(),
            kind: kind.into(),
            product_id: Some(product),
            subject: subject.into(),
            amount: Some(amount),
            detail: detail.map(str::to_owned),
        }
    }
}

async fn notices(db: &Db) -> Vec<Notice> {
    junggye::dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT m.user_key, n.kind, n.product_id, n.subject, n.amount, n.detail \
             FROM notifications n JOIN members m ON m.id = n.recipient_id ORDER BY m.user_key, n.id",
        )
        .fetch_all(pool)
        .await
        .unwrap()
    })
}

async fn exec(db: &Db, sql: &'static str, user: &str) {
    junggye::dispatch!(db, pool => {
        sqlx::query(sql).bind(user).execute(pool).await.unwrap();
    });
}

async fn count(db: &Db, sql: &'static str) -> i64 {
    junggye::dispatch!(db, pool => { sqlx::query_scalar(sql).fetch_one(pool).await.unwrap() })
}

async fn member_id(app: &TestApp, user: &str) -> junggye::domain::ids::MemberId {
    members::find_active(&app.state.db, user)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Registers a product for `seller` through the store's registration (draft, then product), as the
/// register skill does; returns the product id.
async fn register(app: &TestApp, seller: &str, name: &str, description: &str) -> i64 {
    let fields = ProductFields {
        name,
        price: 30000,
        description,
        category: Category::Digital,
        location: "강남역",
        open_chat_url: "https://open.kakao.com/o/abc",
    };
    let (db, state) = (&app.state.db, &app.state);
    let owner = member_id(app, seller).await;
    let draft_id = store::create_draft(db, owner, &fields, None).await.unwrap();
    let draft = store::get_draft(db, draft_id, owner).await.unwrap().unwrap();
    let Registration::Created(id) = store::register(db, &state.catalog, &state.outbox, &draft, &fields)
        .await
        .unwrap()
    else {
        panic!("not created")
    };
    // A second tap on 등록하기 registers nothing and alerts nobody again.
    let again = store::get_draft(db, draft_id, owner).await.unwrap().unwrap();
    assert_eq!(
        store::register(db, &state.catalog, &state.outbox, &again, &fields)
            .await
            .unwrap(),
        Registration::AlreadyRegistered(id)
    );
    id.get()
}

async fn add_keyword(app: &TestApp, user: &str, keyword: &str) -> Reply {
    app.skill(
        "/skill/keywords/add",
        &payload(user).param("keyword", keyword).build(),
    )
    .await
}

/// Every row of every list card in the answer (a list card, or a carousel of them).
fn list_rows(reply: &Reply) -> Vec<Value> {
    let mut rows = Vec::new();
    for output in reply.0["template"]["outputs"].as_array().unwrap() {
        if let Some(items) = output["listCard"]["items"].as_array() {
            rows.extend(items.iter().cloned());
        }
        if output["carousel"]["type"] == "listCard" {
            for card in output["carousel"]["items"].as_array().unwrap() {
                rows.extend(card["items"].as_array().unwrap().iter().cloned());
            }
        }
    }
    rows
}

fn row_titles(reply: &Reply) -> Vec<String> {
    list_rows(reply)
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_owned())
        .collect()
}

async fn keywords_of(app: &TestApp, user: &str) -> Vec<String> {
    row_titles(&app.skill("/skill/keywords", &payload(user).build()).await)
}

fn product(user: &str, id: i64) -> Value {
    payload(user).extra("productId", &id.to_string()).build()
}

async fn save(app: &TestApp, user: &str, id: i64) -> Reply {
    app.skill("/skill/favourites/add", &product(user, id)).await
}

async fn price_of(db: &Db, id: i64) -> i64 {
    junggye::dispatch!(db, pool => {
        sqlx::query_scalar("SELECT price FROM products WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
    })
}

async fn change_price(app: &TestApp, user: &str, id: i64, price: &str, seen: Option<&str>) -> Reply {
    let mut body = payload(user)
        .extra("productId", &id.to_string())
        .param("price", price);
    if let Some(seen) = seen {
        body = body.extra("seenPrice", seen);
    }
    app.skill("/skill/products/price", &body.build()).await
}

async fn change_status(app: &TestApp, user: &str, id: i64, action: &str, from: ProductStatus) -> Reply {
    let body = payload(user)
        .extra("productId", &id.to_string())
        .extra("action", action)
        .extra("from", from.key())
        .build();
    app.skill("/skill/products/status", &body).await
}

// ---------------------------------------------------------------------------------------------
// 키워드 알림.

async fn keywords_are_added_listed_and_removed_by_their_owner_only(backend: Backend) {
    let app = app(backend).await;
    join(&app, "u1", "김철수").await;
    join(&app, "u2", "이영희").await;

    let empty = app.skill("/skill/keywords", &payload("u1").build()).await;
    assert!(empty.contains("등록한 키워드가 없어요"), "{}", empty.text());
    assert!(list_rows(&empty).is_empty());
    assert!(quick_reply_extra(&empty, "키워드 추가").is_some());

    let added = add_keyword(&app, "u1", "  아이폰  ").await;
    assert!(added.contains("'아이폰' 키워드를 등록했어요"), "{}", added.text());
    assert_eq!(row_titles(&added), ["아이폰"]);
    add_keyword(&app, "u1", "캠핑 의자").await;
    add_keyword(&app, "u2", "아이폰").await;
    let listed = app.skill("/skill/keywords", &payload("u1").build()).await;
    assert_eq!(row_titles(&listed), ["아이폰", "캠핑 의자"]);
    let rows = list_rows(&listed);
    assert_eq!(rows[1]["extra"]["keyword"], "캠핑 의자");
    assert_eq!(rows[1]["description"], "눌러서 삭제");
    assert!(listed.contains("내 키워드 2/10"), "{}", listed.text());

    let removed = app
        .skill(
            "/skill/keywords/remove",
            &payload("u1").extra("keyword", "아이폰").build(),
        )
        .await;
    assert!(
        removed.contains("'아이폰' 키워드를 지웠어요"),
        "{}",
        removed.text()
    );
    assert_eq!(row_titles(&removed), ["캠핑 의자"]);
    assert_eq!(keywords_of(&app, "u2").await, ["아이폰"], "u2's own 아이폰 stays");

    // u2 cannot remove u1's keyword: only the caller's own rows are touched.
    let foreign = app
        .skill(
            "/skill/keywords/remove",
            &payload("u2").extra("keyword", "캠핑 의자").build(),
        )
        .await;
    assert!(foreign.contains("등록된 키워드가 아니에요"), "{}", foreign.text());
    assert_eq!(keywords_of(&app, "u1").await, ["캠핑 의자"]);

    let garbage = app.skill("/skill/keywords/remove", &payload("u1").build()).await;
    assert!(
        garbage.contains("어떤 키워드를 지울지 알 수 없어요"),
        "{}",
        garbage.text()
    );
    assert_eq!(count(&app.state.db, "SELECT COUNT(*) FROM keywords").await, 2);
}

async fn ten_keywords_at_most_and_a_duplicate_is_answered_kindly(backend: Backend) {
    let app = app(backend).await;
    join(&app, "u1", "김철수").await;
    let first = add_keyword(&app, "u1", "iPhone").await;
    assert!(first.contains("등록했어요"));
    let duplicate = add_keyword(&app, "u1", "IPHONE").await;
    assert!(
        duplicate.contains("'IPHONE'은(는) 이미 등록한 키워드예요"),
        "{}",
        duplicate.text()
    );
    assert_eq!(row_titles(&duplicate), ["iPhone"], "kept as first typed");
    for i in 2..=10 {
        let reply = add_keyword(&app, "u1", &format!("키워드{i}")).await;
        assert!(reply.contains("등록했어요"), "{i}: {}", reply.text());
    }
    let full = add_keyword(&app, "u1", "열한번째").await;
    assert!(
        full.contains("키워드는 10개까지 등록할 수 있어요")
            && full.contains("키워드를 하나 지운 뒤 다시 등록해 주세요"),
        "{}",
        full.text()
    );
    assert_eq!(row_titles(&full).len(), 10, "the list to remove one from");
    assert!(quick_reply_extra(&full, "키워드 추가").is_none());
    let again = add_keyword(&app, "u1", "iphone").await;
    assert!(
        again.contains("이미 등록한 키워드예요"),
        "a duplicate is not 'full'"
    );
    assert_eq!(count(&app.state.db, "SELECT COUNT(*) FROM keywords").await, 10);

    app.skill(
        "/skill/keywords/remove",
        &payload("u1").extra("keyword", "키워드5").build(),
    )
    .await;
    let room = add_keyword(&app, "u1", "열한번째").await;
    assert!(room.contains("등록했어요"), "{}", room.text());
    assert_eq!(count(&app.state.db, "SELECT COUNT(*) FROM keywords").await, 10);
}

async fn concurrent_adds_never_pass_ten_keywords(backend: Backend) {
    let app = std::sync::Arc::new(app(backend).await);
    join(&app, "u1", "김철수").await;
    add_keyword(&app, "u1", "처음").await;
    let adds: Vec<_> = (0..20)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move { add_keyword(&app, "u1", &format!("동시{i}")).await })
        })
        .collect();
    let mut added = 0;
    for add in adds {
        let reply = add.await.unwrap();
        if reply.contains("등록했어요") {
            added += 1;
        } else {
            assert!(reply.contains("10개까지"), "{}", reply.text());
        }
    }
    assert_eq!(added, 9);
    assert_eq!(count(&app.state.db, "SELECT COUNT(*) FROM keywords").await, 10);
}

async fn keywords_are_checked_like_a_search_query(backend: Backend) {
    let app = app(backend).await;
    let guest = add_keyword(&app, "guest", "아이폰").await;
    assert!(guest.contains("회원가입이 필요해요"), "{}", guest.text());
    join(&app, "u1", "김철수").await;
    let missing = app.skill("/skill/keywords/add", &payload("u1").build()).await;
    assert!(
        missing.contains("알림 받을 키워드를 입력해 주세요"),
        "{}",
        missing.text()
    );
    for bad in [" \u{200B} ", &"가".repeat(31)] {
        let refused = add_keyword(&app, "u1", bad).await;
        assert!(
            refused.contains("키워드는 1~30자로 입력해 주세요"),
            "{}",
            refused.text()
        );
    }
    let thirty = add_keyword(&app, "u1", &"가".repeat(30)).await;
    assert!(thirty.contains("등록했어요"), "{}", thirty.text());
    let stored: Vec<(String, String)> = junggye::dispatch!(&app.state.db, pool => {
        sqlx::query_as("SELECT keyword, needle FROM keywords").fetch_all(pool).await.unwrap()
    });
    assert_eq!(stored, [("가".repeat(30), "가".repeat(30))]);
}

async fn a_registration_alerts_each_matching_member_once(backend: Backend) {
    let app = app(backend).await;
    for (user, name) in [
        ("seller", "판매자"),
        ("alice", "앨리스"),
        ("bob", "밥밥"),
        ("carol", "캐롤"),
        ("dave", "데이브"),
    ] {
        join(&app, user, name).await;
    }
    // alice has two matching keywords; the seller, a withdrawn member and one with alerts off match too.
    for (user, keyword) in [
        ("alice", "아이폰"),
        ("alice", "프로"),
        ("seller", "아이폰"),
        ("bob", "아이폰"),
        ("carol", "아이폰"),
        ("dave", "갤럭시"),
    ] {
        add_keyword(&app, user, keyword).await;
    }
    let db = &app.state.db;
    exec(db, "UPDATE members SET deleted_at = 1 WHERE user_key = $1", "bob").await;
    exec(
        db,
        "UPDATE members SET alerts_off_at = 1 WHERE user_key = $1",
        "carol",
    )
    .await;

    let id = register(&app, "seller", "아이폰 15 프로", "깨끗해요").await;
    assert_eq!(
        notices(db).await,
        [Notice::new(
            "alice",
            "keyword_match",
            id,
            "아이폰 15 프로",
            30000,
            Some("아이폰")
        )]
    );
    let (state, dedupe): (String, Option<String>) = junggye::dispatch!(db, pool => {
        sqlx::query_as("SELECT state, dedupe_key FROM notifications").fetch_one(pool).await.unwrap()
    });
    assert_eq!(state, "queued");
    assert_eq!(
        dedupe.unwrap(),
        format!("keyword:{}:{id}", member_id(&app, "alice").await)
    );

    let other = register(&app, "seller", "갤럭시 S24", "아이폰 아님").await;
    let rows = notices(db).await;
    assert_eq!(
        rows[1..],
        [
            Notice::new(
                "alice",
                "keyword_match",
                other,
                "갤럭시 S24",
                30000,
                Some("아이폰")
            ),
            Notice::new(
                "dave",
                "keyword_match",
                other,
                "갤럭시 S24",
                30000,
                Some("갤럭시")
            ),
        ],
        "the description matches too"
    );
    let none = register(&app, "alice", "캠핑 의자", "접이식").await;
    assert!(notices(db).await.iter().all(|n| n.product_id != Some(none)));
}

async fn keyword_alerts_match_metacharacters_literally_and_ignore_case(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    let watchers = [
        ("u01", "IPHONE 15", true),
        ("u02", "100%", true),
        ("u03", "%", true),
        ("u04", "케이스_포함", true),
        ("u05", "C:\\Path", true),
        ("u06", "1_0", false),
        ("u07", "배터리%유지", false),
        ("u08", "c:path", false),
        ("u09", "_", true),
        ("u10", "\\", true),
        ("u11", "%%", false),
        ("u12", "케이스x포함", false),
    ];
    for (i, (user, keyword, _)) in watchers.iter().enumerate() {
        join(&app, user, &format!("회원{i}")).await;
        add_keyword(&app, user, keyword).await;
    }
    let id = register(
        &app,
        "seller",
        "iPhone 15 Pro",
        "배터리 100% 유지, 케이스_포함\nC:\\path 에서 백업",
    )
    .await;
    let alerted: Vec<(String, Option<String>)> = notices(&app.state.db)
        .await
        .into_iter()
        .map(|n| {
            assert_eq!(n.product_id, Some(id));
            (n.user_key, n.detail)
        })
        .collect();
    let expected: Vec<(String, Option<String>)> = watchers
        .iter()
        .filter(|(_, _, matches)| *matches)
        .map(|(user, keyword, _)| (user.to_string(), Some(keyword.to_string())))
        .collect();
    assert_eq!(alerted, expected);
}

// ---------------------------------------------------------------------------------------------
// 찜.

async fn favourites_are_saved_listed_newest_first_and_removed(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "buyer", "구매자").await;
    let db = &app.state.db;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            seed_product(
                db,
                "seller",
                &format!("상품{i}"),
                Category::Etc,
                ProductStatus::OnSale,
            )
            .await,
        );
    }
    let empty = app.skill("/skill/favourites", &payload("buyer").build()).await;
    assert!(empty.contains("찜한 상품이 없어요"), "{}", empty.text());

    // Saved in an order other than their ids.
    let order = [3, 0, 6, 1, 5, 2, 4];
    for i in order {
        let reply = save(&app, "buyer", ids[i]).await;
        assert!(
            reply.contains(&format!("'상품{i}'을(를) 찜했어요")),
            "{}",
            reply.text()
        );
    }
    let again = save(&app, "buyer", ids[3]).await;
    assert!(again.contains("이미 찜한 상품이에요"), "{}", again.text());
    assert_eq!(count(db, "SELECT COUNT(*) FROM favourites").await, 7);
    // Saves two by two in one millisecond, so the order does not hang on the clock and the page
    // boundary falls between two saved at once.
    for (k, i) in order.into_iter().enumerate() {
        junggye::dispatch!(db, pool => {
            sqlx::query("UPDATE favourites SET created_at = $1 WHERE product_id = $2")
                .bind(1000 + (k / 2) as i64)
                .bind(ids[i])
                .execute(pool)
                .await
                .unwrap();
        });
    }

    // One of them sells, one is hidden by its seller.
    change_status(&app, "seller", ids[5], "sold", ProductStatus::OnSale).await;
    change_status(&app, "seller", ids[2], "hide", ProductStatus::OnSale).await;

    let first = app.skill("/skill/favourites", &payload("buyer").build()).await;
    assert_eq!(
        row_titles(&first),
        ["상품4", "상품5 (판매완료)", "상품6", "상품1", "상품3"],
        "newest saved first (then the newer product); hidden left out"
    );
    let rows = list_rows(&first);
    assert_eq!(rows[1]["description"], "15,000원 · 판매완료");
    assert_eq!(rows[0]["description"], "15,000원 · 판매중");
    assert_eq!(rows[0]["extra"]["productId"], ids[4].to_string());
    let cursor = quick_reply_extra(&first, "더보기").expect("a second page");
    let second = app
        .skill(
            "/skill/favourites",
            &payload("buyer")
                .extra("cursor", cursor["cursor"].as_str().unwrap())
                .build(),
        )
        .await;
    assert_eq!(
        row_titles(&second),
        ["상품0"],
        "saved in the same millisecond as 상품3"
    );
    assert!(quick_reply_extra(&second, "더보기").is_none());

    let paged_out = app
        .skill(
            "/skill/favourites",
            &payload("buyer").extra("cursor", "1000.1").build(),
        )
        .await;
    assert!(
        paged_out.contains("더 볼 찜한 상품이 없어요"),
        "{}",
        paged_out.text()
    );

    let detail = app
        .skill("/skill/products/detail", &product("buyer", ids[3]))
        .await;
    assert_eq!(
        quick_reply_extra(&detail, "찜 해제").unwrap()["productId"],
        ids[3].to_string()
    );
    assert!(quick_reply_extra(&detail, "찜하기").is_none());
    let removed = app
        .skill("/skill/favourites/remove", &product("buyer", ids[3]))
        .await;
    assert!(removed.contains("찜을 해제했어요"), "{}", removed.text());
    let twice = app
        .skill("/skill/favourites/remove", &product("buyer", ids[3]))
        .await;
    assert!(twice.contains("찜한 상품이 아니에요"), "{}", twice.text());
    let detail = app
        .skill("/skill/products/detail", &product("buyer", ids[3]))
        .await;
    assert!(quick_reply_extra(&detail, "찜하기").is_some());
    assert_eq!(count(db, "SELECT COUNT(*) FROM favourites").await, 6);
    let after = app.skill("/skill/favourites", &payload("buyer").build()).await;
    assert!(!row_titles(&after).contains(&"상품3".to_owned()));
}

async fn saving_is_refused_for_own_hidden_deleted_and_unknown_products(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "buyer", "구매자").await;
    let db = &app.state.db;
    let own = seed_product(db, "seller", "내것", Category::Etc, ProductStatus::OnSale).await;
    let hidden = seed_product(db, "seller", "숨긴것", Category::Etc, ProductStatus::Hidden).await;
    let deleted = seed_product(db, "seller", "지운것", Category::Etc, ProductStatus::Deleted).await;

    let mine = save(&app, "seller", own).await;
    assert!(
        mine.contains("내가 등록한 상품은 찜할 수 없어요"),
        "{}",
        mine.text()
    );
    let hidden_own = save(&app, "seller", hidden).await;
    assert!(hidden_own.contains("내가 등록한 상품은 찜할 수 없어요"));
    for id in [hidden, deleted, 999_999] {
        let refused = save(&app, "buyer", id).await;
        assert!(
            refused.contains("찾을 수 없는 상품이에요"),
            "{id}: {}",
            refused.text()
        );
    }
    let garbage = app
        .skill(
            "/skill/favourites/add",
            &payload("buyer").extra("productId", "1 OR 1=1").build(),
        )
        .await;
    assert!(
        garbage.contains("어떤 상품인지 알 수 없어요"),
        "{}",
        garbage.text()
    );
    let guest = save(&app, "guest", own).await;
    assert!(guest.contains("회원가입이 필요해요"));
    assert_eq!(count(db, "SELECT COUNT(*) FROM favourites").await, 0);

    // The seller's own detail offers no 찜하기.
    let detail = app.skill("/skill/products/detail", &product("seller", own)).await;
    assert!(quick_reply_extra(&detail, "찜하기").is_none());
    assert!(quick_reply_extra(&detail, "가격 변경").is_some());
}

async fn the_seller_sees_how_many_saved_their_product(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "a", "가가가").await;
    join(&app, "b", "나나나").await;
    let db = &app.state.db;
    let id = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    let other = seed_product(db, "seller", "헬멧", Category::Sports, ProductStatus::OnSale).await;
    save(&app, "a", id).await;
    save(&app, "b", id).await;
    save(&app, "a", other).await;

    let facts = |reply: &Reply| -> Vec<(String, String)> {
        reply.0["template"]["outputs"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|o| o["itemCard"]["itemList"].as_array())
            .flatten()
            .map(|r| {
                (
                    r["title"].as_str().unwrap().to_owned(),
                    r["description"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let owner = app.skill("/skill/products/detail", &product("seller", id)).await;
    assert!(
        facts(&owner).contains(&("찜".to_owned(), "2명".to_owned())),
        "{:?}",
        facts(&owner)
    );
    let visitor = app.skill("/skill/products/detail", &product("a", id)).await;
    assert!(facts(&visitor).iter().any(|(title, _)| title == "가격"));
    assert!(facts(&visitor).iter().all(|(title, _)| title != "찜"));
    assert!(quick_reply_extra(&visitor, "찜 해제").is_some(), "a saved it");
    let guest = app.skill("/skill/products/detail", &product("guest", id)).await;
    assert!(quick_reply_extra(&guest, "찜하기").is_some());
    assert!(facts(&guest).iter().any(|(title, _)| title == "가격"));
    assert!(facts(&guest).iter().all(|(title, _)| title != "찜"));
}

// ---------------------------------------------------------------------------------------------
// 가격 변경.

async fn a_price_change_is_validated_and_made_only_by_the_seller_on_the_price_seen(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "other", "다른이").await;
    let db = &app.state.db;
    let id = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;

    let detail = app.skill("/skill/products/detail", &product("seller", id)).await;
    let offered = quick_reply_extra(&detail, "가격 변경").expect("offered to the owner");
    assert_eq!(offered["productId"], id.to_string());
    assert_eq!(offered["seenPrice"], "15000");
    let visitor = app.skill("/skill/products/detail", &product("other", id)).await;
    assert!(quick_reply_extra(&visitor, "가격 변경").is_none());
    assert!(quick_reply_extra(&visitor, "찜하기").is_some());

    for (input, message) in [
        ("12.5", "가격은 원 단위의 정수로 입력해 주세요"),
        ("3000000000", "가격은 0원부터 10억 원까지"),
        ("싸게", "가격은 숫자로 입력해 주세요"),
    ] {
        let refused = change_price(&app, "seller", id, input, Some("15000")).await;
        assert!(refused.contains(message), "{input}: {}", refused.text());
    }
    let missing = app
        .skill(
            "/skill/products/price",
            &payload("seller").extra("productId", &id.to_string()).build(),
        )
        .await;
    assert!(missing.contains("새 가격을 입력해 주세요"), "{}", missing.text());
    let not_theirs = change_price(&app, "other", id, "1000", Some("15000")).await;
    assert!(not_theirs.contains("내가 등록한 상품만 가격을 바꿀 수 있어요"));
    let guest = change_price(&app, "guest", id, "1000", Some("15000")).await;
    assert!(guest.contains("회원가입이 필요해요"));
    let stale = change_price(&app, "seller", id, "1000", Some("20000")).await;
    assert!(
        stale.contains("그사이 상품 가격이나 상태가 바뀌었어요"),
        "{}",
        stale.text()
    );
    let forged = change_price(&app, "seller", id, "1000", Some("싸게")).await;
    assert!(forged.contains("그사이 상품 가격이나 상태가 바뀌었어요"));
    assert_eq!(price_of(db, id).await, 15000, "nothing changed yet");

    let same = change_price(&app, "seller", id, "1만 5천원", Some("15000")).await;
    assert!(
        same.contains("'자전거'은(는) 이미 15,000원이에요"),
        "{}",
        same.text()
    );
    let changed = change_price(&app, "seller", id, "1만 2천원", Some("15000")).await;
    assert!(
        changed.contains("'자전거' 가격을 15,000원에서 12,000원(으)로 바꿨어요"),
        "{}",
        changed.text()
    );
    assert_eq!(price_of(db, id).await, 12000);
    // The same old screen again: the price it saw is gone.
    let replay = change_price(&app, "seller", id, "10000", Some("15000")).await;
    assert!(replay.contains("그사이 상품 가격이나 상태가 바뀌었어요"));
    assert_eq!(price_of(db, id).await, 12000);
    // Without a seen price (typed, not from our button) the current price is the one seen.
    let typed = change_price(&app, "seller", id, "나눔", None).await;
    assert!(typed.contains("0원(으)로 바꿨어요"), "{}", typed.text());
    assert_eq!(price_of(db, id).await, 0);

    // Reserved still may; hidden, sold and in-payment products may not.
    let reserved = seed_product(db, "seller", "예약", Category::Etc, ProductStatus::Reserved).await;
    assert!(
        change_price(&app, "seller", reserved, "9000", Some("15000"))
            .await
            .contains("바꿨어요")
    );
    assert_eq!(price_of(db, reserved).await, 9000);
    for status in [
        ProductStatus::Hidden,
        ProductStatus::Sold,
        ProductStatus::PendingPayment,
    ] {
        let frozen = seed_product(db, "seller", "묶임", Category::Etc, status).await;
        let refused = change_price(&app, "seller", frozen, "9000", Some("15000")).await;
        assert!(
            refused.contains(&format!(
                "'{}' 상태인 상품은 가격을 바꿀 수 없어요",
                status.label()
            )),
            "{status:?}: {}",
            refused.text()
        );
        assert_eq!(price_of(db, frozen).await, 15000);
        let detail = app
            .skill("/skill/products/detail", &product("seller", frozen))
            .await;
        assert!(quick_reply_extra(&detail, "가격 변경").is_none(), "{status:?}");
        assert!(detail.contains(status.label()), "{status:?}: {}", detail.text());
    }
    let hidden = seed_product(db, "seller", "숨김", Category::Etc, ProductStatus::Hidden).await;
    let unseen = change_price(&app, "other", hidden, "9000", Some("15000")).await;
    assert!(unseen.contains("찾을 수 없는 상품이에요"), "{}", unseen.text());
}

async fn a_price_drop_alerts_the_savers_and_a_rise_alerts_nobody(backend: Backend) {
    let app = app(backend).await;
    for (user, name) in [
        ("seller", "판매자"),
        ("a", "가가가"),
        ("b", "나나나"),
        ("c", "다다다"),
    ] {
        join(&app, user, name).await;
    }
    let db = &app.state.db;
    let id = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    let other = seed_product(db, "seller", "헬멧", Category::Sports, ProductStatus::OnSale).await;
    save(&app, "a", id).await;
    save(&app, "b", id).await;
    save(&app, "c", other).await;
    exec(
        db,
        "UPDATE members SET alerts_off_at = 1 WHERE user_key = $1",
        "b",
    )
    .await;
    // A saver who is also the seller cannot exist through the skills; a row written by hand is still
    // never alerted.
    exec(
        db,
        "INSERT INTO favourites (member_id, product_id, created_at) \
         SELECT id, (SELECT MIN(id) FROM products), 1 FROM members WHERE user_key = $1",
        "seller",
    )
    .await;

    change_price(&app, "seller", id, "20000", Some("15000")).await;
    assert_eq!(notices(db).await, [], "a rise alerts nobody");
    change_price(&app, "seller", id, "12000", Some("20000")).await;
    assert_eq!(
        notices(db).await,
        [Notice::new("a", "price_drop", id, "자전거", 12000, Some("20000"))]
    );
}

async fn status_changes_alert_the_savers_of_a_sale_and_a_return(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "fan", "팬팬팬").await;
    let db = &app.state.db;
    let id = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    save(&app, "fan", id).await;
    let kinds = || async { notices(db).await.into_iter().map(|n| n.kind).collect::<Vec<_>>() };

    change_status(&app, "seller", id, "reserve", ProductStatus::OnSale).await;
    assert_eq!(kinds().await, Vec::<String>::new(), "a reservation alerts nobody");
    change_status(&app, "seller", id, "unreserve", ProductStatus::Reserved).await;
    assert_eq!(kinds().await, ["favourite_back"]);
    change_status(&app, "seller", id, "hide", ProductStatus::OnSale).await;
    change_status(&app, "seller", id, "show", ProductStatus::Hidden).await;
    assert_eq!(
        kinds().await,
        ["favourite_back"],
        "hiding and showing alert nobody"
    );
    // A stale button (the product is on sale, not reserved) changes nothing and alerts nobody.
    change_status(&app, "seller", id, "sold", ProductStatus::Reserved).await;
    assert_eq!(kinds().await, ["favourite_back"]);
    change_status(&app, "seller", id, "sold", ProductStatus::OnSale).await;
    assert_eq!(kinds().await, ["favourite_back", "favourite_sold"]);
    let rows = notices(db).await;
    assert_eq!(
        rows[1],
        Notice::new("fan", "favourite_sold", id, "자전거", 15000, None)
    );

    // Back on sale after a sale (the seller's hand has no such action; the store's rule still holds).
    let state = &app.state;
    let seller = member_id(&app, "seller").await;
    let back = store::change_status(
        db,
        &state.catalog,
        &state.outbox,
        ProductId::new(id),
        seller,
        ProductStatus::Sold,
        ProductStatus::OnSale,
    )
    .await
    .unwrap();
    assert!(back);
    assert_eq!(
        kinds().await,
        ["favourite_back", "favourite_sold", "favourite_back"]
    );
    change_status(&app, "seller", id, "reserve", ProductStatus::OnSale).await;
    change_status(&app, "seller", id, "sold", ProductStatus::Reserved).await;
    assert_eq!(
        kinds().await,
        [
            "favourite_back",
            "favourite_sold",
            "favourite_back",
            "favourite_sold"
        ]
    );
}

async fn with_the_outbox_off_nothing_is_written(backend: Backend) {
    let app = app_without_outbox(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "fan", "팬팬팬").await;
    add_keyword(&app, "fan", "자전거").await;
    let id = register(&app, "seller", "자전거", "새것").await;
    save(&app, "fan", id).await;
    change_price(&app, "seller", id, "10000", Some("30000")).await;
    change_status(&app, "seller", id, "reserve", ProductStatus::OnSale).await;
    change_status(&app, "seller", id, "unreserve", ProductStatus::Reserved).await;
    change_status(&app, "seller", id, "sold", ProductStatus::OnSale).await;
    let db = &app.state.db;
    assert_eq!(price_of(db, id).await, 10000);
    assert_eq!(count(db, "SELECT COUNT(*) FROM notifications").await, 0);
}

async fn withdrawing_forgets_keywords_and_favourites(backend: Backend) {
    let app = app(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "fan", "팬팬팬").await;
    let db = &app.state.db;
    let id = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    add_keyword(&app, "fan", "자전거").await;
    save(&app, "fan", id).await;
    let bye = app
        .skill(
            "/skill/members/me/withdraw",
            &payload("fan").extra("confirm", "yes").build(),
        )
        .await;
    assert!(bye.contains("탈퇴가 완료되었어요"), "{}", bye.text());
    assert_eq!(count(db, "SELECT COUNT(*) FROM keywords").await, 0);
    assert_eq!(count(db, "SELECT COUNT(*) FROM favourites").await, 0);
    let owner = app.skill("/skill/products/detail", &product("seller", id)).await;
    assert!(owner.contains("0명"), "{}", owner.text());
}
