//! Members in the database. Every rule that two requests could race on is enforced here by the
//! database itself: unique indexes for names and user keys, conditional updates for withdrawal.

use std::sync::LazyLock;

use sqlx::FromRow;

use super::model::{Grade, Member};
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, WriteGate, dispatch, dispatch_write, text_set, violates_unique};
use crate::domain::ids::MemberId;
use crate::domain::member::{MemberName, PhoneNumber};
use crate::orders::OrderStatus;
use crate::products::catalog::Catalog;
use crate::products::model::ProductStatus;

#[derive(FromRow)]
struct MemberRow {
    id: MemberId,
    user_key: String,
    name: String,
    phone: Option<String>,
    grade: String,
    created_at: i64,
    suspended_at: Option<i64>,
}

impl MemberRow {
    /// Rows were validated on the way in; a row that no longer parses means the data was edited by hand.
    fn into_member(self) -> Result<Member, sqlx::Error> {
        let corrupt = |what: &str| sqlx::Error::Decode(format!("member {}: bad {what}", self.id).into());
        let phone = self.phone.as_deref().and_then(|p| PhoneNumber::parse(p).ok());
        Ok(Member {
            id: self.id,
            phone: phone.ok_or_else(|| corrupt("phone"))?,
            grade: Grade::parse(&self.grade).ok_or_else(|| corrupt("grade"))?,
            user_key: self.user_key,
            name: self.name,
            joined_at: self.created_at,
            suspended: self.suspended_at.is_some(),
        })
    }
}

const SELECT_ACTIVE_BY_USER_KEY: &str = "SELECT id, user_key, name, phone, grade, created_at, suspended_at \
     FROM members WHERE user_key = $1 AND deleted_at IS NULL";

/// The active member with this Kakao user key, if any.
pub async fn find_active(db: &Db, user_key: &str) -> Result<Option<Member>, sqlx::Error> {
    let row: Option<MemberRow> = dispatch!(db, pool => {
        sqlx::query_as(SELECT_ACTIVE_BY_USER_KEY).bind(user_key).fetch_optional(pool).await?
    });
    row.map(MemberRow::into_member).transpose()
}

/// What a join needs.
pub struct NewMember<'a> {
    pub user_key: &'a str,
    pub plusfriend_key: Option<&'a str>,
    pub name: &'a MemberName,
    pub phone: &'a PhoneNumber,
}

#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    #[error("already a member")]
    AlreadyMember,
    #[error("name taken")]
    NameTaken,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// The statement of a join, without `RETURNING` (see [`insert`] for why SQLite goes without it).
macro_rules! insert_member_sql {
    () => {
        "INSERT INTO members (user_key, plusfriend_key, name, phone, grade, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $6, $5, $5)"
    };
}

/// Binds a join's values to either backend's [`insert_member_sql!`] statement.
macro_rules! bind_new_member {
    ($query:expr, $new:expr, $now:expr) => {
        $query
            .bind($new.user_key)
            .bind($new.plusfriend_key)
            .bind($new.name.as_str())
            .bind($new.phone.as_str())
            .bind($now)
            .bind(Grade::Bronze)
    };
}

/// Creates the member. The unique indexes decide races: of two joins with one name, one gets `NameTaken`.
///
/// On SQLite the join is one statement in autocommit, run to completion: SQLite commits inside the last
/// step, so a commit that fails (a full disk) fails the statement. (`INSERT … RETURNING` read with
/// `fetch_one` would hand back the row before that step and lose the error when the statement is reset.)
/// That is one round trip to the connection's thread, under the write gate, instead of three (`BEGIN`,
/// `INSERT`, `COMMIT`). PostgreSQL reads the id back in a transaction whose commit is checked.
pub async fn insert(db: &Db, new: NewMember<'_>) -> Result<Member, JoinError> {
    let now = now_ms();
    let result = match db {
        Db::Sqlite(pool, gate) => insert_sqlite(pool, gate, &new, now).await,
        Db::Postgres(pool) => insert_postgres(pool, &new, now).await,
    };
    match result {
        Ok(id) => Ok(Member {
            id,
            user_key: new.user_key.to_owned(),
            name: new.name.as_str().to_owned(),
            phone: new.phone.clone(),
            grade: Grade::Bronze,
            joined_at: now,
            suspended: false,
        }),
        Err(e) if violates_unique(&e, "members_active_user_key", "members.user_key") => {
            Err(JoinError::AlreadyMember)
        }
        Err(e) if violates_unique(&e, "members_active_name", "members.name") => Err(JoinError::NameTaken),
        Err(e) => Err(e.into()),
    }
}

