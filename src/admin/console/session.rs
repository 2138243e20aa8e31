//! Signing in to the console: the session cookie, the CSRF check, the sign-in and sign-out pages.
//!
//! The cookie `junggye_console` holds an opaque token (its hash is the row in `admin_sessions`), scoped
//! to `/admin/ui`, `HttpOnly` (no script reads it), `Secure` (never sent over plain HTTP, except to
//! localhost, which browsers count as secure) and `SameSite=Strict` (no other site's page can make the
//! browser send it). Every change must also carry the session's CSRF token in `X-CSRF-Token`, which only
//! a page of the console has (htmx sends it from the `<body>`'s `hx-headers`). The sign-in form, which has
//! no session yet, is protected by a double-submitted token: a short-lived cookie that must equal the
//! form's hidden field.

use std::time::Duration;

use askama::Template;
use axum::Form;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::view::{self, Flash};
use super::{LOGIN_PATH, ROOT};
use crate::admin::accounts::Role;
use crate::admin::audit::{self, Entry};
use crate::admin::layer::{AdminOnly, Viewer};
use crate::admin::sessions::{self, Session};
use crate::admin::throttle::ClientIp;
use crate::admin::tokens::{AUDIENCE, ISSUER, new_refresh_token};
use crate::admin::{AdminClaims, AdminState, ApiError};

/// The session cookie.
pub const COOKIE: &str = "junggye_console";
/// The sign-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "junggye_console_login";
/// The header every change carries.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long the sign-in form may stay open.
const LOGIN_FORM_SECS: u64 = 30 * 60;
/// The longest a console sign-in lasts (shorter when `ADMIN_REFRESH_TTL_SECS` is): a working day, so a
/// browser left signed in on a shared machine does not stay so for the refresh tokens' two weeks.
const SESSION_MAX: Duration = Duration::from_secs(12 * 60 * 60);

/// The signed-in account of a console request, put in the request's extensions by [`require_session`].
#[derive(Clone, Debug)]
pub struct Operator {
    pub session_id: i64,
    /// The account as it is now (role and name read on this request), in the API's claims form.
    pub claims: AdminClaims,
    pub csrf: String,
}

