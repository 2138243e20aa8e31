//! The market skills end to end on both databases: browse, search, detail, status changes, my products.

use std::sync::Arc;

use junggye::db::Db;
use junggye::products::{Category, ProductStatus, StatusAction};
use serde_json::Value;

use crate::helpers::{Backend, Reply, TestApp, join, payload};
use crate::on_both_backends;

on_both_backends!(
    the_main_list_shows_listed_products_newest_first,
    pagination_has_more_exactly_when_there_is_a_next_page,
    a_category_list_shows_only_that_category,
    search_matches_name_and_description_literally,
    detail_shows_public_products_to_anyone_and_hidden_ones_only_to_the_owner,
    every_allowed_transition_applies_and_every_other_is_refused,
    nobody_but_the_seller_can_change_a_product,
    fifty_concurrent_status_changes_let_exactly_one_through,
    my_products_lists_the_callers_products_by_status,
    withdrawing_takes_listings_down_and_is_refused_during_a_sale,
    changes_show_in_cached_lists_and_details_at_once,
    a_new_search_typed_at_a_more_prompt_starts_from_the_first_page,
);

/// Inserts a product directly (registration has its own tests); returns its id.
pub async fn seed_product(
    db: &Db,
    seller: &str,
    name: &str,
    category: Category,
    status: ProductStatus,
) -> i64 {
    seed_product_with(db, seller, name, "깨끗하게 사용했어요.", category, status).await
}

pub async fn seed_product_with(
    db: &Db,
    seller: &str,
    name: &str,
    description: &str,
    category: Category,
    status: ProductStatus,
) -> i64 {
    junggye::dispatch!(db, pool => {
        let (seller_id,): (i64,) = sqlx::query_as("SELECT id FROM members WHERE user_key = $1 AND deleted_at IS NULL")
            .bind(seller).fetch_one(pool).await.expect("seller joined");
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, search_text, status, created_at, updated_at, listed_at) \
             VALUES ($1, $2, 15000, $3, $4, '강남역', 'https://open.kakao.com/o/abc', $5, $6, $7, $7, $7) RETURNING id",
        )
        .bind(seller_id).bind(name).bind(description).bind(category.key())
        .bind(junggye::products::store::search_text(name, description)).bind(status.key()).bind(junggye::clock::now_ms())
        .fetch_one(pool).await.unwrap();
        id
    })
}

async fn status_of(db: &Db, id: i64) -> ProductStatus {
    let key: String = junggye::dispatch!(db, pool => {
        sqlx::query_scalar("SELECT status FROM products WHERE id = $1").bind(id).fetch_one(pool).await.unwrap()
    });
    ProductStatus::parse(&key).unwrap()
}

