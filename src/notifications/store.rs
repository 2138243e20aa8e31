//! The sender's side of the outbox, and what the event skill and the settings read and write.
//!
//! Every move of a row is a conditional update on the state the caller expects, so two senders (one per
//! instance) never send the same row: a row is `sending` for exactly one of them, claimed with
//! `UPDATE … WHERE state = 'queued'`, and every later step names the send (`batch`) it belongs to.

use sqlx::FromRow;

use super::hours;
use super::model::{Kind, State};
use crate::db::{BeginWrite, Db, dispatch, dispatch_write};
use crate::domain::ids::{MemberId, OrderId, ProductId};

/// `IN (1, 2, 3)` from ids read from the database (integers, so nothing to escape).
fn id_list(ids: &[i64]) -> String {
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    format!("({})", list.join(", "))
}

/// A claimed row, with what the sender must know of its recipient.
#[derive(Clone, Debug)]
pub struct Claimed {
    pub id: i64,
    pub recipient_id: MemberId,
    pub user_key: String,
    pub kind: Kind,
    pub member_left: bool,
    pub alerts_off: bool,
    pub night_consent: bool,
    /// Sends tried before this claim (the send about to happen is try `attempts + 1`).
    pub attempts: i64,
}

#[derive(FromRow)]
struct ClaimedRow {
    id: i64,
    recipient_id: MemberId,
    user_key: String,
    kind: String,
    deleted_at: Option<i64>,
    alerts_off_at: Option<i64>,
    night_alerts_at: Option<i64>,
    attempts: i64,
}

/// Claims up to `limit` due rows for this sender until `lease_until`. Another sender's update of the same
/// rows finds them no longer queued and claims none of them.
pub async fn claim(db: &Db, now: i64, lease_until: i64, limit: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    let ids: Vec<i64> = dispatch_write!(db, pool => {
        sqlx::query_scalar(
            "UPDATE notifications SET state = $1, check_at = $2, updated_at = $3 \
             WHERE state = $4 AND id IN (SELECT id FROM notifications WHERE state = $4 AND not_before <= $3 \
                                         ORDER BY not_before, id LIMIT $5) \
             RETURNING id",
        )
        .bind(State::Sending)
        .bind(lease_until)
        .bind(now)
        .bind(State::Queued)
        .bind(limit)
        .fetch_all(pool)
        .await
    })?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT n.id, n.recipient_id, m.user_key, n.kind, m.deleted_at, m.alerts_off_at, m.night_alerts_at, \
                n.attempts \
         FROM notifications n JOIN members m ON m.id = n.recipient_id WHERE n.id IN {} ORDER BY n.id",
        id_list(&ids)
    );
    let rows: Vec<ClaimedRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    });
    rows.into_iter()
        .map(|r| {
            Ok(Claimed {
                kind: Kind::parse(&r.kind)
                    .ok_or_else(|| sqlx::Error::Decode(format!("notification {}: bad kind", r.id).into()))?,
                id: r.id,
                recipient_id: r.recipient_id,
                user_key: r.user_key,
                member_left: r.deleted_at.is_some(),
                alerts_off: r.alerts_off_at.is_some(),
                night_consent: r.night_alerts_at.is_some(),
                attempts: r.attempts,
            })
        })
        .collect()
}

/// Runs `sql` (with `$1` = now and the rest bound from `states`/`values`) on the rows `ids`.
async fn update_claimed(db: &Db, ids: &[i64], set: &str, bind: &[Value<'_>]) -> Result<u64, sqlx::Error> {
    if ids.is_empty() {
        return Ok(0);
    }
    let sql = format!(
        "UPDATE notifications SET {set} WHERE id IN {} AND state = $2",
        id_list(ids)
    );
    run(db, sql, bind).await
}

/// A value bound after `$1` in the updates of this module.
#[derive(Clone, Copy)]
enum Value<'a> {
    Int(i64),
    Text(&'a str),
    State(State),
}

async fn run(db: &Db, sql: String, bind: &[Value<'_>]) -> Result<u64, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for value in bind {
            query = match *value {
                Value::Int(i) => query.bind(i),
                Value::Text(t) => query.bind(t.to_owned()),
                Value::State(s) => query.bind(s),
            };
        }
        Ok::<u64, sqlx::Error>(query.execute(pool).await?.rows_affected())
    })
}

