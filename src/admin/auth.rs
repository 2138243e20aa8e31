//! The authentication endpoints: login, refresh, logout (public: they take credentials in the body),
//! and `me` and `revoke-all` (behind the auth layer).

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AdminState;
use super::accounts::{self, Account, Role, Username};
use super::audit::{self, Entry};
use super::error::{ApiError, ApiJson, Problem};
use super::layer::{AdminOnly, Viewer};
use super::password;
use super::refresh::{self, Rotation};
use super::throttle::ClientIp;
use super::tokens::new_refresh_token;

/// A password longer than this is not checked at all (it cannot be one: accounts allow 256 characters).
const MAX_PASSWORD_BYTES: usize = 4096;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "kim.admin")]
    pub username: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

/// A token pair. Send `access_token` as `Authorization: Bearer …`; when it expires, exchange
/// `refresh_token` at `/admin/auth/refresh` (each refresh token works once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT (HS256) for the `Authorization` header.
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until `access_token` expires.
    #[schema(example = 900)]
    pub expires_in: u64,
    /// Opaque; exchange it once for a new pair.
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LogoutResponse {
    /// Every refresh token of this sign-in is revoked.
    pub signed_out: bool,
}

/// The caller, as its access token and account say.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeResponse {
    pub account_id: i64,
    pub username: String,
    pub role: Role,
    /// When the access token expires (Unix seconds).
    pub expires_at: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeAllRequest {
    /// The account whose sign-ins are ended.
    pub account_id: i64,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevokeAllResponse {
    /// How many live refresh tokens were revoked.
    pub revoked: u64,
}

/// Signs in with a username and password.
///
/// A wrong username and a wrong password get the same answer in about the same time. Failed attempts
/// are limited per username and per client address; past the limit the answer is 429 with
/// `Retry-After`.
#[utoipa::path(
    post,
    path = "/admin/auth/login",
    operation_id = "login",
    tag = "auth",
    security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenResponse),
        (status = 400, description = "Not a JSON login request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Wrong username or password (indistinguishable)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts for this username or address", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "The admin API is disabled (no JWT_SECRET)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AdminState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let attempt = state.throttle.begin(&body.username, ip).await?;
    let Some(account) = check_password(&state, &body.username, &body.password).await? else {
        tracing::info!("admin login refused");
        return Err(ApiError::InvalidCredentials("wrong username or password"));
    };
    state.throttle.succeeded(attempt).await;
    let refresh_token = new_refresh_token();
    refresh::start_family(&state.app.db, account.id, &refresh_token, state.refresh_ttl).await?;
    let pair = token_pair(&state, &account, refresh_token);
    let entry = Entry::new("auth.login", "admin_account", Some(account.id));
    audit::record(&state.app.db, &account, &entry).await?;
    tracing::info!(account_id = account.id, "admin signed in");
    Ok(Json(pair))
}

/// The account, when `username` names an active one whose password is `password`. Every path runs one
/// argon2 verification, so timing does not tell an unknown username from a wrong password.
pub(super) async fn check_password(
    state: &AdminState,
    username: &str,
    password: &str,
) -> Result<Option<Account>, ApiError> {
    let account = match Username::parse(username) {
        Ok(name) if password.len() <= MAX_PASSWORD_BYTES => {
            accounts::find_by_username(&state.app.db, &name).await?
        }
        _ => None,
    };
    let Some(account) = account else {
        password::verify_dummy(password).await.map_err(internal)?;
        return Ok(None);
    };
    let matches = password::verify(password, &account.password_hash)
        .await
        .map_err(internal)?;
    // A disabled account answers like a wrong password: its state is nobody's business.
    Ok((matches && account.is_active()).then_some(account))
}