/// Titles of the commerce cards in the answer's carousel.
pub fn card_titles(reply: &Reply) -> Vec<String> {
    reply.0["template"]["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|o| o["carousel"]["items"].as_array())
        .flatten()
        .filter_map(|c| c["title"].as_str().map(str::to_owned))
        .collect()
}

/// The `clientExtra` a quick reply labelled `label` would send, if it is there.
pub fn quick_reply_extra(reply: &Reply, label: &str) -> Option<Value> {
    reply.0["template"]["quickReplies"]
        .as_array()?
        .iter()
        .find(|q| q["label"] == label)
        .map(|q| q["extra"].clone())
}

async fn app_with_nav(backend: Backend) -> TestApp {
    TestApp::new(backend).await.with_all_block_ids()
}

async fn the_main_list_shows_listed_products_newest_first(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    let db = &app.state.db;
    seed_product(db, "seller", "첫째", Category::Books, ProductStatus::OnSale).await;
    seed_product(db, "seller", "숨긴것", Category::Books, ProductStatus::Hidden).await;
    seed_product(db, "seller", "둘째", Category::Digital, ProductStatus::Reserved).await;
    seed_product(db, "seller", "팔린것", Category::Digital, ProductStatus::Sold).await;
    seed_product(db, "seller", "지운것", Category::Digital, ProductStatus::Deleted).await;
    seed_product(
        db,
        "seller",
        "결제중",
        Category::Digital,
        ProductStatus::PendingPayment,
    )
    .await;
    seed_product(db, "seller", "셋째", Category::Etc, ProductStatus::OnSale).await;

    let reply = app.skill("/skill/products", &payload("visitor").build()).await;
    assert_eq!(card_titles(&reply), ["셋째", "둘째 (예약중)", "첫째"]);
    assert!(quick_reply_extra(&reply, "더보기").is_none());
    let card = &reply.0["template"]["outputs"][0]["carousel"]["items"][0];
    assert_eq!(card["price"], 15000);
    assert!(
        card["description"].as_str().unwrap().starts_with("기타 · "),
        "{card}"
    );
    assert_eq!(card["profile"]["nickname"], "판매자");
    assert!(
        card["thumbnails"][0]["imageUrl"]
            .as_str()
            .unwrap()
            .ends_with("/static/no-photo.png")
    );
    assert!(
        card["buttons"][0]["extra"]["productId"]
            .as_str()
            .unwrap()
            .parse::<i64>()
            .unwrap()
            > 0
    );
}

async fn pagination_has_more_exactly_when_there_is_a_next_page(backend: Backend) {
    for count in [0usize, 1, 10, 11, 21] {
        let app = app_with_nav(backend).await;
        join(&app, "seller", "판매자").await;
        for i in 0..count {
            seed_product(
                &app.state.db,
                "seller",
                &format!("상품{i}"),
                Category::Etc,
                ProductStatus::OnSale,
            )
            .await;
        }
        let mut seen = Vec::new();
        let mut request = payload("visitor").build();
        for _page in 0..5 {
            let reply = app.skill("/skill/products", &request).await;
            let titles = card_titles(&reply);
            assert!(titles.len() <= 10);
            seen.extend(titles);
            match quick_reply_extra(&reply, "더보기") {
                Some(extra) => {
                    request = payload("visitor")
                        .extra("cursor", extra["cursor"].as_str().unwrap())
                        .build();
                }
                None => break,
            }
        }
        let expected: Vec<String> = (0..count).rev().map(|i| format!("상품{i}")).collect();
        assert_eq!(seen, expected, "{count} products");
        if count == 0 {
            let reply = app.skill("/skill/products", &payload("visitor").build()).await;
            assert!(reply.contains("아직 판매 중인 상품이 없어요"));
        }
    }
}

async fn a_category_list_shows_only_that_category(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    seed_product(
        &app.state.db,
        "seller",
        "책",
        Category::Books,
        ProductStatus::OnSale,
    )
    .await;
    seed_product(
        &app.state.db,
        "seller",
        "폰",
        Category::Digital,
        ProductStatus::OnSale,
    )
    .await;
    seed_product(
        &app.state.db,
        "seller",
        "숨긴책",
        Category::Books,
        ProductStatus::Hidden,
    )
    .await;
    let reply = app
        .skill(
            "/skill/products/category",
            &payload("v").extra("category", "books").build(),
        )
        .await;
    assert_eq!(card_titles(&reply), ["책"]);
    let by_label = app
        .skill(
            "/skill/products/category",
            &payload("v").extra("category", "도서").build(),
        )
        .await;
    assert_eq!(card_titles(&by_label), ["책"]);
    let empty = app
        .skill(
            "/skill/products/category",
            &payload("v").extra("category", "sports").build(),
        )
        .await;
    assert!(
        empty.contains("스포츠/레저 카테고리에는 아직"),
        "{}",
        empty.text()
    );
    let bad = app
        .skill(
            "/skill/products/category",
            &payload("v").extra("category", "weapons").build(),
        )
        .await;
    assert!(bad.contains("카테고리를 다시 골라"), "{}", bad.text());

    let picker = app
        .skill("/skill/products/categories", &payload("v").build())
        .await;
    let rows: Vec<&Value> = picker.0["template"]["outputs"][1]["carousel"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|card| card["items"].as_array().unwrap())
        .collect();
    assert_eq!(rows.len(), 10, "all ten categories are offered");
    assert!(picker.quick_reply_labels().len() <= 10);
    let register = app
        .skill(
            "/skill/products/categories",
            &payload("v").extra("purpose", "register").build(),
        )
        .await;
    assert!(
        register.contains("회원가입이 필요해요"),
        "registering needs membership"
    );
}

async fn search_matches_name_and_description_literally(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    let db = &app.state.db;
    seed_product_with(
        db,
        "seller",
        "아이폰 15 프로",
        "배터리 100%",
        Category::Digital,
        ProductStatus::OnSale,
    )
    .await;
    seed_product_with(
        db,
        "seller",
        "snake_case 책",
        "it's \"quoted\"",
        Category::Books,
        ProductStatus::OnSale,
    )
    .await;
    seed_product_with(
        db,
        "seller",
        "갤럭시",
        "아이폰 아님",
        Category::Digital,
        ProductStatus::Reserved,
    )
    .await;
    seed_product_with(
        db,
        "seller",
        "숨긴 아이폰",
        "x",
        Category::Digital,
        ProductStatus::Hidden,
    )
    .await;
    seed_product_with(
        db,
        "seller",
        "Old iPhone",
        "case",
        Category::Digital,
        ProductStatus::OnSale,
    )
    .await;

    let search = |q: &str| payload("v").param("query", q).build();
    let titles = |r: &Reply| card_titles(r);
    assert_eq!(
        titles(&app.skill("/skill/products/search", &search("아이폰")).await),
        ["갤럭시 (예약중)", "아이폰 15 프로"]
    );
    assert_eq!(
        titles(&app.skill("/skill/products/search", &search("100%")).await),
        ["아이폰 15 프로"]
    );
    assert!(
        titles(&app.skill("/skill/products/search", &search("%")).await) == ["아이폰 15 프로"],
        "% is literal"
    );
    assert_eq!(
        titles(&app.skill("/skill/products/search", &search("_")).await),
        ["snake_case 책"],
        "_ is literal"
    );
    assert_eq!(
        titles(&app.skill("/skill/products/search", &search("'s \"quo")).await),
        ["snake_case 책"]
    );
    assert_eq!(
        titles(&app.skill("/skill/products/search", &search("IPHONE")).await),
        ["Old iPhone"],
        "case-insensitive"
    );
    let none = app.skill("/skill/products/search", &search("냉장고")).await;
    assert!(
        none.contains("'냉장고'(으)로 찾은 상품이 없어요"),
        "{}",
        none.text()
    );
    let empty = app.skill("/skill/products/search", &payload("v").build()).await;
    assert!(empty.contains("검색어를 입력해"), "{}", empty.text());
    let long = app
        .skill("/skill/products/search", &search(&"가".repeat(31)))
        .await;
    assert!(long.contains("1~30자"), "{}", long.text());
    let later_page = app
        .skill(
            "/skill/products/search",
            &payload("v").extra("query", "아이폰").build(),
        )
        .await;
    assert_eq!(
        titles(&later_page).len(),
        2,
        "the query also comes from clientExtra"
    );
}

async fn detail_shows_public_products_to_anyone_and_hidden_ones_only_to_the_owner(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "buyer", "구매자").await;
    let db = &app.state.db;
    let on_sale = seed_product(db, "seller", "자전거", Category::Sports, ProductStatus::OnSale).await;
    let hidden = seed_product(
        db,
        "seller",
        "숨긴 자전거",
        Category::Sports,
        ProductStatus::Hidden,
    )
    .await;
    let deleted = seed_product(
        db,
        "seller",
        "지운 자전거",
        Category::Sports,
        ProductStatus::Deleted,
    )
    .await;
    let detail = |user: &str, id: i64| payload(user).extra("productId", &id.to_string()).build();

    for viewer in ["buyer", "stranger"] {
        let reply = app
            .skill("/skill/products/detail", &detail(viewer, on_sale))
            .await;
        let text = reply.text();
        assert!(
            text.contains("자전거") && text.contains("15,000원") && text.contains("강남역"),
            "{text}"
        );
        assert!(text.contains("깨끗하게 사용했어요"), "{text}");
        assert!(
            !reply.quick_reply_labels().contains(&"숨기기".to_owned()),
            "no owner actions for {viewer}"
        );
        for id in [hidden, deleted] {
            let refused = app.skill("/skill/products/detail", &detail(viewer, id)).await;
            assert!(
                refused.contains("찾을 수 없는 상품"),
                "{viewer} must not see {id}"
            );
        }
    }
    let owner = app
        .skill("/skill/products/detail", &detail("seller", on_sale))
        .await;
    let labels = owner.quick_reply_labels();
    for action in [
        StatusAction::Reserve,
        StatusAction::MarkSold,
        StatusAction::Hide,
        StatusAction::Delete,
    ] {
        assert!(labels.contains(&action.label().to_owned()), "{labels:?}");
    }
    let hidden_for_owner = app
        .skill("/skill/products/detail", &detail("seller", hidden))
        .await;
    assert!(hidden_for_owner.contains("숨김"), "{}", hidden_for_owner.text());
    let garbage = app
        .skill(
            "/skill/products/detail",
            &payload("buyer").extra("productId", "1; DROP").build(),
        )
        .await;
    assert!(garbage.contains("어떤 상품인지 알 수 없어요"));
    let missing = app
        .skill("/skill/products/detail", &detail("buyer", 999_999))
        .await;
    assert!(missing.contains("찾을 수 없는 상품"));
}