/// Gives claimed rows back to the queue until `not_before` (quiet hours, the daily cap, a retry).
pub async fn hold(db: &Db, ids: &[i64], not_before: i64, now: i64) -> Result<u64, sqlx::Error> {
    update_claimed(
        db,
        ids,
        "state = $3, not_before = $4, check_at = NULL, batch = NULL, sent_at = NULL, updated_at = $1",
        &[
            Value::Int(now),
            Value::State(State::Sending),
            Value::State(State::Queued),
            Value::Int(not_before),
        ],
    )
    .await
}

/// Claimed rows that will never be sent, with the reason.
pub async fn drop_rows(db: &Db, ids: &[i64], reason: &str, now: i64) -> Result<u64, sqlx::Error> {
    update_claimed(
        db,
        ids,
        "state = $3, last_error = $4, check_at = NULL, updated_at = $1",
        &[
            Value::Int(now),
            Value::State(State::Sending),
            Value::State(State::Dropped),
            Value::Text(reason),
        ],
    )
    .await
}

/// A keyword alert over the member's allowance for the day: the row is folded, and the member's digest
/// for the day (sent the next morning) counts one more.
pub async fn fold_into_digest(db: &Db, row: &Claimed, now: i64) -> Result<(), sqlx::Error> {
    let day = hours::day(now);
    let key = format!("keyword_digest:{}:{day}", row.recipient_id);
    let morning = hours::next_morning(now);
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let folded = sqlx::query(
            "UPDATE notifications SET state = $1, check_at = NULL, updated_at = $2 WHERE id = $3 AND state = $4",
        )
        .bind(State::Folded)
        .bind(now)
        .bind(row.id)
        .bind(State::Sending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if folded == 1 {
            sqlx::query(
                "INSERT INTO notifications (recipient_id, kind, subject, amount, dedupe_key, state, not_before, \
                                            created_at, updated_at) \
                 VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7) \
                 ON CONFLICT (dedupe_key) DO UPDATE SET amount = notifications.amount + 1, updated_at = $7 \
                 WHERE notifications.state = $5",
            )
            .bind(row.recipient_id)
            .bind(Kind::KeywordDigest)
            .bind(&day)
            .bind(&key)
            .bind(State::Queued)
            .bind(morning)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })
}

/// Keyword alerts handed to Kakao for the member since `since` (the start of the KST day).
pub async fn keyword_alerts_since(db: &Db, member: MemberId, since: i64) -> Result<i64, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications \
             WHERE recipient_id = $1 AND kind = $2 AND sent_at >= $3 AND state IN ($4, $5, $6)",
        )
        .bind(member)
        .bind(Kind::KeywordMatch)
        .bind(since)
        .bind(State::Accepted)
        .bind(State::Delivered)
        .bind(State::Unsure)
        .fetch_one(pool)
        .await
    })
}

/// Reserves up to `wanted` of the day's messages for alerts under `cap`; returns how many were granted.
/// Several senders together never pass the cap: the reservation is a conditional update on the count
/// each of them read.
pub async fn reserve(db: &Db, day: &str, wanted: u32, cap: u32) -> Result<u32, sqlx::Error> {
    for _ in 0..8 {
        let sent = day_count(db, day).await?;
        let left = i64::from(cap).saturating_sub(sent).max(0);
        let granted = left.min(i64::from(wanted));
        if granted == 0 {
            return Ok(0);
        }
        let done = dispatch_write!(db, pool => {
            sqlx::query("UPDATE notification_days SET sent = sent + $1 WHERE day = $2 AND sent = $3")
                .bind(granted)
                .bind(day)
                .bind(sent)
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        if done == 1 {
            return Ok(u32::try_from(granted).unwrap_or(0));
        }
    }
    // Eight lost races in a row: other senders are busy with the same budget; try again next pass.
    Ok(0)
}

/// Counts `n` messages against the day without asking (trade notices), or gives `-n` back (a send Kakao
/// refused costs nothing).
pub async fn count_day(db: &Db, day: &str, n: i64) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "INSERT INTO notification_days (day, sent) VALUES ($1, CASE WHEN $2 > 0 THEN $2 ELSE 0 END) \
             ON CONFLICT (day) DO UPDATE SET sent = CASE WHEN notification_days.sent + $2 > 0 \
                                                        THEN notification_days.sent + $2 ELSE 0 END",
        )
        .bind(day)
        .bind(n)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Notices written since `since` (Unix ms), by kind and state, for the operators' dashboard.
pub async fn states_since(db: &Db, since: i64) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as(
            "SELECT kind, state, COUNT(*) FROM notifications WHERE created_at >= $1 \
             GROUP BY kind, state ORDER BY kind, state",
        )
        .bind(since)
        .fetch_all(pool)
        .await
    })
}

