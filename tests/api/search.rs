//! Search through the gram index (`junggye::products::search`) answers exactly what reading every listed
//! product's text would, page after page, on both databases — after inserts, bumps, status changes, a
//! changed text and a deleted product, which the triggers of migration 0021 keep in the index.

use std::collections::BTreeSet;

use junggye::db::Db;
use junggye::dispatch;
use junggye::products::model::ListCursor;
use junggye::products::search::grams;
use junggye::products::store::{self, Listing, search_text};
use junggye::products::{Category, ProductStatus};

use crate::helpers::{Backend, TestDb};
use crate::on_both_backends;

on_both_backends!(
    search_answers_what_a_full_scan_would,
    the_triggers_store_the_grams_the_search_computes,
);

/// Words that overlap in their grams (의자 / 캠핑의자 / 자전거), Latin in both cases, digits, a space and an
/// emoji (four bytes in UTF-8), so pieces of different queries share grams.
const WORDS: [&str; 12] = [
    "의자",
    "캠핑의자",
    "자전거",
    "가방",
    "노트북",
    "IPhone",
    "아이폰 15",
    "100%",
    "a_b",
    "🎁선물",
    "새상품",
    "의",
];

/// Queries of one, two and more characters: some match many products, some few, some none; some are made
/// of grams that all occur, though never together.
const QUERIES: [&str; 21] = [
    "의자",
    "캠핑",
    "핑의",
    "자전",
    "의",
    "가방",
    "노트",
    "노트북",
    "iphone",
    "PHONE",
    "아이폰 1",
    "폰 15",
    "100%",
    "%",
    "_",
    "🎁",
    "🎁선",
    "새상품",
    "의자자",
    "가방 의자",
    "없는말",
];

struct Seeded {
    id: i64,
    listed_at: i64,
    text: String,
    status: ProductStatus,
}

async fn seller(db: &Db) -> i64 {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO members (user_key, name, created_at, updated_at) VALUES ('seller', '판매자', 0, 0) RETURNING id",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

async fn insert(db: &Db, seller: i64, name: &str, description: &str, status: ProductStatus, at: i64) -> i64 {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "INSERT INTO products (seller_id, name, price, description, category, location, open_chat_url, \
                                   search_text, status, created_at, updated_at, listed_at) \
             VALUES ($1, $2, 1000, $3, $4, '강남역', 'https://open.kakao.com/o/abc', $5, $6, $7, $7, $7) RETURNING id",
        )
        .bind(seller)
        .bind(name)
        .bind(description)
        .bind(Category::Etc.key())
        .bind(search_text(name, description))
        .bind(status.key())
        .bind(at)
        .fetch_one(pool)
        .await
        .unwrap()
    })
}

async fn execute(db: &Db, sql: &str, a: i64, b: i64) {
    dispatch!(db, pool => {
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(a).bind(b).execute(pool).await.unwrap();
    });
}

/// 90 products from [`WORDS`] in a fixed pseudo-random mix: statuses in every state, and listing times
/// that often tie, so the id has to break them.
async fn seed(db: &Db) -> Vec<Seeded> {
    let seller = seller(db).await;
    let mut state: u64 = 7;
    let mut next = move |n: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % n
    };
    let mut seeded = Vec::new();
    for i in 0..90 {
        let name = format!("{} {}", WORDS[next(WORDS.len())], WORDS[next(WORDS.len())]);
        let description = format!("{}입니다 {}", WORDS[next(WORDS.len())], i);
        let status = [
            ProductStatus::OnSale,
            ProductStatus::OnSale,
            ProductStatus::OnSale,
            ProductStatus::Reserved,
            ProductStatus::Sold,
            ProductStatus::Hidden,
        ][next(6)];
        let listed_at = 1_000 + (next(30) as i64) * 10;
        let id = insert(db, seller, &name, &description, status, listed_at).await;
        seeded.push(Seeded {
            id,
            listed_at,
            text: search_text(&name, &description),
            status,
        });
    }
    seeded
}