async fn every_allowed_transition_applies_and_every_other_is_refused(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    for from in ProductStatus::ALL {
        for action in StatusAction::ALL {
            let id = seed_product(&app.state.db, "seller", "물건", Category::Etc, from).await;
            let body = payload("seller")
                .extra("productId", &id.to_string())
                .extra("action", action.key())
                .build();
            let reply = app.skill("/skill/products/status", &body).await;
            match from.after(action) {
                Some(to) => {
                    assert_eq!(status_of(&app.state.db, id).await, to, "{from:?} + {action:?}");
                    assert!(reply.contains("바꿨어요"), "{}", reply.text());
                }
                None => {
                    assert_eq!(
                        status_of(&app.state.db, id).await,
                        from,
                        "{from:?} + {action:?} must be refused"
                    );
                    assert!(!reply.contains("바꿨어요"), "{}", reply.text());
                }
            }
        }
    }
    let stale_id = seed_product(
        &app.state.db,
        "seller",
        "물건",
        Category::Etc,
        ProductStatus::Hidden,
    )
    .await;
    let stale = payload("seller")
        .extra("productId", &stale_id.to_string())
        .extra("action", "delete")
        .extra("from", "on_sale")
        .build();
    assert!(
        app.skill("/skill/products/status", &stale)
            .await
            .contains("그사이"),
        "a stale button is refused"
    );
    assert_eq!(status_of(&app.state.db, stale_id).await, ProductStatus::Hidden);
    let unknown = payload("seller")
        .extra("productId", "1")
        .extra("action", "teleport")
        .build();
    assert!(
        app.skill("/skill/products/status", &unknown)
            .await
            .contains("무엇을 할지 알 수 없어요")
    );
}

