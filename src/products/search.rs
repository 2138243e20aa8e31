//! Search: listed products whose name or description holds the query, literally, newest first — at a
//! cost that does not grow with the market.
//!
//! Reading every listed product's text for each query (what a plain `instr`/`strpos` does) grew with the
//! market: 81 searches a second at 100k products on SQLite. Instead each product's search text is cut into
//! its two-character pieces, its *grams*, kept in `product_grams` by triggers (migration 0021) in the
//! lists' order, `(gram, listed_at, product_id)`. A text holds a query of two characters or more only if
//! it holds every gram of the query, so one gram's rows, walked newest first, are a superset of the
//! answer in the answer's order: the search walks them, checks each product's text for the whole query
//! (the meaning is the literal substring, as before) and stops when the page is full. Two syllables
//! (의자) are enough, where a trigram index needs three.
//!
//! Of a longer query's grams the walk takes the rarest, counted up to [`RARE_ENOUGH`] rows each, so a
//! query made of a common and an unusual word walks the unusual one. A one-character query has no gram and
//! reads the listed products themselves (newest first, until the page is full).

use std::sync::LazyLock;

use super::model::ListCursor;
use super::store::{PER_PAGE, SUMMARY_COLUMNS, SUMMARY_JOINS, SummaryRow, listed_condition, search_scan};
use crate::db::{Db, dispatch};

/// Rows counted per gram when choosing which to walk: past this a gram is common, and which common one
/// is walked matters little (a page needs [`PER_PAGE`] matches, found early among many).
const RARE_ENOUGH: usize = 256;

/// The distinct two-character pieces of `needle` (already lower-cased), in the order they appear,
/// counted in characters as the database's `substr` counts them.
pub fn grams(needle: &str) -> Vec<String> {
    let chars: Vec<char> = needle.chars().collect();
    let mut grams: Vec<String> = Vec::with_capacity(chars.len().saturating_sub(1));
    for pair in chars.windows(2) {
        let gram: String = pair.iter().collect();
        if !grams.contains(&gram) {
            grams.push(gram);
        }
    }
    grams
}

/// The rows of one page (and one more) of listed products whose text holds `needle` (lower-cased), after
/// `cursor`.
pub(super) async fn rows(db: &Db, needle: &str, cursor: ListCursor) -> Result<Vec<SummaryRow>, sqlx::Error> {
    let grams = grams(needle);
    if grams.is_empty() {
        return scan(db, needle, cursor).await;
    }
    let grams = serde_json::to_string(&grams).map_err(|e| sqlx::Error::Encode(e.into()))?;
    let sql = walk(db);
    Ok(dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cursor.listed_at)
            .bind(cursor.id)
            .bind(grams)
            .bind(needle)
            .fetch_all(pool)
            .await?
    }))
}

/// The rarest gram's rows after the cursor `($1, $2)`, newest first, joined to their products while the
/// page fills: the product still listed, at the same `listed_at` (so a row left behind by a bump is never
/// shown twice or out of place), and its text holding the whole query `$4`. The query's grams come in as a
/// JSON array (`$3`), which both databases unpack; the rarest is chosen inside the statement (a scalar
/// subquery, run once), so a search is one round trip to the database.
///
/// SQLite walks the gram's primary key in order and looks each product up. PostgreSQL, left to itself,
/// misjudges how many products pass the text test and hashes the whole gram against the whole table
/// (50 ms at 100k products); the product test is therefore a `LATERAL` subquery that `OFFSET 0` keeps from
/// being merged, which leaves one plan: the same ordered walk, 0.1 ms.
fn walk(db: &Db) -> &'static str {
    static SQLITE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {SUMMARY_COLUMNS} \
             FROM product_grams g JOIN products p ON p.id = g.product_id {SUMMARY_JOINS} \
             WHERE g.gram = ({rarest}) AND g.listed_at <= $1 AND (g.listed_at < $1 OR g.product_id < $2) \
               AND p.listed_at = g.listed_at AND p.{listed} AND instr(p.search_text, $4) > 0 \
             ORDER BY g.listed_at DESC, g.product_id DESC LIMIT {fetch}",
            listed = listed_condition(),
            rarest = RAREST_SQLITE.as_str(),
            fetch = PER_PAGE + 1
        )
    });
    static POSTGRES: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {SUMMARY_COLUMNS} \
             FROM product_grams g \
             CROSS JOIN LATERAL (SELECT * FROM products p \
                 WHERE p.id = g.product_id AND p.listed_at = g.listed_at AND p.{listed} \
                   AND strpos(p.search_text, $4) > 0 OFFSET 0) p \
             {SUMMARY_JOINS} \
             WHERE g.gram = ({rarest}) AND g.listed_at <= $1 AND (g.listed_at < $1 OR g.product_id < $2) \
             ORDER BY g.listed_at DESC, g.product_id DESC LIMIT {fetch}",
            listed = listed_condition(),
            rarest = RAREST_POSTGRES.as_str(),
            fetch = PER_PAGE + 1
        )
    });
    match db {
        Db::Sqlite(..) => &SQLITE,
        Db::Postgres(_) => &POSTGRES,
    }
}

/// The gram of `$3` (a JSON array) with the fewest rows, each counted up to [`RARE_ENOUGH`]; ties go to
/// the first.
static RAREST_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT value FROM json_each($3) ORDER BY \
         (SELECT count(*) FROM (SELECT 1 FROM product_grams WHERE gram = value LIMIT {RARE_ENOUGH})), \
         key LIMIT 1"
    )
});
static RAREST_POSTGRES: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.value FROM json_array_elements_text($3::json) WITH ORDINALITY AS r(value, n) ORDER BY \
         (SELECT count(*) FROM (SELECT 1 FROM product_grams WHERE gram = r.value LIMIT {RARE_ENOUGH}) s), \
         r.n LIMIT 1"
    )
});

/// A one-character query: the listed products themselves, newest first, until the page is full.
async fn scan(db: &Db, needle: &str, cursor: ListCursor) -> Result<Vec<SummaryRow>, sqlx::Error> {
    let sql = search_scan(db);
    Ok(dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(cursor.listed_at)
            .bind(cursor.id)
            .bind(needle)
            .fetch_all(pool)
            .await?
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grams_are_the_distinct_character_pairs_in_order() {
        assert_eq!(grams("캠핑의자"), ["캠핑", "핑의", "의자"]);
        assert_eq!(grams("의자"), ["의자"]);
        assert_eq!(grams("아아아"), ["아아"]);
        assert_eq!(grams("ab ab"), ["ab", "b ", " a"]);
        assert!(grams("폰").is_empty());
        assert!(grams("").is_empty());
    }
}