/// Every page of a search, followed to its end.
async fn search_all(db: &Db, query: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<ListCursor> = None;
    loop {
        let page = store::list(db, Listing::Search(query), cursor).await.unwrap();
        ids.extend(page.items.iter().map(|p| p.id.get()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => return ids,
        }
    }
}

/// What reading every product would answer: the listed ones holding the lower-cased query, newest first.
fn expected(seeded: &[Seeded], query: &str) -> Vec<i64> {
    let needle = query.to_lowercase();
    let mut hits: Vec<&Seeded> = seeded
        .iter()
        .filter(|p| p.status.is_listed() && p.text.contains(&needle))
        .collect();
    hits.sort_by_key(|p| std::cmp::Reverse((p.listed_at, p.id)));
    hits.into_iter().map(|p| p.id).collect()
}

async fn assert_agrees(db: &Db, seeded: &[Seeded], when: &str) {
    for query in QUERIES {
        assert_eq!(
            search_all(db, query).await,
            expected(seeded, query),
            "{when}: search for {query:?}"
        );
    }
}

async fn search_answers_what_a_full_scan_would(backend: Backend) {
    let t = TestDb::new(backend).await;
    let mut seeded = seed(&t.db).await;
    assert!(
        expected(&seeded, "의자").len() > 2 * store::PER_PAGE,
        "a common query spans pages"
    );
    assert_agrees(&t.db, &seeded, "as inserted").await;

    // Bumps move a product to the top (its grams move with it), statuses change, a text is rewritten
    // and a product is deleted outright.
    for p in seeded.iter_mut().step_by(7) {
        p.listed_at = 5_000 + p.id;
        execute(
            &t.db,
            "UPDATE products SET listed_at = $1 WHERE id = $2",
            p.listed_at,
            p.id,
        )
        .await;
    }
    for p in seeded.iter_mut().skip(3).step_by(5) {
        p.status = if p.status.is_listed() {
            ProductStatus::Sold
        } else {
            ProductStatus::OnSale
        };
        dispatch!(&t.db, pool => {
            sqlx::query("UPDATE products SET status = $1 WHERE id = $2")
                .bind(p.status.key()).bind(p.id).execute(pool).await.unwrap();
        });
    }
    let rewritten = &mut seeded[10];
    rewritten.text = search_text("가방 의자", "새로 쓴 설명");
    dispatch!(&t.db, pool => {
        sqlx::query("UPDATE products SET search_text = $1 WHERE id = $2")
            .bind(&rewritten.text).bind(rewritten.id).execute(pool).await.unwrap();
    });
    let gone = seeded.remove(20);
    execute(
        &t.db,
        "DELETE FROM products WHERE id = $1 AND $2 = $2",
        gone.id,
        0,
    )
    .await;
    assert_agrees(
        &t.db,
        &seeded,
        "after bumps, status changes, a new text and a deletion",
    )
    .await;
}

async fn gram_rows(db: &Db) -> BTreeSet<(String, i64, i64)> {
    let rows: Vec<(String, i64, i64)> = dispatch!(db, pool => {
        sqlx::query_as("SELECT gram, listed_at, product_id FROM product_grams").fetch_all(pool).await.unwrap()
    });
    rows.into_iter().collect()
}

fn computed(seeded: &[Seeded]) -> BTreeSet<(String, i64, i64)> {
    seeded
        .iter()
        .flat_map(|p| grams(&p.text).into_iter().map(|g| (g, p.listed_at, p.id)))
        .collect()
}

async fn the_triggers_store_the_grams_the_search_computes(backend: Backend) {
    let t = TestDb::new(backend).await;
    let mut seeded = seed(&t.db).await;
    assert_eq!(gram_rows(&t.db).await, computed(&seeded), "as inserted");

    let bumped = &mut seeded[0];
    bumped.listed_at = 99_999;
    execute(
        &t.db,
        "UPDATE products SET listed_at = $1 WHERE id = $2",
        bumped.listed_at,
        bumped.id,
    )
    .await;
    // A status change alone leaves the grams where they are.
    dispatch!(&t.db, pool => {
        sqlx::query("UPDATE products SET status = $1 WHERE id = $2")
            .bind(ProductStatus::Sold.key()).bind(seeded[1].id).execute(pool).await.unwrap();
    });
    let gone = seeded.remove(2);
    execute(
        &t.db,
        "DELETE FROM products WHERE id = $1 AND $2 = $2",
        gone.id,
        0,
    )
    .await;
    assert_eq!(
        gram_rows(&t.db).await,
        computed(&seeded),
        "after a bump and a deletion"
    );
}
