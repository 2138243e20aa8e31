//! 키워드 알림: the keywords a member watches for in new products.
//!
//! A keyword is a [`Keyword`] (the search parser under its own name) and is stored twice: as typed, to
//! show back, and as its needle, the lower-cased text new products are compared with (by the outbox's
//! keyword alert, which matches like a search). Two keywords with one needle are one keyword.

use sqlx::FromRow;

use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::MemberId;
use crate::domain::product::Keyword;

/// Most keywords a member keeps: enough to watch for what they want, few enough that alerts stay
/// something they read.
pub const MAX_KEYWORDS: usize = 10;

/// One keyword of a member's list.
#[derive(Clone, Debug, PartialEq, Eq, FromRow)]
pub struct SavedKeyword {
    /// As the member typed it (normalised).
    pub keyword: String,
    /// What products are compared with; identifies the keyword in the member's list.
    pub needle: String,
    pub created_at: i64,
}

/// What [`add`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Added {
    Added,
    /// The member already watches this needle (perhaps typed in another case): nothing changed.
    AlreadyThere,
    /// The member has [`MAX_KEYWORDS`] already.
    Full,
    /// The member is not active any more.
    NotMember,
}

/// The member's keywords, oldest first (the order they were added in).
pub async fn list(db: &Db, member_id: MemberId) -> Result<Vec<SavedKeyword>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT keyword, needle, created_at FROM keywords WHERE member_id = $1 \
             ORDER BY created_at, needle",
        )
        .bind(member_id)
        .fetch_all(pool)
        .await
    })
}

/// Adds `keyword` to the member's list unless it is there already or the list is full.
///
/// One write transaction that first touches the member's row: on PostgreSQL that locks it, so two adds
/// of one member run one after the other and cannot both see nine keywords and make eleven (SQLite has one
/// writer at a time anyway). It also finds a member who withdrew meanwhile.
pub async fn add(db: &Db, member_id: MemberId, keyword: &Keyword) -> Result<Added, sqlx::Error> {
    let needle = keyword.needle();
    let limit = i64::try_from(MAX_KEYWORDS).unwrap_or(i64::MAX);
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let active = sqlx::query("UPDATE members SET updated_at = updated_at WHERE id = $1 AND deleted_at IS NULL")
            .bind(member_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        let (count, same): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), COUNT(CASE WHEN needle = $2 THEN 1 END) FROM keywords WHERE member_id = $1",
        )
        .bind(member_id)
        .bind(&needle)
        .fetch_one(&mut *tx)
        .await?;
        let outcome = if !active {
            Added::NotMember
        } else if same > 0 {
            Added::AlreadyThere
        } else if count >= limit {
            Added::Full
        } else {
            sqlx::query("INSERT INTO keywords (member_id, keyword, needle, created_at) VALUES ($1, $2, $3, $4)")
                .bind(member_id)
                .bind(keyword.as_str())
                .bind(&needle)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            Added::Added
        };
        if outcome == Added::Added {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(outcome)
    })
}

/// Removes the member's keyword with this needle; false when they had none (removed already, or never
/// theirs: another member's keyword is never touched).
pub async fn remove(db: &Db, member_id: MemberId, needle: &str) -> Result<bool, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let removed = sqlx::query("DELETE FROM keywords WHERE member_id = $1 AND needle = $2")
            .bind(member_id)
            .bind(needle)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(removed == 1)
    })
}
