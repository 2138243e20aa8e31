//! `/admin/ui/accounts` (admins only): every account, and disabling, enabling, changing the role or
//! setting the password — the API's account changes, under the same rule (never no active admin).

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;

use super::session::Operator;
use super::view::{self, Chrome, Flash, Section, at};
use crate::admin::account_api::{self as api, PasswordRequest, RoleRequest};
use crate::admin::accounts::{AccountDto, Role};
use crate::admin::{AdminState, ApiError, ApiJson, ApiPath};

struct AccountRow {
    id: i64,
    username: String,
    role: &'static str,
    active: bool,
    disabled: String,
    is_me: bool,
}

#[derive(Template)]
#[template(path = "accounts.html")]
struct AccountsPage {
    chrome: Chrome,
    rows: Vec<AccountRow>,
}

/// `GET /admin/ui/accounts`.
pub async fn list(State(state): State<AdminState>, operator: Operator) -> Response {
    render(&state, &operator, None).await
}

async fn render(state: &AdminState, operator: &Operator, flash: Option<Flash>) -> Response {
    match operator
        .as_admin(|admin| api::list(State(state.clone()), admin))
        .await
    {
        Ok(accounts) => {
            let page = AccountsPage {
                chrome: Chrome::new(operator, Section::Accounts, flash.clone()),
                rows: accounts.iter().map(|a| row(a, operator)).collect(),
            };
            view::page(&page, flash.as_ref())
        }
        Err(error) => view::problem(operator, Section::Accounts, error),
    }
}

fn row(account: &AccountDto, operator: &Operator) -> AccountRow {
    AccountRow {
        id: account.id,
        username: account.username.clone(),
        role: account.role.as_str(),
        active: account.active,
        disabled: at(account.disabled_at),
        is_me: account.id == operator.claims.account_id,
    }
}

/// `POST /admin/ui/accounts/{id}/disable`.
pub async fn disable(
    State(state): State<AdminState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let done = operator
        .as_admin(|admin| api::disable(State(state.clone()), admin, ApiPath(id)))
        .await;
    finish(
        &state,
        &operator,
        &headers,
        done,
        "사용 중지했습니다. 그 계정의 로그인은 모두 끝났습니다.",
    )
    .await
}

/// `POST /admin/ui/accounts/{id}/enable`.
pub async fn enable(
    State(state): State<AdminState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
) -> Response {
    let done = operator
        .as_admin(|admin| api::enable(State(state.clone()), admin, ApiPath(id)))
        .await;
    finish(&state, &operator, &headers, done, "다시 사용하게 했습니다.").await
}

#[derive(Deserialize)]
pub struct RoleForm {
    role: String,
}

/// `POST /admin/ui/accounts/{id}/role`.
pub async fn set_role(
    State(state): State<AdminState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<RoleForm>,
) -> Response {
    let request = RoleRequest { role: form.role };
    let done = operator
        .as_admin(|admin| api::set_role(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    finish(&state, &operator, &headers, done, "역할을 바꿨습니다.").await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    password: String,
}

/// `POST /admin/ui/accounts/{id}/password`.
pub async fn set_password(
    State(state): State<AdminState>,
    operator: Operator,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i64>,
    Form(form): Form<PasswordForm>,
) -> Response {
    let request = PasswordRequest {
        password: form.password,
    };
    let done = operator
        .as_admin(|admin| api::set_password(State(state.clone()), admin, ApiPath(id), ApiJson(request)))
        .await;
    finish(
        &state,
        &operator,
        &headers,
        done,
        "비밀번호를 바꿨습니다. 그 계정의 로그인은 모두 끝났습니다.",
    )
    .await
}

/// The accounts page after a change, with its outcome. A change that ended the operator's own
/// sign-in (disabling themselves, a new password) sends them to sign in again.
async fn finish(
    state: &AdminState,
    operator: &Operator,
    headers: &HeaderMap,
    done: Result<AccountDto, ApiError>,
    message: &str,
) -> Response {
    let flash = match done {
        Ok(account) => {
            let still_mine = account.id != operator.claims.account_id
                || crate::admin::sessions::is_live(&state.app.db, operator.session_id)
                    .await
                    .unwrap_or(false);
            if !still_mine {
                return super::session::go_to(headers, super::LOGIN_PATH);
            }
            if account.id == operator.claims.account_id && account.role != Role::Admin {
                // Demoted themselves: the accounts page is no longer theirs.
                return super::session::go_to(headers, super::ROOT);
            }
            Flash::ok(format!("{}: {message}", account.username))
        }
        Err(error) => Flash::from(error),
    };
    render(state, operator, Some(flash)).await
}
