//! The admin REST API under `/admin`: accounts, tokens, the auth layer, roles, one error format, the
//! audit log and the OpenAPI document.
//!
//! # Adding an endpoint
//!
//! 1. Write a handler annotated with `#[utoipa::path(...)]` giving its method, its full path
//!    (`/admin/products/{id}`), `tag`, parameters, request body and every response, with errors as
//!    `body = Problem, content_type = "application/problem+json"`. The bearer requirement is the
//!    document's default; only public routes say `security(())`.
//! 2. Take [`Viewer`] (read) or [`AdminOnly`] (change) as an argument: the role is then part of the
//!    signature, checked before the handler runs (a viewer calling an `AdminOnly` handler gets 403).
//!    Take `State<AdminState>` (or `State<AppState>`, via `FromRef`) for the database, and
//!    [`ApiJson<T>`] rather than `Json<T>` for request bodies, so malformed JSON answers in the same
//!    problem format.
//! 3. Return `Result<Json<Dto>, ApiError>`: a DTO made for admins (`Serialize + ToSchema`), never a
//!    database row — no phone numbers in full, no payment ids or secrets. `?` turns a
//!    `sqlx::Error` into a logged 500; use [`ApiError::NotFound`], [`ApiError::Conflict`],
//!    [`ApiError::Validation`] for the rest.
//! 4. Register it with `routes!(handler)` in `crate::router::admin_protected` (the one file that lists
//!    every URL); everything there is behind [`AdminAuthLayer`]. It then appears in
//!    `/admin/openapi.json` by itself.
//! 5. For every change of state, call [`audit::record_in`] inside the write transaction (or
//!    [`audit::record`] after it) with the caller's claims and an [`audit::Entry`] holding the DTO
//!    before and after.
//!
//! # Authentication
//!
//! `POST /admin/auth/login` gives a short-lived access token (JWT, HS256, `JWT_SECRET`,
//! `ADMIN_ACCESS_TTL_SECS`) and an opaque refresh token (`ADMIN_REFRESH_TTL_SECS`, single use, rotated
//! by `POST /admin/auth/refresh`; a reused one revokes its whole sign-in). [`AdminAuthLayer`] checks
//! the access token and reads the account on every request, so a disabled account is shut out at once
//! and a changed role applies at once. Accounts are created on the server only:
//! `junggye admin create --username NAME [--role admin|viewer]`.
//!
//! Without `JWT_SECRET` the admin API is off: `/admin/openapi.json` is still served, and every other
//! `/admin` URL answers 503 `application/problem+json` (`urn:junggye:problem:admin-disabled`).
//!
//! The web console (`/admin/ui`, [`console`]) shares the accounts and roles; it signs in with a session
//! cookie instead of a token and is off with the API.
//!
//! An `/admin` URL that names no operation answers 404 (`urn:junggye:problem:no-route`) and a known URL
//! called with another method 405 (`method-not-allowed`, with `Allow`), both before any token check.