/// Messages handed to Kakao on `day` (KST, `YYYY-MM-DD`), without creating the day's row.
pub async fn sent_on(db: &Db, day: &str) -> Result<i64, sqlx::Error> {
    let sent: Option<i64> = dispatch!(db, pool => {
        sqlx::query_scalar("SELECT sent FROM notification_days WHERE day = $1")
            .bind(day)
            .fetch_optional(pool)
            .await?
    });
    Ok(sent.unwrap_or(0))
}

/// Messages counted for `day` so far (creating its row).
pub async fn day_count(db: &Db, day: &str) -> Result<i64, sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query("INSERT INTO notification_days (day, sent) VALUES ($1, 0) ON CONFLICT (day) DO NOTHING")
            .bind(day)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    })?;
    dispatch!(db, pool => {
        sqlx::query_scalar("SELECT sent FROM notification_days WHERE day = $1")
            .bind(day)
            .fetch_one(pool)
            .await
    })
}

/// Names the send `batch` of claimed rows, just before the call: from here on the rows may have reached
/// Kakao, so a sender that stops now leaves them `unsure`, not queued.
pub async fn start_send(db: &Db, ids: &[i64], batch: &str, now: i64) -> Result<u64, sqlx::Error> {
    update_claimed(
        db,
        ids,
        "batch = $3, sent_at = $1, attempts = attempts + 1, updated_at = $1",
        &[Value::Int(now), Value::State(State::Sending), Value::Text(batch)],
    )
    .await
}

/// Moves the rows of `batch` still `sending` to `to`, setting `check_at` (NULL when `None`) and, when
/// given, the task id or the reason.
pub async fn finish_send(
    db: &Db,
    batch: &str,
    to: State,
    check_at: Option<i64>,
    task_id: Option<&str>,
    reason: Option<&str>,
    now: i64,
) -> Result<u64, sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE notifications SET state = $1, check_at = $2, task_id = COALESCE($3, task_id), \
                    last_error = COALESCE($4, last_error), updated_at = $5 \
             WHERE batch = $6 AND state = $7",
        )
        .bind(to)
        .bind(check_at)
        .bind(task_id)
        .bind(reason)
        .bind(now)
        .bind(batch)
        .bind(State::Sending)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Kakao did not take the send (5xx, no connection): its rows go back to the queue until `not_before`,
/// or fail for good after `max_attempts`.
pub async fn retry_later(
    db: &Db,
    batch: &str,
    not_before: i64,
    max_attempts: i64,
    reason: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        sqlx::query(
            "UPDATE notifications SET state = $1, last_error = $2, check_at = NULL, updated_at = $3 \
             WHERE batch = $4 AND state = $5 AND attempts >= $6",
        )
        .bind(State::Failed)
        .bind(format!("gave up after {max_attempts} tries: {reason}"))
        .bind(now)
        .bind(batch)
        .bind(State::Sending)
        .bind(max_attempts)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE notifications SET state = $1, last_error = $2, not_before = $3, check_at = NULL, batch = NULL, \
                    sent_at = NULL, updated_at = $4 \
             WHERE batch = $5 AND state = $6",
        )
        .bind(State::Queued)
        .bind(reason)
        .bind(not_before)
        .bind(now)
        .bind(batch)
        .bind(State::Sending)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })
}

/// Rows whose sender stopped (its lease ran out): never handed to Kakao → queued again at once; possibly
/// handed → `unsure` until `recheck_at`.
pub async fn recover_abandoned(db: &Db, now: i64, recheck_at: i64) -> Result<u64, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let requeued = sqlx::query(
            "UPDATE notifications SET state = $1, check_at = NULL, batch = NULL, updated_at = $2 \
             WHERE state = $3 AND check_at <= $2 AND sent_at IS NULL",
        )
        .bind(State::Queued)
        .bind(now)
        .bind(State::Sending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let unsure = sqlx::query(
            "UPDATE notifications SET state = $1, check_at = $2, updated_at = $3 \
             WHERE state = $4 AND check_at <= $3 AND sent_at IS NOT NULL",
        )
        .bind(State::Unsure)
        .bind(recheck_at)
        .bind(now)
        .bind(State::Sending)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok::<u64, sqlx::Error>(requeued + unsure)
    })
}

