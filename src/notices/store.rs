//! Notices in the database: what the chat reads (one visible notice, a page of the listing) and what the
//! admin API will write (create, edit, change status).
//!
//! The listing is paged by keyset, not by offset. A page ends with the sort key of its last notice, and
//! the next page starts strictly after that key. An admin who posts or pins a notice while someone is
//! paging therefore neither repeats a notice on their next page nor skips one that was already after the
//! key (with offsets, one new notice at the top pushes the last of page 1 onto page 2 again). Every page
//! is read in index order (`notices_listing`) and stops after one row more than the page; within one rank
//! the rows before the key are skipped rather than sought, which costs nothing at the few hundred notices
//! a bot has.

use std::fmt;

use sqlx::FromRow;

use super::model::{NewNotice, Notice, NoticeInput, NoticeKind, NoticeStatus};
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};

#[derive(FromRow)]
struct NoticeRow {
    id: i64,
    kind: String,
    title: String,
    body: String,
    image_url: Option<String>,
    link_label: Option<String>,
    link_url: Option<String>,
    status: String,
    created_at: i64,
    updated_at: i64,
}

impl NoticeRow {
    /// Rows are checked on the way in and again on the way out, so a notice edited by hand into something
    /// Kakao would refuse is reported as corrupt instead of being shown.
    fn into_notice(self) -> Result<Notice, sqlx::Error> {
        let id = self.id;
        let corrupt = |what: &str| sqlx::Error::Decode(format!("notice {id}: bad {what}").into());
        let kind = NoticeKind::parse(&self.kind).ok_or_else(|| corrupt("kind"))?;
        let status = NoticeStatus::parse(&self.status).ok_or_else(|| corrupt("status"))?;
        let content = NewNotice::parse(NoticeInput {
            kind,
            title: &self.title,
            body: &self.body,
            image_url: self.image_url.as_deref(),
            link_label: self.link_label.as_deref(),
            link_url: self.link_url.as_deref(),
        })
        .map_err(|invalid| corrupt(invalid.message()))?;
        Ok(Notice {
            id,
            content,
            status,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// Where a page of the listing ends: the sort key of its last notice (rank, creation time, id).
///
/// It travels through the chat as text (`clientExtra.cursor`), which the user controls; [`ListCursor::parse`]
/// accepts only what [`fmt::Display`] writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListCursor {
    rank: i64,
    created_at: i64,
    id: i64,
}

impl ListCursor {
    fn after(notice: &Notice) -> Option<Self> {
        Some(Self {
            rank: notice.status.listing_rank()?,
            created_at: notice.created_at,
            id: notice.id,
        })
    }

    /// Reads `rank.created_at.id` (e.g. `1.1767225600000.42`); `None` for anything else.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().split('.');
        let mut next = || -> Option<i64> {
            let part = parts.next()?;
            let digits = !part.is_empty() && part.len() <= 19 && part.bytes().all(|b| b.is_ascii_digit());
            digits.then(|| part.parse().ok()).flatten()
        };
        let cursor = Self {
            rank: next()?,
            created_at: next()?,
            id: next()?,
        };
        let valid = parts.next().is_none() && (0..=1).contains(&cursor.rank) && cursor.id > 0;
        valid.then_some(cursor)
    }
}

impl fmt::Display for ListCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.rank, self.created_at, self.id)
    }
}

/// One page of the listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page {
    pub notices: Vec<Notice>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<ListCursor>,
}

/// The columns of a [`NoticeRow`].
macro_rules! columns {
    () => {
        "id, kind, title, body, image_url, link_label, link_url, status, created_at, updated_at"
    };
}

/// The listing rank: main notices before published ones ([`NoticeStatus::listing_rank`]). The listing
/// queries use the very expression of the `notices_listing` index (migrations 0003), or the planner
/// could not use that index for their order.
macro_rules! rank {
    () => {
        "CASE status WHEN 'main' THEN 0 ELSE 1 END"
    };
}

const FIRST_PAGE: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM notices WHERE status IN ('main', 'published') ",
    "ORDER BY ",
    rank!(),
    ", created_at DESC, id DESC LIMIT $1"
);

/// The rows after a key: a later rank, or the same rank and older (`rank >= $1` lets the planner start at
/// the cursor's rank in the index).
const PAGE_AFTER: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM notices WHERE status IN ('main', 'published') ",
    "AND ",
    rank!(),
    " >= $1 AND (",
    rank!(),
    " > $1 OR created_at < $2 OR (created_at = $2 AND id < $3)) ",
    "ORDER BY ",
    rank!(),
    ", created_at DESC, id DESC LIMIT $4"
);

const BY_ID: &str = concat!("SELECT ", columns!(), " FROM notices WHERE id = $1");

