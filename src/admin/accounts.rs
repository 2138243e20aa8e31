//! Admin accounts: who may use the admin API, with which role, and their storage.
//!
//! Accounts are made only by an operator on the server (`junggye admin create`); the API cannot create
//! one, and none exists by default. Once made, they are listed, disabled, enabled, given another role or a
//! new password from the command line or, by admins, through the API ([`change`]); every change is in the
//! audit log, and the last active admin can be neither disabled nor demoted. The original system's admin "password" was a member's Kakao
//! key; here it is a password of at least twelve characters, kept only as an argon2id hash.

use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use utoipa::ToSchema;

use super::audit::{self, Actor, Entry};
use super::password::{self, Password, PasswordError};
use crate::clock::now_ms;
use crate::db::{BeginWrite, Db, dispatch, dispatch_write, violates_unique};

/// What an account may do. `Admin` may do everything a `Viewer` may, and change things.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Reads and changes.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "admin" => Some(Self::Admin),
            "viewer" => Some(Self::Viewer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Viewer => "viewer",
        }
    }

    /// Whether this role includes `needed` (an admin is also a viewer).
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

/// A login name: 3–32 characters of `a-z 0-9 . _ -`, stored lowercase so `Kim` and `kim` are one account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let name = raw.trim().to_ascii_lowercase();
        if !(3..=32).contains(&name.len()) {
            return Err("the username must be 3 to 32 characters");
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        if !name.chars().all(allowed) {
            return Err("the username may contain only a-z, 0-9, '.', '_' and '-'");
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// The argon2id PHC string.
    pub password_hash: String,
    pub disabled_at: Option<i64>,
}

impl Account {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

#[derive(FromRow)]
pub(super) struct AccountRow {
    id: i64,
    username: String,
    role: String,
    password_hash: String,
    disabled_at: Option<i64>,
}

impl AccountRow {
    pub(super) fn into_account(self) -> Result<Account, sqlx::Error> {
        let role = Role::parse(&self.role)
            .ok_or_else(|| sqlx::Error::Decode(format!("admin account {}: bad role", self.id).into()))?;
        Ok(Account {
            id: self.id,
            username: self.username,
            role,
            password_hash: self.password_hash,
            disabled_at: self.disabled_at,
        })
    }
}

const SELECT_BY_USERNAME: &str =
    "SELECT id, username, role, password_hash, disabled_at FROM admin_accounts WHERE username = $1";
const SELECT_BY_ID: &str =
    "SELECT id, username, role, password_hash, disabled_at FROM admin_accounts WHERE id = $1";

/// The account named `username`, active or not.
pub async fn find_by_username(db: &Db, username: &Username) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<AccountRow> = dispatch!(db, pool => {
        sqlx::query_as(SELECT_BY_USERNAME).bind(username.as_str()).fetch_optional(pool).await?
    });
    row.map(AccountRow::into_account).transpose()
}

/// The account with this id, active or not.
pub async fn find(db: &Db, id: i64) -> Result<Option<Account>, sqlx::Error> {
    let row: Option<AccountRow> = dispatch!(db, pool => {
        sqlx::query_as(SELECT_BY_ID).bind(id).fetch_optional(pool).await?
    });
    row.map(AccountRow::into_account).transpose()
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("an account named `{0}` already exists")]
    Taken(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Creates an account (hashing the password off the async workers); the unique index decides races.
pub async fn create(
    db: &Db,
    username: &Username,
    role: Role,
    password: &Password,
) -> Result<Account, CreateError> {
    let password_hash = password::hash(password).await?;
    let now = now_ms();
    let inserted: Result<(i64,), sqlx::Error> = dispatch_write!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        let row = sqlx::query_as(
            "INSERT INTO admin_accounts (username, password_hash, role, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING id",
        )
        .bind(username.as_str())
        .bind(&password_hash)
        .bind(role.as_str())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }
    .await);
    match inserted {
        Ok((id,)) => Ok(Account {
            id,
            username: username.as_str().to_owned(),
            role,
            password_hash,
            disabled_at: None,
        }),
        Err(e) if violates_unique(&e, "admin_accounts_username_key", "admin_accounts.username") => {
            Err(CreateError::Taken(username.as_str().to_owned()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Disables the account: its access tokens stop working at once (the auth layer reads the account on
/// every request) and its refresh tokens at their next use. False when it was already disabled.
pub async fn disable(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    let done = dispatch_write!(db, pool => {
        sqlx::query(
            "UPDATE admin_accounts SET disabled_at = $1, updated_at = $1 \
             WHERE id = $2 AND disabled_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(done == 1)
}

/// An account as the API, the CLI and the audit log show it (never its password hash).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AccountDto {
    pub id: i64,
    #[schema(example = "ops.kim")]
    pub username: String,
    pub role: Role,
    /// False once disabled: it can neither sign in nor use a token it holds.
    pub active: bool,
    /// Unix milliseconds (UTC) of the disabling.
    pub disabled_at: Option<i64>,
}

impl From<&Account> for AccountDto {
    fn from(account: &Account) -> Self {
        Self {
            id: account.id,
            username: account.username.clone(),
            role: account.role,
            active: account.is_active(),
            disabled_at: account.disabled_at,
        }
    }
}

/// Every account, oldest first.
pub async fn list(db: &Db) -> Result<Vec<Account>, sqlx::Error> {
    let rows: Vec<AccountRow> = dispatch!(db, pool => {
        sqlx::query_as("SELECT id, username, role, password_hash, disabled_at FROM admin_accounts ORDER BY id")
            .fetch_all(pool)
            .await?
    });
    rows.into_iter().map(AccountRow::into_account).collect()
}

/// One change to an account.
#[derive(Debug)]
pub enum AccountChange {
    Disable,
    Enable,
    Role(Role),
    Password(Password),
}

impl AccountChange {
    fn action(&self) -> &'static str {
        match self {
            Self::Disable => "account.disable",
            Self::Enable => "account.enable",
            Self::Role(_) => "account.role",
            Self::Password(_) => "account.password",
        }
    }
}

/// The account as `change` would leave it (the password is not part of it).
fn changed_account(before: &Account, change: &AccountChange, now: i64) -> Account {
    let mut after = before.clone();
    match change {
        AccountChange::Disable => after.disabled_at = before.disabled_at.or(Some(now)),
        AccountChange::Enable => after.disabled_at = None,
        AccountChange::Role(role) => after.role = *role,
        AccountChange::Password(_) => {}
    }
    after
}

/// What became of a change.
#[derive(Debug)]
pub enum Changed {
    /// Made (and audited); the account as it is now.
    Done(Account),
    /// Nothing to do: the account already is so (nothing written).
    AlreadySo(Account),
    NotFound,
    /// Refused: it would leave no active admin.
    LastAdmin,
}

/// Makes `change` to account `id` on behalf of `actor`, in one transaction with its audit row.
///
/// The rule "at least one active admin" is kept under concurrency: the transaction first touches every
/// active admin's row, so on PostgreSQL a second change waits for the first to commit and then sees its
/// result (SQLite runs one write at a time anyway). Disabling an account and setting its password also end
/// its sign-ins: its refresh tokens are revoked, and its access tokens stop at once because the auth
/// layer reads the account on every request.
pub async fn change(
    db: &Db,
    actor: Actor<'_>,
    id: i64,
    change: AccountChange,
) -> Result<Changed, CreateError> {
    let new_hash = match &change {
        AccountChange::Password(password) => Some(password::hash(password).await?),
        _ => None,
    };
    let now = now_ms();
    let action = change.action();
    let outcome: Result<Changed, sqlx::Error> = dispatch_write!(db, pool => async {
        let mut tx = pool.begin_write().await?;
        sqlx::query("UPDATE admin_accounts SET updated_at = updated_at WHERE role = 'admin' AND disabled_at IS NULL")
            .execute(&mut *tx)
            .await?;
        let before = sqlx::query_as::<_, AccountRow>(SELECT_BY_ID)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(AccountRow::into_account)
            .transpose()?;
        let (other_admins,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM admin_accounts WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
        )
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        // Leaves early with `break`, never `return`: the write gate records how every write ended.
        let decided = 'decide: {
            let Some(before) = before else {
                break 'decide Changed::NotFound;
            };
            let after = changed_account(&before, &change, now);
            let was_admin = before.is_active() && before.role == Role::Admin;
            let stays_admin = after.is_active() && after.role == Role::Admin;
            if was_admin && !stays_admin && other_admins == 0 {
                break 'decide Changed::LastAdmin;
            }
            let same = after.role == before.role && after.disabled_at == before.disabled_at;
            if same && new_hash.is_none() {
                break 'decide Changed::AlreadySo(before);
            }
            let done = sqlx::query(
                "UPDATE admin_accounts SET role = $1, disabled_at = $2, password_hash = COALESCE($3, password_hash), \
                 updated_at = $4 WHERE id = $5",
            )
            .bind(after.role.as_str())
            .bind(after.disabled_at)
            .bind(new_hash.as_deref())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done != 1 {
                break 'decide Changed::NotFound;
            }
            let entry = Entry::new(action, "admin_account", Some(id))
                .before(&AccountDto::from(&before))
                .after(&AccountDto::from(&after));
            audit::record_in(&mut *tx, actor, &entry).await?;
            Changed::Done(after)
        };
        if matches!(decided, Changed::Done(_)) {
            tx.commit().await?;
        }
        Ok(decided)
    }
    .await);
    let outcome = outcome?;
    if let Changed::Done(account) = &outcome
        && (!account.is_active() || matches!(change, AccountChange::Password(_)))
    {
        super::refresh::revoke_account(db, id).await?;
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercase_names_of_three_to_thirty_two_characters() {
        assert_eq!(Username::parse(" Kim.Admin ").unwrap().as_str(), "kim.admin");
        for bad in ["ab", "", "a b c", "관리자님", "x;drop", &"a".repeat(33)] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn an_admin_is_also_a_viewer_but_not_the_reverse() {
        assert!(Role::Admin.allows(Role::Viewer));
        assert!(Role::Admin.allows(Role::Admin));
        assert!(Role::Viewer.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Admin));
        assert_eq!(Role::parse("viewer"), Some(Role::Viewer));
        assert_eq!(Role::parse("root"), None);
    }
}