async fn insert_sqlite(
    pool: &sqlx::SqlitePool,
    gate: &WriteGate,
    new: &NewMember<'_>,
    now: i64,
) -> Result<MemberId, sqlx::Error> {
    let mut turn = gate.turn().await?;
    let inserted = bind_new_member!(sqlx::query(insert_member_sql!()), new, now)
        .execute(pool)
        .await
        .map(|done| MemberId::new(done.last_insert_rowid()));
    turn.finished(&inserted);
    inserted
}

async fn insert_postgres(
    pool: &sqlx::PgPool,
    new: &NewMember<'_>,
    now: i64,
) -> Result<MemberId, sqlx::Error> {
    let mut tx = pool.begin_write().await?;
    let (id,): (MemberId,) = bind_new_member!(
        sqlx::query_as(concat!(insert_member_sql!(), " RETURNING id")),
        new,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces the member's phone number; false when the member is no longer active.
pub async fn update_phone(db: &Db, member_id: MemberId, phone: &PhoneNumber) -> Result<bool, sqlx::Error> {
    let done = dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE members SET phone = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL",
        )
        .bind(phone.as_str())
        .bind(now_ms())
        .bind(member_id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

#[derive(Debug, PartialEq, Eq)]
pub enum WithdrawOutcome {
    Withdrawn,
    /// Open trades (an unfinished purchase or sale) keep the member.
    OpenTrades(i64),
    /// Already withdrawn (e.g. a double tap).
    NotActive,
}

/// Soft-deletes the member, erases their phone number, takes their listings down and forgets their
/// keywords and saved products, unless a trade is open.
///
/// One write transaction. The member row is updated first: on PostgreSQL that locks it, and
/// `orders::store::open` locks both members before it creates an order, so either the order exists when
/// the open trades are counted here, or the order finds the member gone. Locking in the same order also
/// means the two never deadlock. Open trades roll everything back.
pub async fn withdraw(
    db: &Db,
    catalog: &Catalog,
    member_id: MemberId,
) -> Result<WithdrawOutcome, sqlx::Error> {
    let outcome = withdraw_in_db(db, member_id).await?;
    catalog.retire_if(outcome == WithdrawOutcome::Withdrawn);
    Ok(outcome)
}

async fn withdraw_in_db(db: &Db, member_id: MemberId) -> Result<WithdrawOutcome, sqlx::Error> {
    dispatch_write!(db, pool => 'write: {
        let mut tx = pool.begin_write().await?;
        let now = now_ms();
        let done = sqlx::query(
            "UPDATE members SET deleted_at = $1, updated_at = $1, phone = NULL \
             WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(now)
        .bind(member_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done != 1 {
            break 'write Ok(WithdrawOutcome::NotActive);
        }
        let (open,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(OPEN_TRADES.as_str())).bind(member_id).fetch_one(&mut *tx).await?;
        if open > 0 {
            // Dropping the transaction rolls the withdrawal back.
            break 'write Ok(WithdrawOutcome::OpenTrades(open));
        }
        sqlx::query(
            "UPDATE products SET status = $3, updated_at = $1 \
             WHERE seller_id = $2 AND status IN ($4, $5, $6)",
        )
        .bind(now)
        .bind(member_id)
        .bind(ProductStatus::Deleted)
        .bind(ProductStatus::OnSale)
        .bind(ProductStatus::Reserved)
        .bind(ProductStatus::Hidden)
        .execute(&mut *tx)
        .await?;
        // What the member watched leaves with them: it was theirs alone, and a seller's 찜 count then
        // counts only members who are still here.
        for forget in [
            "DELETE FROM keywords WHERE member_id = $1",
            "DELETE FROM favourites WHERE member_id = $1",
        ] {
            sqlx::query(forget).bind(member_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(WithdrawOutcome::Withdrawn)
    })
}

/// Trades that keep a member from withdrawing: their orders, bought or sold, that are not settled yet
/// (`OrderStatus::is_open`: being paid, paid and on the way, or waiting for a refund). The set is written
/// from that rule, so the two cannot disagree.
static OPEN_TRADES: LazyLock<String> = LazyLock::new(|| {
    let open = text_set(
        OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_open())
            .map(OrderStatus::key),
    );
    format!("SELECT COUNT(*) FROM orders WHERE (buyer_id = $1 OR seller_id = $1) AND status IN {open}")
});
