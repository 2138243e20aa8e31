//! What the admin lists share: page/per_page pagination with a total, `WHERE` clauses built from
//! optional filters, and instants given as Unix milliseconds or RFC 3339.
//!
//! Admin lists page by offset, unlike the chat's keyset pages: an operator jumps to page 7 of a
//! filtered table and wants the total, and admin tables are small enough that the offset costs nothing.
//! Filters become numbered placeholders (`$1`, `$2`, …, understood by both SQLite and PostgreSQL) with
//! their values bound in the same order, so no filter value is ever spliced into the SQL text.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use super::error::{ApiError, FieldError};
use crate::db::Db;

/// The page size when the request names none.
pub const DEFAULT_PER_PAGE: i64 = 20;
/// The largest page an admin may ask for.
pub const MAX_PER_PAGE: i64 = 100;

/// A checked page request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Paging {
    pub page: i64,
    pub per_page: i64,
}

impl Paging {
    /// Checks `page` (from 1) and `per_page` (1 to [`MAX_PER_PAGE`]); absent ones take their defaults.
    pub fn parse(page: Option<i64>, per_page: Option<i64>, errors: &mut Vec<FieldError>) -> Self {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        // The offset must fit an i64 even for the largest page size.
        if !(1..=i64::MAX / MAX_PER_PAGE).contains(&page) {
            errors.push(FieldError::new("page", "must be 1 or more"));
        }
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            errors.push(FieldError::new(
                "per_page",
                format!("must be 1 to {MAX_PER_PAGE}"),
            ));
        }
        Self { page, per_page }
    }

    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

/// One page of a list, with the number of items across all pages.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// Items matching the filters, on every page.
    pub total: i64,
}

impl<T> Paged<T> {
    pub fn new(items: Vec<T>, paging: Paging, total: i64) -> Self {
        Self {
            items,
            page: paging.page,
            per_page: paging.per_page,
            total,
        }
    }
}

/// Declares a named page type for one DTO, convertible from [`Paged`]. Each list needs its own: utoipa
/// names every `Paged<T>` plain `Paged`, so a type alias would give all lists one item schema in the
/// OpenAPI document.
macro_rules! page_of {
    ($(#[$doc:meta])* $page:ident, $dto:ty) => {
        $(#[$doc])*
        #[derive(serde::Serialize, utoipa::ToSchema)]
        pub struct $page {
            pub items: Vec<$dto>,
            pub page: i64,
            pub per_page: i64,
            /// Items matching the filters, on every page.
            pub total: i64,
        }

        impl From<$crate::admin::listing::Paged<$dto>> for $page {
            fn from(p: $crate::admin::listing::Paged<$dto>) -> Self {
                Self {
                    items: p.items,
                    page: p.page,
                    per_page: p.per_page,
                    total: p.total,
                }
            }
        }
    };
}
pub(crate) use page_of;

/// Turns collected field errors into a 422, or lets the request go on.
pub fn refuse_if_any(errors: Vec<FieldError>) -> Result<(), ApiError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Unix milliseconds from milliseconds or an RFC 3339 date-time (the time filters of every admin list).
pub fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<i64>() {
        return Some(ms);
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

/// A value to bind to a placeholder.
#[derive(Clone, Debug)]
pub enum Arg {
    Int(i64),
    Text(String),
}

/// `WHERE` conditions and their values, in placeholder order.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    conditions: Vec<String>,
    pub args: Vec<Arg>,
}

impl Filter {
    /// Adds a condition on the next placeholder: `condition` gets its `$n` and returns the SQL.
    pub fn push(&mut self, arg: Arg, condition: impl FnOnce(&str) -> String) {
        self.args.push(arg);
        let placeholder = format!("${}", self.args.len());
        self.conditions.push(condition(&placeholder));
    }

    /// A condition without a value.
    pub fn push_fixed(&mut self, condition: &str) {
        self.conditions.push(condition.to_owned());
    }

    /// `column` contains `text` literally (no wildcards), on either backend.
    pub fn push_contains(&mut self, db: &Db, column: &str, text: String) {
        let function = match db {
            Db::Sqlite(..) => "instr",
            _ => "strpos",
        };
        self.push(Arg::Text(text), |p| format!("{function}({column}, {p}) > 0"));
    }

    /// ` WHERE a AND b`, or nothing.
    pub fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", self.conditions.join(" AND "))
        }
    }

    /// `LIMIT $n OFFSET $n+1` for `paging`, adding both values after the filters'.
    pub fn limit(&mut self, paging: Paging) -> String {
        self.args.push(Arg::Int(paging.per_page));
        self.args.push(Arg::Int(paging.offset()));
        let n = self.args.len();
        format!(" LIMIT ${} OFFSET ${}", n - 1, n)
    }
}