async fn nobody_but_the_seller_can_change_a_product(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "other", "다른사람").await;
    for action in StatusAction::ALL {
        for from in [
            ProductStatus::OnSale,
            ProductStatus::Hidden,
            ProductStatus::Reserved,
            ProductStatus::Sold,
        ] {
            let id = seed_product(&app.state.db, "seller", "물건", Category::Etc, from).await;
            for intruder in ["other", "not-a-member"] {
                let body = payload(intruder)
                    .extra("productId", &id.to_string())
                    .extra("action", action.key())
                    .build();
                let reply = app.skill("/skill/products/status", &body).await;
                assert!(
                    !reply.contains("바꿨어요"),
                    "{intruder} changed {from:?} with {action:?}"
                );
                assert_eq!(status_of(&app.state.db, id).await, from);
            }
        }
    }
}

async fn fifty_concurrent_status_changes_let_exactly_one_through(backend: Backend) {
    let app = Arc::new(app_with_nav(backend).await);
    join(&app, "seller", "판매자").await;
    let id = seed_product(
        &app.state.db,
        "seller",
        "인기상품",
        Category::Etc,
        ProductStatus::OnSale,
    )
    .await;
    let actions = [
        StatusAction::Reserve,
        StatusAction::Hide,
        StatusAction::MarkSold,
        StatusAction::Delete,
    ];
    let mut tasks = Vec::new();
    for i in 0..50 {
        let app = app.clone();
        let action = actions[i % actions.len()];
        tasks.push(tokio::spawn(async move {
            // Every change is made from the detail view the seller saw: the product on sale.
            let body = payload("seller")
                .extra("productId", &id.to_string())
                .extra("action", action.key())
                .extra("from", "on_sale")
                .build();
            (action, app.skill("/skill/products/status", &body).await)
        }));
    }
    let mut winners = Vec::new();
    for task in tasks {
        let (action, reply) = task.await.unwrap();
        if reply.contains("바꿨어요") {
            winners.push(action);
        } else {
            let text = reply.text();
            assert!(text.contains("그사이") || text.contains("할 수 없어요"), "{text}");
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(
        status_of(&app.state.db, id).await,
        ProductStatus::OnSale.after(winners[0]).unwrap()
    );
}

async fn my_products_lists_the_callers_products_by_status(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "other", "다른사람").await;
    let db = &app.state.db;
    seed_product(db, "seller", "판매중", Category::Etc, ProductStatus::OnSale).await;
    seed_product(db, "seller", "숨김", Category::Etc, ProductStatus::Hidden).await;
    seed_product(db, "seller", "삭제", Category::Etc, ProductStatus::Deleted).await;
    seed_product(db, "other", "남의것", Category::Etc, ProductStatus::OnSale).await;
    let all = app
        .skill("/skill/products/mine", &payload("seller").build())
        .await;
    assert_eq!(
        card_titles(&all),
        ["숨김 (숨김)", "판매중"],
        "on sale is the normal state, not labelled"
    );
    let hidden = app
        .skill(
            "/skill/products/mine",
            &payload("seller").extra("status", "hidden").build(),
        )
        .await;
    assert_eq!(card_titles(&hidden), ["숨김 (숨김)"]);
    let sold = app
        .skill(
            "/skill/products/mine",
            &payload("seller").extra("status", "sold").build(),
        )
        .await;
    assert!(sold.contains("'판매완료' 상태인 상품이 없어요"));
    let stranger = app
        .skill("/skill/products/mine", &payload("nobody").build())
        .await;
    assert!(stranger.contains("회원가입이 필요해요"));
}

async fn withdrawing_takes_listings_down_and_is_refused_during_a_sale(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    join(&app, "busy", "거래중").await;
    let db = &app.state.db;
    let listed = seed_product(db, "seller", "올린것", Category::Etc, ProductStatus::OnSale).await;
    let sold = seed_product(db, "seller", "판것", Category::Etc, ProductStatus::Sold).await;
    let withdraw = |user: &str| payload(user).extra("confirm", "yes").build();
    assert!(
        app.skill("/skill/members/me/withdraw", &withdraw("seller"))
            .await
            .contains("탈퇴가 완료")
    );
    assert_eq!(status_of(db, listed).await, ProductStatus::Deleted);
    assert_eq!(status_of(db, sold).await, ProductStatus::Sold, "history stays");

    let paid_for = seed_product(
        db,
        "busy",
        "결제된것",
        Category::Etc,
        ProductStatus::AwaitingCompletion,
    )
    .await;
    // What the payment flow leaves behind: a paid order holding the product (tests/api/orders.rs buys for real).
    join(&app, "buyer", "구매자").await;
    junggye::dispatch!(db, pool => {
        sqlx::query(
            "INSERT INTO orders (reference, link_nonce, product_id, buyer_id, seller_id, item_name, amount, status, \
                                 hold_expires_at, created_at, updated_at) \
             SELECT 'ref-1', 'nonce-1', p.id, b.id, p.seller_id, p.name, p.price, 'paid', 0, 0, 0 \
             FROM products p, members b WHERE p.id = $1 AND b.user_key = 'buyer'",
        )
        .bind(paid_for)
        .execute(pool)
        .await
        .unwrap();
    });
    let refused = app.skill("/skill/members/me/withdraw", &withdraw("busy")).await;
    assert!(refused.contains("진행 중인 거래가 1건"), "{}", refused.text());
    assert!(
        app.skill("/skill/members/me", &payload("busy").build())
            .await
            .contains("거래중")
    );
}

async fn changes_show_in_cached_lists_and_details_at_once(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    let id = seed_product(
        &app.state.db,
        "seller",
        "캐시된상품",
        Category::Etc,
        ProductStatus::OnSale,
    )
    .await;
    let list = || payload("visitor").build();
    let detail = || payload("visitor").extra("productId", &id.to_string()).build();
    assert_eq!(
        card_titles(&app.skill("/skill/products", &list()).await),
        ["캐시된상품"]
    );
    assert!(
        app.skill("/skill/products/detail", &detail())
            .await
            .contains("캐시된상품")
    );

    let hide = payload("seller")
        .extra("productId", &id.to_string())
        .extra("action", "hide")
        .build();
    assert!(
        app.skill("/skill/products/status", &hide)
            .await
            .contains("바꿨어요")
    );
    assert!(
        card_titles(&app.skill("/skill/products", &list()).await).is_empty(),
        "no stale page after a change"
    );
    assert!(
        app.skill("/skill/products/detail", &detail())
            .await
            .contains("찾을 수 없는 상품")
    );
}

async fn a_new_search_typed_at_a_more_prompt_starts_from_the_first_page(backend: Backend) {
    let app = app_with_nav(backend).await;
    join(&app, "seller", "판매자").await;
    for i in 0..12 {
        seed_product(
            &app.state.db,
            "seller",
            &format!("의자 {i}"),
            Category::Furniture,
            ProductStatus::OnSale,
        )
        .await;
    }
    seed_product(
        &app.state.db,
        "seller",
        "책상 새것",
        Category::Furniture,
        ProductStatus::OnSale,
    )
    .await;
    let first = app
        .skill(
            "/skill/products/search",
            &payload("v").param("query", "의자").build(),
        )
        .await;
    let more = quick_reply_extra(&first, "더보기").expect("a second page");
    let cursor = more["cursor"].as_str().unwrap();
    let same = payload("v")
        .param("query", "의자")
        .extra("query", "의자")
        .extra("cursor", cursor)
        .build();
    assert_eq!(
        card_titles(&app.skill("/skill/products/search", &same).await),
        ["의자 1", "의자 0"]
    );
    let changed = payload("v")
        .param("query", "책상")
        .extra("query", "의자")
        .extra("cursor", cursor)
        .build();
    assert_eq!(
        card_titles(&app.skill("/skill/products/search", &changed).await),
        ["책상 새것"]
    );
}
