//! Accounts for admins: the list, and the changes the command line also makes (disable, enable, role,
//! password). The rules live in [`super::accounts::change`]: one transaction with its audit row, and never
//! without an active admin.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use utoipa::ToSchema;

use super::accounts::{self, AccountChange, AccountDto, Changed, CreateError, Role};
use super::password::Password;
use super::{AdminOnly, AdminState, ApiError, ApiJson, ApiPath, FieldError, Problem};

#[derive(Debug, Deserialize, ToSchema)]
pub struct RoleRequest {
    /// `admin` or `viewer`.
    #[schema(example = "viewer")]
    pub role: String,
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordRequest {
    /// At least twelve characters.
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// Every account, oldest first.
#[utoipa::path(
    get,
    path = "/admin/accounts",
    operation_id = "list_accounts",
    tag = "accounts",
    responses(
        (status = 200, description = "Every account", body = Vec<AccountDto>),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AdminState>,
    AdminOnly(_claims): AdminOnly,
) -> Result<Json<Vec<AccountDto>>, ApiError> {
    let all = accounts::list(&state.app.db).await?;
    Ok(Json(all.iter().map(AccountDto::from).collect()))
}

/// Disables an account: it can no longer sign in, its tokens stop working at once.
#[utoipa::path(
    post,
    path = "/admin/accounts/{id}/disable",
    operation_id = "disable_account",
    tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account, disabled (also when it already was)", body = AccountDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last active admin", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn disable(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    apply(&state, &claims, id, AccountChange::Disable).await
}

/// Enables a disabled account.
#[utoipa::path(
    post,
    path = "/admin/accounts/{id}/enable",
    operation_id = "enable_account",
    tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    responses(
        (status = 200, description = "The account, active (also when it already was)", body = AccountDto),
        (status = 400, description = "An id that is not a number", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn enable(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
) -> Result<Json<AccountDto>, ApiError> {
    apply(&state, &claims, id, AccountChange::Enable).await
}

/// Gives an account another role.
#[utoipa::path(
    put,
    path = "/admin/accounts/{id}/role",
    operation_id = "set_account_role",
    tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The account with its role", body = AccountDto),
        (status = 400, description = "Not a JSON role request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The last active admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a role", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_role(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> Result<Json<AccountDto>, ApiError> {
    let Some(role) = Role::parse(body.role.trim()) else {
        return Err(ApiError::Validation(vec![FieldError::new(
            "role",
            "admin or viewer",
        )]));
    };
    apply(&state, &claims, id, AccountChange::Role(role)).await
}

/// Sets an account's password; its sign-ins end.
#[utoipa::path(
    put,
    path = "/admin/accounts/{id}/password",
    operation_id = "set_account_password",
    tag = "accounts",
    params(("id" = i64, Path, description = "Account id")),
    request_body = PasswordRequest,
    responses(
        (status = 200, description = "The account (its refresh tokens revoked)", body = AccountDto),
        (status = 400, description = "Not a JSON password request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A password that is too short or too long", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_password(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<PasswordRequest>,
) -> Result<Json<AccountDto>, ApiError> {
    let password = Password::new(body.password)
        .map_err(|reason| ApiError::Validation(vec![FieldError::new("password", reason)]))?;
    apply(&state, &claims, id, AccountChange::Password(password)).await
}

/// Makes the change as the calling admin and answers the account as it is now.
async fn apply(
    state: &AdminState,
    claims: &super::tokens::AdminClaims,
    id: i64,
    change: AccountChange,
) -> Result<Json<AccountDto>, ApiError> {
    match accounts::change(&state.app.db, claims.into(), id, change).await {
        Ok(Changed::Done(account) | Changed::AlreadySo(account)) => Ok(Json(AccountDto::from(&account))),
        Ok(Changed::NotFound) => Err(ApiError::NotFound(format!("no account {id}"))),
        Ok(Changed::LastAdmin) => Err(ApiError::Conflict(format!(
            "account {id} is the last active admin; make another admin first"
        ))),
        Err(CreateError::Db(e)) => Err(e.into()),
        Err(e) => Err(ApiError::Internal(e.to_string())),
    }
}
