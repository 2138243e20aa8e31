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

/// What is reviewed: a paid order, or a direct trade (flow A: a reserved product sold to the member its
/// seller named).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trade {
    Order(OrderId),
    Direct(i64),
}

impl Trade {
    /// The review's column naming it.
    fn column(self) -> &'static str {
        match self {
            Self::Order(_) => "order_id",
            Self::Direct(_) => "trade_id",
        }
    }

    fn id(self) -> i64 {
        match self {
            Self::Order(order) => order.get(),
            Self::Direct(id) => id,
        }
    }
}

/// The review insert for `trade`: a completed one (an order in status completed; a direct trade is
/// complete once recorded), by one of its parties about the other, no block between them (`$6`, `$7`: the
/// parties), once per trade and reviewer.
fn write_sql(trade: Trade) -> String {
    let (table, completed) = match trade {
        Trade::Order(_) => ("orders", format!("t.status = '{}'", OrderStatus::Completed.key())),
        Trade::Direct(_) => ("direct_trades", "TRUE".to_owned()),
    };
    let column = trade.column();
    format!(
        "INSERT INTO reviews ({column}, reviewer_id, reviewee_id, good, tag, created_at) \
         SELECT t.id, $2, CASE WHEN t.buyer_id = $2 THEN t.seller_id ELSE t.buyer_id END, $3, $4, $5 \
         FROM {table} t WHERE t.id = $1 AND {completed} AND (t.buyer_id = $2 OR t.seller_id = $2) \
           AND NOT {blocked} \
         ON CONFLICT ({column}, reviewer_id) DO NOTHING RETURNING id",
        blocked = between_sql(6, 7)
    )
}

/// How many reviews reviewer `$2` wrote of trade `$1` (0 or 1).
fn written_sql(trade: Trade) -> String {
    format!(
        "SELECT COUNT(*) FROM reviews WHERE {} = $1 AND reviewer_id = $2",
        trade.column()
    )
}

