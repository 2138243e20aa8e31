//! Who is calling: the tower layer in front of every protected admin route, and the role extractors
//! handlers state their requirement with.
//!
//! [`AdminAuthLayer`] goes on with `route_layer`, so an unknown URL stays a 404 rather than a 401. It
//! verifies the bearer access token ([`AccessTokens::verify`]: HS256 only, signature, `exp`/`nbf`,
//! issuer, audience, `typ`), then reads the account: a disabled account is refused at once, and the
//! role used is the account's current one, so a demotion takes effect on the next request rather than
//! when the token expires. The verified [`AdminClaims`] go into the request's extensions.
//!
//! Handlers then take [`Viewer`] or [`AdminOnly`]: the role an endpoint needs is in its signature, and
//! a handler cannot forget to check it.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use super::accounts::{self, Role};
use super::error::ApiError;
use super::tokens::{AccessTokens, AdminClaims};
use crate::db::Db;

/// Puts [`AdminAuth`] in front of a service.
#[derive(Clone, Debug)]
pub struct AdminAuthLayer {
    tokens: Arc<AccessTokens>,
    db: Db,
}

impl AdminAuthLayer {
    pub fn new(tokens: Arc<AccessTokens>, db: Db) -> Self {
        Self { tokens, db }
    }
}

impl<S> Layer<S> for AdminAuthLayer {
    type Service = AdminAuth<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AdminAuth {
            inner,
            tokens: self.tokens.clone(),
            db: self.db.clone(),
        }
    }
}

/// Lets a request through to `S` only with a valid access token of an active account; answers 401
/// problem+json (with a `WWW-Authenticate` challenge) otherwise.
#[derive(Clone, Debug)]
pub struct AdminAuth<S> {
    inner: S,
    tokens: Arc<AccessTokens>,
    db: Db,
}

impl<S> Service<Request> for AdminAuth<S>
where
    S: Service<Request, Error = Infallible> + Clone + Send + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        // The service that was polled ready is the one to call; a fresh clone stays behind for the next.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let (tokens, db) = (self.tokens.clone(), self.db.clone());
        Box::pin(async move {
            match authenticate(&tokens, &db, request.headers()).await {
                Ok(claims) => {
                    request.extensions_mut().insert(claims);
                    Ok(inner.call(request).await?.into_response())
                }
                Err(refusal) => Ok(refusal.into_response()),
            }
        })
    }
}

/// The claims of the request's bearer token, checked against the account's current state.
async fn authenticate(tokens: &AccessTokens, db: &Db, headers: &HeaderMap) -> Result<AdminClaims, ApiError> {
    let token = bearer_token(headers)?;
    let mut claims = tokens.verify(token).map_err(ApiError::InvalidToken)?;
    match accounts::find(db, claims.account_id).await? {
        Some(account) if account.is_active() => {
            claims.role = account.role;
            claims.username = account.username;
            Ok(claims)
        }
        _ => Err(ApiError::InvalidToken("the account is disabled")),
    }
}

/// The token of an `Authorization: Bearer …` header. No header, or another scheme, is "no credentials"
/// (a bare challenge, RFC 6750 §3.1); a bearer header without a token is an invalid token.
fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::MissingToken)?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::MissingToken);
    }
    match token.trim() {
        "" => Err(ApiError::InvalidToken("the bearer token is empty")),
        token => Ok(token),
    }
}

/// Any authenticated account (viewer or admin): reading.
#[derive(Clone, Debug)]
pub struct Viewer(pub AdminClaims);

/// An account with the admin role: changing things. A viewer gets 403.
#[derive(Clone, Debug)]
pub struct AdminOnly(pub AdminClaims);

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        claims_with_role(parts, Role::Viewer).map(Self)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AdminOnly {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        claims_with_role(parts, Role::Admin).map(Self)
    }
}

/// The verified claims, when their role includes `needed`. No claims means the route was registered
/// outside the auth layer: refused as unauthenticated rather than served to anyone.
fn claims_with_role(parts: &Parts, needed: Role) -> Result<AdminClaims, ApiError> {
    let Some(claims) = parts.extensions.get::<AdminClaims>() else {
        tracing::error!("an admin handler ran without the auth layer; refusing");
        return Err(ApiError::MissingToken);
    };
    if !claims.role.allows(needed) {
        return Err(ApiError::Forbidden("this needs the admin role"));
    }
    Ok(claims.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(authorization: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, authorization.parse().unwrap());
        headers
    }

    #[test]
    fn the_bearer_token_is_read_from_the_authorization_header() {
        assert_eq!(bearer_token(&headers("Bearer abc")).unwrap(), "abc");
        assert_eq!(bearer_token(&headers("bearer  abc ")).unwrap(), "abc");
        assert!(matches!(
            bearer_token(&HeaderMap::new()),
            Err(ApiError::MissingToken)
        ));
        assert!(matches!(
            bearer_token(&headers("Basic a2ltOnB3")),
            Err(ApiError::MissingToken)
        ));
        assert!(matches!(
            bearer_token(&headers("Bearer")),
            Err(ApiError::InvalidToken(_))
        ));
    }
}