/// Unsure rows whose wait is over and that never showed (no delivery was recorded by the event skill,
/// which is called when Kakao shows the notice): queued to be sent again. Returns how many.
pub async fn resend_unsure(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE notifications SET state = $1, not_before = $2, check_at = NULL, batch = NULL, sent_at = NULL, \
                    updated_at = $2 \
             WHERE state = $3 AND check_at <= $2 AND delivered_at IS NULL",
        )
        .bind(State::Queued)
        .bind(now)
        .bind(State::Unsure)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })
}

/// Task ids whose result is due to be read.
pub async fn tasks_due(db: &Db, now: i64, limit: i64) -> Result<Vec<String>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_scalar(
            "SELECT DISTINCT task_id FROM notifications \
             WHERE state = $1 AND check_at <= $2 AND task_id IS NOT NULL LIMIT $3",
        )
        .bind(State::Accepted)
        .bind(now)
        .bind(limit)
        .fetch_all(pool)
        .await
    })
}

/// Asks about task `task_id` again at `check_at`, unless its rows were sent before `give_up_before`:
/// then asking stops and the rows stay accepted (Kakao took them; only the per-user result is unknown).
pub async fn task_later(
    db: &Db,
    task_id: &str,
    check_at: i64,
    give_up_before: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE notifications SET check_at = CASE WHEN sent_at < $5 THEN NULL ELSE $1 END, updated_at = $2 \
             WHERE task_id = $3 AND state = $4",
        )
        .bind(check_at)
        .bind(now)
        .bind(task_id)
        .bind(State::Accepted)
        .bind(give_up_before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records a finished task: the users Kakao could not reach failed (with its reason), everyone else
/// was delivered.
pub async fn task_done(
    db: &Db,
    task_id: &str,
    failed: &[(String, String)],
    now: i64,
) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        for (user_key, reason) in failed {
            sqlx::query(
                "UPDATE notifications SET state = $1, last_error = $2, check_at = NULL, updated_at = $3 \
                 WHERE task_id = $4 AND state = $5 \
                   AND recipient_id IN (SELECT id FROM members WHERE user_key = $6)",
            )
            .bind(State::Failed)
            .bind(reason)
            .bind(now)
            .bind(task_id)
            .bind(State::Accepted)
            .bind(user_key)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE notifications SET state = $1, delivered_at = COALESCE(delivered_at, $2), check_at = NULL, \
                    updated_at = $2 \
             WHERE task_id = $3 AND state = $4",
        )
        .bind(State::Delivered)
        .bind(now)
        .bind(task_id)
        .bind(State::Accepted)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok::<(), sqlx::Error>(())
    })
}

/// A notice as the event skill shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub id: i64,
    pub kind: Kind,
    pub subject: String,
    pub amount: Option<i64>,
    pub detail: Option<String>,
    pub order_id: Option<OrderId>,
    pub product_id: Option<ProductId>,
    /// The recipient sold the order's product (an order notice read by its seller).
    pub to_seller: bool,
    /// Shown before (Kakao ran the event block for this row twice).
    pub shown_before: bool,
}

#[derive(FromRow)]
struct NoticeRow {
    id: i64,
    kind: String,
    subject: String,
    amount: Option<i64>,
    detail: Option<String>,
    order_id: Option<OrderId>,
    product_id: Option<ProductId>,
    to_seller: i64,
    delivered_at: Option<i64>,
}

const NOTICE_COLUMNS: &str = "n.id, n.kind, n.subject, n.amount, n.detail, n.order_id, n.product_id, \
     CAST(CASE WHEN o.seller_id = n.recipient_id THEN 1 ELSE 0 END AS BIGINT) AS to_seller, n.delivered_at \
     FROM notifications n JOIN members m ON m.id = n.recipient_id LEFT JOIN orders o ON o.id = n.order_id";

impl NoticeRow {
    fn into_notice(self) -> Result<Notice, sqlx::Error> {
        Ok(Notice {
            kind: Kind::parse(&self.kind)
                .ok_or_else(|| sqlx::Error::Decode(format!("notification {}: bad kind", self.id).into()))?,
            id: self.id,
            subject: self.subject,
            amount: self.amount,
            detail: self.detail,
            order_id: self.order_id,
            product_id: self.product_id,
            to_seller: self.to_seller == 1,
            shown_before: self.delivered_at.is_some(),
        })
    }
}