/// `reviewer` reviews the other party of `trade`: `good` or not, with `tag` (of the same kind) or none.
pub async fn write(
    db: &Db,
    outbox: &Outbox,
    trade: Trade,
    reviewer: MemberId,
    good: bool,
    tag: Option<Tag>,
) -> Result<Written, sqlx::Error> {
    let tag = tag.filter(|t| t.is_good() == good).map_or("", Tag::key);
    let now = now_ms();
    let (sql, count) = (write_sql(trade), written_sql(trade));
    let parties = match trade {
        Trade::Order(_) => "SELECT buyer_id, seller_id FROM orders WHERE id = $1",
        Trade::Direct(_) => "SELECT buyer_id, seller_id FROM direct_trades WHERE id = $1",
    };
    let written = dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let parties: Option<(MemberId, MemberId)> = sqlx::query_as(parties)
            .bind(trade.id())
            .fetch_optional(&mut *tx)
            .await?;
        let Some((buyer, seller)) = parties else {
            break 'write Ok(Written::NotAllowed);
        };
        let inserted: Option<(i64,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(trade.id())
            .bind(reviewer)
            .bind(good)
            .bind(tag)
            .bind(now)
            .bind(buyer)
            .bind(seller)
            .fetch_optional(&mut *tx)
            .await?;
        let Some((id,)) = inserted else {
            let (already,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(count))
                .bind(trade.id())
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

/// Adds the short text of `reviewer`'s review of `trade`, once: one conditional update on an empty text.
pub async fn add_comment(
    db: &Db,
    trade: Trade,
    reviewer: MemberId,
    comment: &ReviewComment,
) -> Result<Commented, sqlx::Error> {
    let sql = format!(
        "UPDATE reviews SET comment = $3 WHERE {} = $1 AND reviewer_id = $2 AND comment = ''",
        trade.column()
    );
    let added = dispatch_write!(db, pool => {
        let done = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(trade.id())
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
    Ok(if has_written(db, trade, reviewer).await? {
        Commented::AlreadyHas
    } else {
        Commented::NoReview
    })
}

/// Whether `reviewer` already reviewed `trade`.
pub async fn has_written(db: &Db, trade: Trade, reviewer: MemberId) -> Result<bool, sqlx::Error> {
    let sql = written_sql(trade);
    let count: i64 = dispatch!(db, pool => {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()))
            .bind(trade.id())
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

/// What a member's profile shows of the reviews they received: the [`Summary`] and the newest texts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    pub summary: Summary,
    /// The newest texts the reviews carry, each with whether the review was good.
    pub comments: Vec<(bool, String)>,
}

/// The reviews `member` received, with their newest `comments` texts: one query (the summary's row, then
/// the texts), since the profile is read on every visit and each query costs a hand-off to the database.
pub async fn received(db: &Db, member: MemberId, comments: i64) -> Result<Received, sqlx::Error> {
    let rows: Vec<(i64, i64, Option<i64>, Option<String>)> = dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT CAST(0 AS BIGINT) AS kind, COUNT(*) AS n, SUM(CASE WHEN good THEN 1 ELSE 0 END) AS good, \
                    NULL AS comment \
             FROM reviews WHERE reviewee_id = $1 \
             UNION ALL \
             SELECT * FROM (SELECT CAST(1 AS BIGINT), id, CASE WHEN good THEN 1 ELSE 0 END, comment \
                            FROM reviews WHERE reviewee_id = $1 AND comment <> '' ORDER BY id DESC LIMIT $2) c",
        )
        .bind(member)
        .bind(comments)
        .fetch_all(pool)
        .await?
    });
    // A union promises no order: the texts carry their review's id and are put newest first here.
    let mut received = Received::default();
    let mut texts = Vec::new();
    for (kind, n, good, comment) in rows {
        match (kind, comment) {
            (0, _) => {
                received.summary = Summary {
                    count: n,
                    good: good.unwrap_or(0),
                }
            }
            (_, Some(text)) => texts.push((n, good == Some(1), text)),
            (_, None) => {}
        }
    }
    texts.sort_by_key(|(id, ..)| std::cmp::Reverse(*id));
    received.comments = texts.into_iter().map(|(_, good, text)| (good, text)).collect();
    Ok(received)
}

/// A trade the member may still review.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    pub trade: Trade,
    pub item_name: String,
    /// The other party's name.
    pub other_name: String,
    /// When the trade completed (Unix milliseconds).
    pub completed_at: i64,
}

/// The member's completed trades — paid orders and direct trades — that they have not reviewed, newest
/// first, at most `limit`. The other party's blocks are not consulted here: writing checks them.
pub async fn pending(db: &Db, member: MemberId, limit: i64) -> Result<Vec<Pending>, sqlx::Error> {
    let sql = "SELECT 0 AS direct, o.id, o.item_name, CASE WHEN o.buyer_id = $1 THEN s.name ELSE b.name END AS other_name, \
                      o.completed_at \
               FROM orders o JOIN members b ON b.id = o.buyer_id JOIN members s ON s.id = o.seller_id \
               WHERE o.status = $2 AND (o.buyer_id = $1 OR o.seller_id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.order_id = o.id AND r.reviewer_id = $1) \
               UNION ALL \
               SELECT 1 AS direct, t.id, t.item_name, CASE WHEN t.buyer_id = $1 THEN s.name ELSE b.name END AS other_name, \
                      t.completed_at \
               FROM direct_trades t JOIN members b ON b.id = t.buyer_id JOIN members s ON s.id = t.seller_id \
               WHERE (t.buyer_id = $1 OR t.seller_id = $1) \
                 AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.trade_id = t.id AND r.reviewer_id = $1) \
               ORDER BY completed_at DESC LIMIT $3";
    let rows: Vec<(i32, i64, String, String, Option<i64>)> = dispatch!(db, pool => {
        sqlx::query_as(sql)
            .bind(member)
            .bind(OrderStatus::Completed)
            .bind(limit)
            .fetch_all(pool)
            .await?
    });
    Ok(rows
        .into_iter()
        .map(|(direct, id, item_name, other_name, completed_at)| Pending {
            trade: if direct == 1 {
                Trade::Direct(id)
            } else {
                Trade::Order(OrderId::new(id))
            },
            item_name,
            other_name,
            completed_at: completed_at.unwrap_or(0),
        })
        .collect())
}