/// Binds `args` in order to a `sqlx` query (either backend's, `query`, `query_as` or `query_scalar`).
#[macro_export]
#[doc(hidden)]
macro_rules! bind_args {
    ($query:expr, $args:expr) => {{
        let mut query = $query;
        for arg in $args {
            query = match arg {
                $crate::admin::listing::Arg::Int(value) => query.bind(*value),
                $crate::admin::listing::Arg::Text(value) => query.bind(value.clone()),
            };
        }
        query
    }};
}

/// Runs `SELECT COUNT(*) FROM {from}{where}` with the filter's values.
pub async fn count(db: &Db, from: &str, filter: &Filter) -> Result<i64, sqlx::Error> {
    let sql = format!("SELECT COUNT(*) FROM {from}{}", filter.where_clause());
    crate::db::dispatch!(db, pool => {
        bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())), &filter.args)
            .fetch_one(pool)
            .await
    })
}

/// The ids of one page of `from` matching `filter`, newest first by `id_column`, and how many match in all.
/// Lists read each row through its module's store afterwards, so a row is mapped to its DTO one way only.
pub async fn page_ids(
    db: &Db,
    from: &str,
    id_column: &str,
    mut filter: Filter,
    paging: Paging,
) -> Result<(Vec<i64>, i64), sqlx::Error> {
    let total = count(db, from, &filter).await?;
    let where_clause = filter.where_clause();
    let limit = filter.limit(paging);
    let sql = format!("SELECT {id_column} FROM {from}{where_clause} ORDER BY {id_column} DESC{limit}");
    let ids: Vec<i64> = crate::db::dispatch!(db, pool => {
        bind_args!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone())), &filter.args)
            .fetch_all(pool)
            .await?
    });
    Ok((ids, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_values() {
        let mut filter = Filter::default();
        filter.push(Arg::Int(3), |p| format!("a = {p}"));
        filter.push_fixed("b IS NULL");
        filter.push(Arg::Text("x".into()), |p| format!("c = {p}"));
        assert_eq!(filter.where_clause(), " WHERE a = $1 AND b IS NULL AND c = $2");
        let paging = Paging {
            page: 3,
            per_page: 10,
        };
        assert_eq!(filter.limit(paging), " LIMIT $3 OFFSET $4");
        assert!(matches!(filter.args[3], Arg::Int(20)));
    }

    #[test]
    fn instants_are_milliseconds_or_rfc_3339() {
        assert_eq!(parse_instant("1700000000000"), Some(1_700_000_000_000));
        assert_eq!(parse_instant("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(parse_instant("1970-01-01T09:00:00+09:00"), Some(0));
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn paging_refuses_out_of_range_values() {
        let mut errors = Vec::new();
        Paging::parse(Some(0), Some(101), &mut errors);
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["page", "per_page"]);
        let mut errors = Vec::new();
        assert_eq!(Paging::parse(None, None, &mut errors).per_page, DEFAULT_PER_PAGE);
        assert!(errors.is_empty());
    }
}
