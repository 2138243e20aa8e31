//! `junggye admin create`: the only way an admin account comes to exist; and `admin list | disable |
//! enable | role | password`, for the operator on the server (the API offers the same to admins).
//!
//! The command line acts as no account: its changes are in the audit log under the username `cli`, with
//! the changed account as the actor id (the log's rows must name an account).
//!
//! The password never travels as a command-line argument (those are visible to every user of the machine
//! in the process list and land in shell history): it is typed at a prompt that does not echo, or piped
//! on standard input with `--password-stdin`.

use std::io::{BufRead, IsTerminal};

use super::accounts::{self, Account, AccountChange, AccountDto, Changed, CreateError, Role, Username};
use super::audit::Actor;
use super::password::Password;
use crate::db::Db;

/// Why an account could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Create(#[from] CreateError),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// Parses `--role`.
pub fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("`{s}` is not admin or viewer"))
}

/// Parses `--username` (before the password is asked for, so a typo fails fast).
pub fn parse_username(s: &str) -> Result<Username, CliError> {
    Username::parse(s).map_err(|e| CliError::Input(e.to_owned()))
}

/// The new password: the first line of standard input with `from_stdin`, else typed twice at a
/// prompt without echo. Without a terminal and without `from_stdin` nothing is read.
pub fn read_password(from_stdin: bool) -> Result<Password, CliError> {
    let typed = if from_stdin {
        first_line(std::io::stdin().lock())?
    } else if std::io::stdin().is_terminal() {
        prompt_twice()?
    } else {
        return Err(CliError::Input(
            "standard input is not a terminal: pipe the password with --password-stdin".into(),
        ));
    };
    Password::new(typed).map_err(CliError::Input)
}

/// The first line of `input`, without its line ending.
fn first_line(mut input: impl BufRead) -> Result<String, CliError> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("reading the password: {e}")))?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

fn prompt_twice() -> Result<String, CliError> {
    let read = |prompt: &str| {
        rpassword::prompt_password(prompt).map_err(|e| CliError::Input(format!("reading the password: {e}")))
    };
    let first = read("Password (12 characters or more): ")?;
    if read("Repeat it: ")? != first {
        return Err(CliError::Input("the two passwords differ".into()));
    }
    Ok(first)
}

/// Creates the account (applying migrations first, so a fresh database works).
pub async fn create(
    db: &Db,
    username: &Username,
    role: Role,
    password: &Password,
) -> Result<Account, CliError> {
    db.migrate().await?;
    Ok(accounts::create(db, username, role, password).await?)
}

/// `admin list`: one line per account.
pub async fn list(db: &Db) -> Result<String, CliError> {
    db.migrate().await?;
    let mut out = format!("{:>4}  {:<32}  {:<6}  {}\n", "id", "username", "role", "state");
    for account in accounts::list(db).await? {
        let state = if account.is_active() { "active" } else { "disabled" };
        out.push_str(&format!(
            "{:>4}  {:<32}  {:<6}  {state}\n",
            account.id,
            account.username,
            account.role.as_str()
        ));
    }
    Ok(out)
}

/// `admin disable | enable | role | password`: the change, and one line saying what became of it.
pub async fn change(db: &Db, username: &Username, change: AccountChange) -> Result<String, CliError> {
    db.migrate().await?;
    let Some(account) = accounts::find_by_username(db, username).await? else {
        return Err(CliError::Input(format!("no account named `{username}`")));
    };
    let actor = Actor {
        account_id: account.id,
        username: "cli",
    };
    let describe = |a: &Account| serde_json::to_string(&AccountDto::from(a)).unwrap_or_default();
    match accounts::change(db, actor, account.id, change).await? {
        Changed::Done(after) => Ok(format!("changed: {}", describe(&after))),
        Changed::AlreadySo(same) => Ok(format!("already so, nothing written: {}", describe(&same))),
        Changed::NotFound => Err(CliError::Input(format!("no account named `{username}`"))),
        Changed::LastAdmin => Err(CliError::Input(format!(
            "`{username}` is the last active admin: make another admin first"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_is_the_first_line_without_its_ending() {
        let line = first_line(&b"correct horse battery\r\nsecond line\n"[..]).unwrap();
        assert_eq!(line, "correct horse battery");
        assert_eq!(
            first_line(&b"no newline at all"[..]).unwrap(),
            "no newline at all"
        );
    }

    #[test]
    fn roles_are_admin_or_viewer() {
        assert_eq!(parse_role("viewer"), Ok(Role::Viewer));
        assert!(parse_role("root").is_err());
    }
}