const UPDATE: &str = concat!(
    "UPDATE notices SET kind = $1, title = $2, body = $3, image_url = $4, link_label = $5, link_url = $6, ",
    "updated_at = $7 WHERE id = $8 AND status <> $9 RETURNING ",
    columns!()
);

/// Up to `limit` visible notices after `cursor` (from the top without one): main notices first, then
/// published ones, newest first within each. One more row than asked is read to know whether a next
/// page exists, so a full last page has no `next`.
pub async fn list_published(db: &Db, cursor: Option<&ListCursor>, limit: u32) -> Result<Page, sqlx::Error> {
    let limit = limit.max(1);
    let fetch = i64::from(limit) + 1;
    let rows: Vec<NoticeRow> = dispatch!(db, pool => match cursor {
        None => sqlx::query_as(FIRST_PAGE).bind(fetch).fetch_all(pool).await?,
        Some(c) => sqlx::query_as(PAGE_AFTER)
            .bind(c.rank)
            .bind(c.created_at)
            .bind(c.id)
            .bind(fetch)
            .fetch_all(pool)
            .await?,
    });
    let mut notices = rows
        .into_iter()
        .map(NoticeRow::into_notice)
        .collect::<Result<Vec<_>, _>>()?;
    let more = notices.len() > limit as usize;
    notices.truncate(limit as usize);
    let next = if more {
        notices.last().and_then(ListCursor::after)
    } else {
        None
    };
    Ok(Page { notices, next })
}

/// The notice with this id if the chat may show it (main or published).
pub async fn get_published(db: &Db, id: i64) -> Result<Option<Notice>, sqlx::Error> {
    Ok(get(db, id).await?.filter(|notice| notice.status.is_visible()))
}

/// The notice with this id, whatever its status (for admins).
pub async fn get(db: &Db, id: i64) -> Result<Option<Notice>, sqlx::Error> {
    let row: Option<NoticeRow> = dispatch!(db, pool => {
        sqlx::query_as(BY_ID).bind(id).fetch_optional(pool).await?
    });
    row.map(NoticeRow::into_notice).transpose()
}

/// Binds a notice's six content fields, in column order, as the next parameters of `$query`.
macro_rules! bind_content {
    ($query:expr, $new:expr) => {{
        let link = $new.link();
        $query
            .bind($new.kind().as_str())
            .bind($new.title())
            .bind($new.body())
            .bind($new.image_url().map(|url| url.as_str()))
            .bind(link.map(|l| l.label()))
            .bind(link.map(|l| l.url().as_str()))
    }};
}

/// Stores a new notice in `status` and returns it with its id.
pub async fn create(db: &Db, new: &NewNotice, status: NoticeStatus) -> Result<Notice, sqlx::Error> {
    let now = now_ms();
    let (id,): (i64,) = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let insert = sqlx::query_as(
            "INSERT INTO notices (kind, title, body, image_url, link_label, link_url, status, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
        );
        let row: (i64,) = bind_content!(insert, new)
        .bind(status.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        row
    });
    Ok(Notice {
        id,
        content: new.clone(),
        status,
        created_at: now,
        updated_at: now,
    })
}

/// Replaces the content of a notice that is not deleted (its status and creation time stay). `None`
/// when there is no such notice, or it is deleted.
pub async fn update(db: &Db, id: i64, new: &NewNotice) -> Result<Option<Notice>, sqlx::Error> {
    let row: Option<NoticeRow> = dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let row: Option<NoticeRow> = bind_content!(sqlx::query_as(UPDATE), new)
        .bind(now_ms())
        .bind(id)
        .bind(NoticeStatus::Deleted)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        row
    });
    row.map(NoticeRow::into_notice).transpose()
}

/// What [`set_status`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusChange {
    Changed,
    /// The notice does not exist or is no longer in the expected status (someone changed it first).
    Stale,
    /// `from → to` is not a transition (see [`NoticeStatus::can_become`]); nothing was read or written.
    NotAllowed,
}

/// Moves a notice from `from` to `to`, only if it is still in `from`: of two admins acting on one notice,
/// the second learns that it changed instead of overwriting the first.
pub async fn set_status(
    db: &Db,
    id: i64,
    from: NoticeStatus,
    to: NoticeStatus,
) -> Result<StatusChange, sqlx::Error> {
    if !from.can_become(to) {
        return Ok(StatusChange::NotAllowed);
    }
    let done = dispatch_write!(db, pool => {
        sqlx::query("UPDATE notices SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4")
            .bind(to.as_str())
            .bind(now_ms())
            .bind(id)
            .bind(from.as_str())
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(if done == 1 {
        StatusChange::Changed
    } else {
        StatusChange::Stale
    })
}
