//! Reviews in the database.

use crate::blocking::between_sql;
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::{MemberId, OrderId};
use crate::domain::review::ReviewComment;
use crate::notifications::Outbox;
use crate::notifications::outbox::Announce;
use crate::orders::OrderStatus;

/// What a review was about. Good tags go with good reviews, bad with bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tag {
    OnTime,
    Kind,
    AsDescribed,
    QuickReplies,
    Late,
    Rude,
    NotAsDescribed,
    SlowReplies,
}

impl Tag {
    pub const GOOD: [Tag; 4] = [Self::OnTime, Self::Kind, Self::AsDescribed, Self::QuickReplies];
    pub const BAD: [Tag; 4] = [Self::Late, Self::Rude, Self::NotAsDescribed, Self::SlowReplies];

    pub fn key(self) -> &'static str {
        match self {
            Self::OnTime => "on_time",
            Self::Kind => "kind",
            Self::AsDescribed => "as_described",
            Self::QuickReplies => "quick_replies",
            Self::Late => "late",
            Self::Rude => "rude",
            Self::NotAsDescribed => "not_as_described",
            Self::SlowReplies => "slow_replies",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::OnTime => "시간 약속을 잘 지켜요",
            Self::Kind => "친절해요",
            Self::AsDescribed => "상품 설명과 같아요",
            Self::QuickReplies => "응답이 빨라요",
            Self::Late => "시간 약속을 안 지켜요",
            Self::Rude => "불친절해요",
            Self::NotAsDescribed => "상품 설명과 달라요",
            Self::SlowReplies => "응답이 느려요",
        }
    }

    pub fn is_good(self) -> bool {
        Self::GOOD.contains(&self)
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::GOOD.into_iter().chain(Self::BAD).find(|t| t.key() == key)
    }
}

/// What [`write`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// Written; the reviewee is told.
    Written,
    /// This member already reviewed this order.
    AlreadyWritten,
    /// Not a completed order of the member's, or the two blocked one another.
    NotAllowed,
}

/// `reviewer` reviews the other party of `order`: `good` or not, with `tag` (of the same kind) or none.
pub async fn write(
    db: &Db,
    outbox: &Outbox,
    order: OrderId,
    reviewer: MemberId,
    good: bool,
    tag: Option<Tag>,
) -> Result<Written, sqlx::Error> {
    let tag = tag.filter(|t| t.is_good() == good).map_or("", Tag::key);
    let now = now_ms();
    let sql = format!(
        "INSERT INTO reviews (order_id, reviewer_id, reviewee_id, good, tag, created_at) \
         SELECT o.id, $2, CASE WHEN o.buyer_id = $2 THEN o.seller_id ELSE o.buyer_id END, $3, $4, $5 \
         FROM orders o WHERE o.id = $1 AND o.status = $6 AND (o.buyer_id = $2 OR o.seller_id = $2) \
           AND NOT {} \
         ON CONFLICT (order_id, reviewer_id) DO NOTHING RETURNING id",
        between_sql(7, 8)
    );
    let written = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let parties: Option<(MemberId, MemberId)> =
            sqlx::query_as("SELECT buyer_id, seller_id FROM orders WHERE id = $1")
                .bind(order)
                .fetch_optional(&mut *tx)
                .await?;
        let Some((buyer, seller)) = parties else {
            break 'write Ok(Written::NotAllowed);
        };
        let inserted: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(order)
            .bind(reviewer)
            .bind(good)
            .bind(tag)
            .bind(now)
            .bind(OrderStatus::Completed)
            .bind(buyer)
            .bind(seller)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id,)) = inserted else {
            let (already,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM reviews WHERE order_id = $1 AND reviewer_id = $2")
                    .bind(order)
                    .bind(reviewer)
                    .fetch_one(&mut *tx)
                    .await?;
            break 'write Ok(if already > 0 { Written::AlreadyWritten } else { Written::NotAllowed });
        };
        tx.notify_review(outbox, id, now).await?;
        tx.commit().await?;
        Ok(Written::Written)
    })?;
    outbox.wake_if(written == Written::Written);
    Ok(written)
}

/// What [`add_comment`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Commented {
    Added,
    /// The review already has its text: a review is not rewritten.
    AlreadyHas,
    /// `reviewer` has no review of `order`.
    NoReview,
}

/// Adds the short text of `reviewer`'s review of `order`, once: one conditional update on an empty text.
pub async fn add_comment(
    db: &Db,
    order: OrderId,
    reviewer: MemberId,
    comment: &ReviewComment,
) -> Result<Commented, sqlx::Error> {
    let added = dispatch_write!(db, pool => {
        let done = sqlx::query(
            "UPDATE reviews SET comment = $3 WHERE order_id = $1 AND reviewer_id = $2 AND comment = ''",
        )
        .bind(order)
        .bind(reviewer)
        .bind(comment.as_str())
        .execute(pool)
        .await?
        .rows_affected();
        done == 1
    });
    if added {
        return Ok(Commented::Added);
    }
    Ok(if has_written(db, order, reviewer).await? {
        Commented::AlreadyHas
    } else {
        Commented::NoReview
    })
}

/// The newest texts `member`'s reviews carry, at most `limit`, each with whether the review was good.
pub async fn recent_comments(
    db: &Db,
    member: MemberId,
    limit: i64,
) -> Result<Vec<(bool, String)>, sqlx::Error> {
    let rows: Vec<(bool, String)> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT good, comment FROM reviews WHERE reviewee_id = $1 AND comment <> '' ORDER BY id DESC LIMIT $2",
        )
        .bind(member)
        .bind(limit)
        .fetch_all(pool)
        .await?
    });
    Ok(rows)
}

/// Whether `reviewer` already reviewed `order`.
pub async fn has_written(db: &Db, order: OrderId, reviewer: MemberId) -> Result<bool, sqlx::Error> {
    let count: i64 = dispatch!(db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM reviews WHERE order_id = $1 AND reviewer_id = $2")
            .bind(order)
            .bind(reviewer)
            .fetch_one(pool)
            .await?
    });
    Ok(count > 0)
}

/// A member's reviews: how many, how many good, and their most given good tags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub count: i64,
    pub good: i64,
}

impl Summary {
    /// `후기 12개 · 좋아요 92%`, or `아직 후기가 없어요`.
    pub fn line(self) -> String {
        if self.count == 0 {
            return "아직 후기가 없어요".to_owned();
        }
        format!("후기 {}개 · 좋아요 {}%", self.count, self.good * 100 / self.count)
    }
}

/// The reviews `member` received.
pub async fn summary(db: &Db, member: MemberId) -> Result<Summary, sqlx::Error> {
    let (count, good): (i64, Option<i64>) = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT COUNT(*), SUM(CASE WHEN good THEN 1 ELSE 0 END) FROM reviews WHERE reviewee_id = $1",
        )
        .bind(member)
        .fetch_one(pool)
        .await?
    });
    Ok(Summary {
        count,
        good: good.unwrap_or(0),
    })
}