pub mod account_api;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod console;
pub mod deals;
pub mod error;
pub mod layer;
pub mod listing;
pub mod members;
pub mod notices;
pub mod orders;
pub mod password;
pub mod products;
pub mod refresh;
pub mod reports;
pub mod sessions;
pub mod skill_calls;
pub mod throttle;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::FromRef;
use axum::http::{Method, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;

pub use error::{ApiError, ApiJson, ApiPath, ApiQuery, FieldError, PROBLEM_JSON, Problem};
pub use layer::{AdminAuth, AdminAuthLayer, AdminOnly, Viewer};
pub use tokens::AdminClaims;

use crate::state::AppState;

/// Where the OpenAPI document is served (public, also while the API is disabled).
pub const OPENAPI_PATH: &str = "/admin/openapi.json";

/// The state of admin handlers: the application's, and the admin API's own parts.
#[derive(Clone)]
pub struct AdminState {
    pub app: AppState,
    pub tokens: Arc<tokens::AccessTokens>,
    pub throttle: throttle::LoginThrottle,
    pub refresh_ttl: Duration,
}

impl FromRef<AdminState> for AppState {
    fn from_ref(state: &AdminState) -> Self {
        state.app.clone()
    }
}

impl AdminState {
    /// The admin state, or `None` when `JWT_SECRET` is not configured.
    pub fn new(app: &AppState) -> Option<Self> {
        let secret = app.config.jwt_secret.as_ref()?;
        let settings = &app.config.admin;
        Some(Self {
            app: app.clone(),
            tokens: Arc::new(tokens::AccessTokens::new(secret, settings.access_ttl)),
            throttle: throttle::LoginThrottle::new(app.cache.clone()),
            refresh_ttl: settings.refresh_ttl,
        })
    }
}

/// The admin API, ready to merge into the application's router: `public` operations as they are,
/// `protected` ones behind [`AdminAuthLayer`], `/admin/openapi.json` serving `document`, and problems for
/// unknown URLs and wrong methods. The operations themselves are listed in `crate::router`.
pub fn mount(
    app: &AppState,
    public: OpenApiRouter<AdminState>,
    protected: OpenApiRouter<AdminState>,
    console: console::Routes,
    document: utoipa::openapi::OpenApi,
) -> Router<AppState> {
    let document = document.to_json().expect("the OpenAPI document serialises");
    let api = match AdminState::new(app) {
        Some(state) => enabled(state, public, protected, console),
        None => disabled(),
    };
    api.route(
        OPENAPI_PATH,
        get(move || async move { ([(header::CONTENT_TYPE, "application/json")], document) }),
    )
    .merge(docs())
    .method_not_allowed_fallback(method_not_allowed)
}

/// Where the document can be read in a browser (Swagger UI, served from the binary).
pub const DOCS_PATH: &str = "/admin/docs";

/// Swagger UI at [`DOCS_PATH`], reading the document from [`OPENAPI_PATH`]. Public like the document
/// itself: it holds no data, and calls made from it carry the caller's own token.
fn docs() -> Router<AppState> {
    use utoipa_swagger_ui::{Config, SwaggerUi};
    SwaggerUi::new(DOCS_PATH)
        .config(Config::new([OPENAPI_PATH]).try_it_out_enabled(true))
        .into()
}

fn enabled(
    state: AdminState,
    public: OpenApiRouter<AdminState>,
    protected: OpenApiRouter<AdminState>,
    console: console::Routes,
) -> Router<AppState> {
    let layer = AdminAuthLayer::new(state.tokens.clone(), state.app.db.clone());
    let (routes, _) = public.merge(protected.route_layer(layer)).split_for_parts();
    let session = axum::middleware::from_fn_with_state(state.clone(), console::session::require_session);
    let console = console
        .open
        .merge(console.signed_in.route_layer(session))
        .layer(axum::middleware::from_fn(console::view::headers));
    let routes = routes.merge(console);
    // Added after the auth layer, so an unknown URL is a 404, not a 401 for want of a token.
    catch_all(routes.with_state(state), no_route)
}

/// `router` with `handler` answering every `/admin` URL it has no route for (a catch-all needs at
/// least one character after its slash, so `/admin` and `/admin/` are named too).
fn catch_all<H, T>(router: Router<AppState>, handler: H) -> Router<AppState>
where
    H: axum::handler::Handler<T, AppState>,
    T: 'static,
{
    ["/admin", "/admin/", "/admin/{*rest}"]
        .into_iter()
        .fold(router, |router, path| router.route(path, any(handler.clone())))
}

/// Any other URL under `/admin`: a problem, like every admin error, instead of the router's empty 404.
async fn no_route() -> axum::response::Response {
    ApiError::NoRoute.into_response()
}

/// A known URL called with a method it does not take: a problem instead of the router's empty 405.
/// It replaces the router's own fallback, so the auth layer no longer answers 401 first; axum still
/// adds the `Allow` header.
async fn method_not_allowed(method: Method) -> axum::response::Response {
    ApiError::MethodNotAllowed(method.to_string()).into_response()
}

/// Every admin URL answers 503 while the API is off, so a misconfigured deployment is obvious.
fn disabled() -> Router<AppState> {
    let off = || async { ApiError::Disabled.into_response() };
    catch_all(Router::new(), off)
}

/// The OpenAPI document of `public` and `protected` operations, collected from their annotations.
pub fn document(
    public: OpenApiRouter<AdminState>,
    protected: OpenApiRouter<AdminState>,
) -> utoipa::openapi::OpenApi {
    let (_, document) = OpenApiRouter::<AdminState>::with_openapi(ApiDoc::openapi())
        .merge(public)
        .merge(protected)
        .split_for_parts();
    document
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "중계나라 admin API",
        description = "Administration of the market. Sign in at /admin/auth/login and send the access \
                       token as `Authorization: Bearer …`. Errors are RFC 9457 problem details."
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(Problem, FieldError)),
    tags(
        (name = "auth", description = "Sign-in, token refresh, sign-out"),
        (name = "accounts", description = "Admin accounts: list, disable, enable, role, password (admins only)"),
        (name = "members", description = "Members: lookup, grades, deactivation"),
        (name = "products", description = "Products in every status, and their status"),
        (name = "orders", description = "Orders, their Kakao Pay calls, cancellation with refund"),
        (name = "notices", description = "Notices shown in the chat"),
        (name = "deals", description = "Hot-deal sources: health and refresh"),
        (name = "reports", description = "Reports (신고): the queue and the decisions"),
        (name = "skill-calls", description = "The skill request log: calls and latency per skill"),
    )
)]
struct ApiDoc;

/// The `bearer` security scheme every protected operation refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_document_lists_every_auth_route_with_its_security() {
        let document = serde_json::to_value(crate::router::admin_openapi()).unwrap();
        let paths = &document["paths"];
        for path in ["/admin/auth/login", "/admin/auth/refresh", "/admin/auth/logout"] {
            assert_eq!(paths[path]["post"]["security"], serde_json::json!([{}]), "{path}");
        }
        assert!(paths["/admin/me"]["get"].is_object());
        assert!(paths["/admin/auth/revoke-all"]["post"].is_object());
        assert_eq!(document["security"], serde_json::json!([{"bearer": []}]));
        let scheme = &document["components"]["securitySchemes"]["bearer"];
        assert_eq!(
            (scheme["type"].as_str(), scheme["scheme"].as_str()),
            (Some("http"), Some("bearer"))
        );
        let schemas = &document["components"]["schemas"];
        for schema in [
            "Problem",
            "LoginRequest",
            "TokenResponse",
            "RefreshRequest",
            "MeResponse",
        ] {
            assert!(schemas[schema].is_object(), "{schema} missing");
        }
        let too_many = &paths["/admin/auth/login"]["post"]["responses"]["429"];
        assert!(too_many["headers"]["Retry-After"].is_object(), "{too_many}");
        assert!(
            too_many["content"]["application/problem+json"].is_object(),
            "{too_many}"
        );
    }
}