impl Operator {
    fn new(session: Session) -> Self {
        let expires = u64::try_from(session.expires_at / 1000).unwrap_or(0);
        let now = crate::admin::tokens::unix_now();
        Self {
            session_id: session.id,
            claims: AdminClaims {
                iss: ISSUER.into(),
                aud: AUDIENCE.into(),
                account_id: session.account.id,
                username: session.account.username,
                role: session.account.role,
                typ: "console".into(),
                iat: now,
                nbf: now,
                exp: expires,
                jti: format!("console-{}", session.id),
            },
            csrf: session.csrf,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.claims.role.allows(Role::Admin)
    }

    /// The caller as the API's read handlers take it.
    pub fn viewer(&self) -> Viewer {
        Viewer(self.claims.clone())
    }

    /// Runs an admin-only API handler as this operator, when the account is an admin (a viewer is refused
    /// before anything runs); its answer without the JSON wrapper.
    pub async fn as_admin<T, F, Fut>(&self, handler: F) -> Result<T, ApiError>
    where
        F: FnOnce(AdminOnly) -> Fut,
        Fut: Future<Output = Result<axum::Json<T>, ApiError>>,
    {
        let admin = self.admin()?;
        handler(admin).await.map(|axum::Json(answer)| answer)
    }

    /// The caller as the API's change handlers take it, when the account is an admin.
    pub fn admin(&self) -> Result<AdminOnly, ApiError> {
        if self.is_admin() {
            Ok(AdminOnly(self.claims.clone()))
        } else {
            Err(ApiError::Forbidden("this needs the admin role"))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Operator {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.extensions.get::<Operator>() {
            Some(operator) => Ok(operator.clone()),
            None => {
                tracing::error!("a console page ran without the session layer; refusing");
                Err(to_login(&parts.headers))
            }
        }
    }
}

/// The middleware in front of every signed-in console URL: a live session of an active account, and for
/// any method but GET and HEAD the session's CSRF token in [`CSRF_HEADER`].
pub async fn require_session(State(state): State<AdminState>, mut request: Request, next: Next) -> Response {
    let session = match cookie(request.headers(), COOKIE) {
        Some(token) => sessions::find(&state.app.db, token).await,
        None => Ok(None),
    };
    let session = match session {
        Ok(Some(session)) if session.account.is_active() => session,
        Ok(_) => return to_login(request.headers()),
        Err(error) => {
            tracing::error!(%error, "console session lookup failed");
            return (StatusCode::SERVICE_UNAVAILABLE, "잠시 후 다시 해 주세요.").into_response();
        }
    };
    let safe = matches!(*request.method(), Method::GET | Method::HEAD);
    if !safe && !csrf_matches(request.headers(), &session.csrf) {
        tracing::warn!(
            session = session.id,
            "console change refused: CSRF token missing or wrong"
        );
        let refused = Refused {
            status: StatusCode::FORBIDDEN.as_u16(),
            message: "요청을 확인할 수 없습니다(CSRF). 페이지를 새로 고친 뒤 다시 해 주세요.",
            back: ROOT,
        };
        return view::html(StatusCode::FORBIDDEN, &refused);
    }
    request.extensions_mut().insert(Operator::new(session));
    next.run(request).await
}

/// A refusal before any page ran (its `<main>` is what htmx swaps in).
#[derive(Template)]
#[template(path = "refused.html")]
struct Refused {
    status: u16,
    message: &'static str,
    back: &'static str,
}

/// True when the request's CSRF header is the session's (compared in constant time).
fn csrf_matches(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .map(|v| v.as_bytes().ct_eq(expected.as_bytes()).into())
        .unwrap_or(false)
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Back to the sign-in page: a redirect, or for an htmx request the header that makes htmx follow one.
fn to_login(headers: &HeaderMap) -> Response {
    if headers.contains_key("hx-request") {
        ([("hx-redirect", LOGIN_PATH)], StatusCode::UNAUTHORIZED).into_response()
    } else {
        Redirect::to(LOGIN_PATH).into_response()
    }
}

/// Sends the browser to `path`. An htmx request gets `HX-Redirect` on a 200 (a 3xx would be followed by
/// the browser itself, and htmx would swap the page it led to into the current one); a plain request
/// gets the redirect.
pub fn go_to(headers: &HeaderMap, path: &'static str) -> Response {
    if headers.contains_key("hx-request") {
        ([("hx-redirect", path)], StatusCode::OK).into_response()
    } else {
        Redirect::to(path).into_response()
    }
}

/// A `Set-Cookie` value for the console's path with every protection; `max_age` 0 deletes it.
fn set_cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    let cookie = format!("{name}={value}; Path={ROOT}; Max-Age={max_age}; HttpOnly; Secure; SameSite=Strict");
    HeaderValue::from_str(&cookie).expect("cookie values are base64url")
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    form_token: String,
    username: String,
    flash: Option<Flash>,
}

/// `GET /admin/ui/login`: the form, with a fresh double-submit token.
pub async fn login_page() -> Response {
    login_form(String::new(), None)
}

fn login_form(username: String, flash: Option<Flash>) -> Response {
    let form_token = new_refresh_token();
    let mut response = view::page(
        &LoginPage {
            form_token: form_token.clone(),
            username,
            flash: flash.clone(),
        },
        flash.as_ref(),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(LOGIN_COOKIE, &form_token, LOGIN_FORM_SECS),
    );
    response
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    form_token: String,
}

/// `POST /admin/ui/login`: the same checks as the API's sign-in (throttle, one argon2 verification
/// whatever the username), then a session and its cookie.
pub async fn login(
    State(state): State<AdminState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(form.form_token.as_bytes())) {
        let flash = Flash::refused(
            StatusCode::FORBIDDEN,
            "로그인 화면이 만료되었습니다. 다시 입력해 주세요.",
        );
        return login_form(form.username, Some(flash));
    }
    match sign_in(&state, ip, &form).await {
        Ok(new_session) => {
            let mut response = Redirect::to(ROOT).into_response();
            let headers = response.headers_mut();
            let ttl = session_ttl(&state).as_secs();
            headers.append(header::SET_COOKIE, set_cookie(COOKIE, &new_session, ttl));
            headers.append(header::SET_COOKIE, set_cookie(LOGIN_COOKIE, "", 0));
            response
        }
        Err(error) => {
            let flash = match error {
                ApiError::InvalidCredentials(_) => {
                    Flash::refused(StatusCode::UNAUTHORIZED, "아이디 또는 비밀번호가 맞지 않습니다.")
                }
                ApiError::TooManyRequests { retry_after } => Flash::refused(
                    StatusCode::TOO_MANY_REQUESTS,
                    format!(
                        "로그인 시도가 너무 많습니다. {}초 뒤에 다시 해 주세요.",
                        retry_after.as_secs().max(1)
                    ),
                ),
                other => Flash::from(other),
            };
            login_form(form.username, Some(flash))
        }
    }
}

fn session_ttl(state: &AdminState) -> Duration {
    state.refresh_ttl.min(SESSION_MAX)
}

/// Checks the credentials and starts a session; the cookie's token.
async fn sign_in(
    state: &AdminState,
    ip: Option<std::net::IpAddr>,
    form: &LoginForm,
) -> Result<String, ApiError> {
    let attempt = state.throttle.begin(&form.username, ip).await?;
    let Some(account) = crate::admin::auth::check_password(state, &form.username, &form.password).await?
    else {
        tracing::info!("console sign-in refused");
        return Err(ApiError::InvalidCredentials("wrong username or password"));
    };
    state.throttle.succeeded(attempt).await;
    let session = sessions::start(&state.app.db, account.id, session_ttl(state)).await?;
    let entry = Entry::new("console.login", "admin_account", Some(account.id));
    audit::record(&state.app.db, &account, &entry).await?;
    tracing::info!(account_id = account.id, "admin signed in to the console");
    Ok(session.token)
}

/// `POST /admin/ui/logout`: ends the session and forgets the cookie.
pub async fn logout(State(state): State<AdminState>, operator: Operator, headers: HeaderMap) -> Response {
    if let Err(error) = sessions::end(&state.app.db, operator.session_id).await {
        tracing::error!(%error, "console sign-out failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "잠시 후 다시 해 주세요.").into_response();
    }
    let mut response = go_to(&headers, LOGIN_PATH);
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, "a=1; junggye_console=tok; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, "junggye"), None);
    }

    #[test]
    fn cookies_carry_every_protection() {
        let value = set_cookie(COOKIE, "abc", 60);
        let value = value.to_str().unwrap();
        for part in [
            "Path=/admin/ui",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
            "Max-Age=60",
        ] {
            assert!(value.contains(part), "{value}");
        }
    }

    #[test]
    fn the_csrf_header_must_equal_the_sessions_token() {
        let mut headers = HeaderMap::new();
        assert!(!csrf_matches(&headers, "tok"));
        headers.insert(CSRF_HEADER, "tok".parse().unwrap());
        assert!(csrf_matches(&headers, "tok"));
        assert!(!csrf_matches(&headers, "tok2"));
        assert!(!csrf_matches(&headers, "to"));
    }
}