/// The notice of send `batch` for the Kakao user `user_key`, recorded as delivered: the event skill runs
/// when Kakao shows it, which is the proof a lost send answer lacked.
pub async fn shown(db: &Db, batch: &str, user_key: &str, now: i64) -> Result<Option<Notice>, sqlx::Error> {
    let sql =
        format!("SELECT {NOTICE_COLUMNS} WHERE n.batch = $1 AND m.user_key = $2 AND m.deleted_at IS NULL");
    let row: Option<NoticeRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(batch).bind(user_key).fetch_optional(pool).await?
    });
    let Some(row) = row else { return Ok(None) };
    mark_delivered(db, row.id, now).await?;
    row.into_notice().map(Some)
}

/// The member's latest notice handed to Kakao since `since` (for an event call that names no send).
pub async fn latest(db: &Db, user_key: &str, since: i64) -> Result<Option<Notice>, sqlx::Error> {
    let sql = format!(
        "SELECT {NOTICE_COLUMNS} WHERE m.user_key = $1 AND m.deleted_at IS NULL AND n.sent_at >= $2 \
           AND n.state IN ($3, $4, $5) ORDER BY n.sent_at DESC, n.id DESC LIMIT 1"
    );
    let row: Option<NoticeRow> = dispatch!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(user_key)
            .bind(since)
            .bind(State::Accepted)
            .bind(State::Delivered)
            .bind(State::Unsure)
            .fetch_optional(pool)
            .await?
    });
    row.map(NoticeRow::into_notice).transpose()
}

async fn mark_delivered(db: &Db, id: i64, now: i64) -> Result<(), sqlx::Error> {
    dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE notifications SET delivered_at = COALESCE(delivered_at, $1), \
                    state = CASE WHEN state IN ($2, $3, $4) THEN $5 ELSE state END, updated_at = $1 \
             WHERE id = $6",
        )
        .bind(now)
        .bind(State::Sending)
        .bind(State::Accepted)
        .bind(State::Unsure)
        .bind(State::Delivered)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// A member's alert choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choices {
    pub alerts_on: bool,
    pub night_consent: bool,
}

pub async fn choices(db: &Db, member: MemberId) -> Result<Choices, sqlx::Error> {
    let (off, night): (Option<i64>, Option<i64>) = dispatch!(db, pool => {
        sqlx::query_as("SELECT alerts_off_at, night_alerts_at FROM members WHERE id = $1")
            .bind(member)
            .fetch_one(pool)
            .await?
    });
    Ok(Choices {
        alerts_on: off.is_none(),
        night_consent: night.is_some(),
    })
}

/// Turns the member's alerts on or off (trade notices are not affected). Turning alerts off also drops
/// the alerts already queued for them.
pub async fn set_alerts(db: &Db, member: MemberId, on: bool, now: i64) -> Result<bool, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE members SET alerts_off_at = CASE WHEN $1 = 1 THEN NULL ELSE COALESCE(alerts_off_at, $2) END, \
                    updated_at = $2 \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(i64::from(on))
        .bind(now)
        .bind(member)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if !on && changed == 1 {
            sqlx::query(
                "UPDATE notifications SET state = $1, last_error = $2, updated_at = $3 \
                 WHERE recipient_id = $4 AND state = $5 AND kind IN ($6, $7, $8, $9, $10)",
            )
            .bind(State::Dropped)
            .bind("alerts turned off")
            .bind(now)
            .bind(member)
            .bind(State::Queued)
            .bind(Kind::KeywordMatch)
            .bind(Kind::KeywordDigest)
            .bind(Kind::PriceDrop)
            .bind(Kind::FavouriteSold)
            .bind(Kind::FavouriteBack)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok::<bool, sqlx::Error>(changed == 1)
    })
}

/// Records (or withdraws) the member's consent to alerts at night, with its time.
pub async fn set_night_consent(
    db: &Db,
    member: MemberId,
    consent: bool,
    now: i64,
) -> Result<bool, sqlx::Error> {
    dispatch_write!(db, pool => {
        let mut tx = pool.begin_write().await?;
        let changed = sqlx::query(
            "UPDATE members SET night_alerts_at = CASE WHEN $1 = 1 THEN COALESCE(night_alerts_at, $2) ELSE NULL END, \
                    updated_at = $2 \
             WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(i64::from(consent))
        .bind(now)
        .bind(member)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok::<bool, sqlx::Error>(changed == 1)
    })
}

/// How many rows are in each state (for the admin API and the benchmark).
pub async fn counts(db: &Db) -> Result<Vec<(String, i64)>, sqlx::Error> {
    dispatch!(db, pool => {
        sqlx::query_as("SELECT state, COUNT(*) FROM notifications GROUP BY state ORDER BY state")
            .fetch_all(pool)
            .await
    })
}