/// Exchanges a refresh token for a new pair; the presented token stops working.
///
/// Presenting a refresh token that was already exchanged revokes every token of its sign-in (the
/// newest included): someone holds a copy.
#[utoipa::path(
    post,
    path = "/admin/auth/refresh",
    operation_id = "refresh_tokens",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenResponse),
        (status = 400, description = "Not a JSON refresh request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown, expired, revoked or reused refresh token, or a disabled account", body = Problem,
            content_type = "application/problem+json"),
        (status = 503, description = "The admin API is disabled (no JWT_SECRET)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn refresh(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<TokenResponse>, ApiError> {
    let successor = new_refresh_token();
    let rotation = refresh::rotate(&state.app.db, &body.refresh_token, &successor, state.refresh_ttl).await?;
    let account_id = match rotation {
        Rotation::Rotated { account_id } => account_id,
        Rotation::Reused => {
            tracing::warn!("an admin refresh token was reused; its sign-in is revoked");
            return Err(ApiError::InvalidCredentials(
                "the refresh token was already used; this sign-in is revoked",
            ));
        }
        Rotation::Unknown | Rotation::Expired | Rotation::Revoked | Rotation::AccountDisabled => {
            return Err(ApiError::InvalidCredentials("the refresh token is not valid"));
        }
    };
    // The rotation checked the account inside its transaction; a disable racing it is caught here.
    let account = accounts::find(&state.app.db, account_id)
        .await?
        .filter(Account::is_active)
        .ok_or(ApiError::InvalidCredentials("the refresh token is not valid"))?;
    Ok(Json(token_pair(&state, &account, successor)))
}

/// Signs out: revokes the refresh token and every other token of its sign-in. Access tokens already
/// issued run out by themselves (15 minutes by default).
#[utoipa::path(
    post,
    path = "/admin/auth/logout",
    operation_id = "logout",
    tag = "auth",
    security(()),
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "Signed out (also when it already was)", body = LogoutResponse),
        (status = 400, description = "Not a JSON logout request", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown refresh token", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The admin API is disabled (no JWT_SECRET)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn logout(
    State(state): State<AdminState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<LogoutResponse>, ApiError> {
    if !refresh::revoke_family_of(&state.app.db, &body.refresh_token).await? {
        return Err(ApiError::InvalidCredentials("the refresh token is not valid"));
    }
    Ok(Json(LogoutResponse { signed_out: true }))
}

/// The caller's account and role.
#[utoipa::path(
    get,
    path = "/admin/me",
    operation_id = "get_me",
    tag = "auth",
    responses(
        (status = 200, description = "The caller", body = MeResponse),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn me(Viewer(claims): Viewer) -> Result<Json<MeResponse>, ApiError> {
    Ok(Json(MeResponse {
        account_id: claims.account_id,
        username: claims.username,
        role: claims.role,
        expires_at: claims.exp,
    }))
}

/// Ends every sign-in of an account (admins only): its refresh tokens stop working. To shut an account
/// out at once, including its unexpired access tokens, disable it.
#[utoipa::path(
    post,
    path = "/admin/auth/revoke-all",
    operation_id = "revoke_all_sign_ins",
    tag = "auth",
    request_body = RevokeAllRequest,
    responses(
        (status = 200, description = "Revoked", body = RevokeAllResponse),
        (status = 401, description = "Missing, invalid or expired access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The caller is not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_all(
    State(state): State<AdminState>,
    AdminOnly(claims): AdminOnly,
    ApiJson(body): ApiJson<RevokeAllRequest>,
) -> Result<Json<RevokeAllResponse>, ApiError> {
    if accounts::find(&state.app.db, body.account_id).await?.is_none() {
        return Err(ApiError::NotFound(format!(
            "no admin account {}",
            body.account_id
        )));
    }
    let revoked = refresh::revoke_account(&state.app.db, body.account_id).await?;
    let response = RevokeAllResponse { revoked };
    let entry = Entry::new("auth.revoke_all", "admin_account", Some(body.account_id)).after(&response);
    audit::record(&state.app.db, &claims, &entry).await?;
    Ok(Json(response))
}

fn token_pair(state: &AdminState, account: &Account, refresh_token: String) -> TokenResponse {
    TokenResponse {
        access_token: state.tokens.issue(account),
        token_type: "Bearer".into(),
        expires_in: state.tokens.ttl_secs(),
        refresh_token,
    }
}

fn internal(err: password::PasswordError) -> ApiError {
    ApiError::Internal(err.to_string())
}
