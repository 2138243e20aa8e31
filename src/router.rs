//! Every URL the server answers, in one place, grouped by who calls it, with the middleware each group
//! gets. Handlers live with their face ([`crate::kakao`], [`crate::pages`], [`crate::admin`],
//! [`crate::ops`]); this file only says which URL reaches which handler.
//!
//! | caller | URLs | middleware of its own |
//! |---|---|---|
//! | Kakao's bot engine | `POST /skill/…` | the shared-secret check ([`guard`]) |
//! | buyers' browsers | `GET /pay/…`, `GET /images/…`, the no-photo placeholder | — |
//! | operators | `/admin/…` (REST API, OpenAPI document) | JWT ([`admin::AdminAuthLayer`]) on all but sign-in |
//! | operators' browsers | `/admin/ui…` (the web console) | session cookie and CSRF check on all but sign-in |
//! | probes | `GET /healthz`, `GET /readyz`; `/metrics` on its own listener ([`crate::metrics`]) | — |
//! | developers (never in production) | `/dev/chat…` (the emulator); Kakao's stand-ins on their own loopback listener ([`standin_routes`]) | — |
//!
//! Every request goes through one stack (outermost first): request id, trace span keyed on the route
//! template, request metrics, client address, panic catcher, body size limit.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware;
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::admin::{self, AdminState};
use crate::config::ImageStorage;
use crate::images::{NO_PHOTO_PATH, NO_PHOTO_PNG};
use crate::kakao::{self, guard, skill};
use crate::state::AppState;
use crate::{dev, ops, pages};

/// Every skill, `POST` with a Kakao skill payload. Tests add their own skills to this before
/// [`assemble`].
pub fn skill_routes() -> Router<AppState> {
    use kakao::{
        alerts, blocking, chat, deals, members, notices, offers, orders, products, reports, reviews,
        validation, watch,
    };
    Router::new()
        // Conversation mode: the whole market behind the fallback and welcome blocks.
        .route("/skill/chat", skill(chat::chat))
        .route("/skill/chat/photo", skill(chat::photo))
        // Members.
        .route("/skill/members/join", skill(members::join))
        .route("/skill/members/me", skill(members::profile))
        .route("/skill/members/me/phone", skill(members::change_phone))
        .route("/skill/members/me/withdraw", skill(members::withdraw))
        .route("/skill/members/mypage", skill(members::mypage))
        // Blocks (차단).
        .route("/skill/members/block", skill(blocking::block))
        .route("/skill/members/blocks", skill(blocking::list))
        .route("/skill/members/unblock", skill(blocking::unblock))
        // Products: browsing, registering, the owner's status and price changes.
        .route("/skill/products", skill(products::browse::list))
        .route("/skill/products/categories", skill(products::browse::categories))
        .route("/skill/products/category", skill(products::browse::category))
        .route("/skill/products/search", skill(products::browse::search))
        .route("/skill/products/detail", skill(products::browse::detail))
        .route("/skill/products/mine", skill(products::browse::mine))
        .route("/skill/products/status", skill(products::manage::change_status))
        .route("/skill/products/preview", skill(products::register::preview))
        .route("/skill/products/register", skill(products::register::register))
        .route("/skill/products/price", skill(products::manage::change_price))
        // Price offers (가격 제안).
        .route("/skill/offers/make", skill(offers::make))
        .route("/skill/offers/mine", skill(offers::mine))
        .route("/skill/offers", skill(offers::list))
        .route("/skill/offers/accept", skill(offers::accept))
        .route("/skill/offers/decline", skill(offers::decline))
        .route("/skill/products/offers", skill(offers::set_open))
        .route("/skill/products/bump", skill(products::manage::bump))
        .route("/skill/products/buyer", skill(products::manage::name_buyer))
        .route("/skill/reports", skill(reports::report))
        // Notices: the event block's skill, and the member's alert choices.
        .route("/skill/notifications/event", skill(alerts::event))
        .route("/skill/notifications/settings", skill(alerts::settings))
        .route("/skill/notifications/off", skill(alerts::off))
        // What members watch: keywords and saved products.
        .route("/skill/keywords", skill(watch::keywords::list))
        .route("/skill/keywords/add", skill(watch::keywords::add))
        .route("/skill/keywords/remove", skill(watch::keywords::remove))
        .route("/skill/favourites", skill(watch::favourites::list))
        .route("/skill/favourites/add", skill(watch::favourites::add))
        .route("/skill/favourites/remove", skill(watch::favourites::remove))
        // Orders (buying with Kakao Pay).
        .route("/skill/orders/purchases", skill(orders::purchases))
        .route("/skill/orders/sales", skill(orders::sales))
        .route("/skill/orders/detail", skill(orders::detail))
        .route("/skill/orders/tracking", skill(orders::tracking))
        .route("/skill/orders/confirm-purchase", skill(orders::confirm_purchase))
        .route("/skill/orders/confirm-sale", skill(orders::confirm_sale))
        .route("/skill/orders/cancel", skill(orders::cancel))
        .route("/skill/reviews/write", skill(reviews::write))
        .route("/skill/reviews/comment", skill(reviews::comment))
        .route("/skill/reviews/pending", skill(reviews::pending))
        // Notices and hot deals.
        .route("/skill/notices", skill(notices::list))
        .route("/skill/notices/detail", skill(notices::detail))
        .route("/skill/deals", skill(deals::list))
        // Open Builder's parameter-validation skills (their own, smaller answer format).
        .route("/skill/validate/{field}", post(validation::validate))
}

/// The pages buyers' browsers open: the payment link and Kakao Pay's three redirects.
fn browser_routes() -> Router<AppState> {
    use pages::pay;
    Router::new()
        .route("/pay/{token}", get(pay::start))
        .route("/pay/approve/{reference}", get(pay::approve))
        // Kakao Pay's status, not which URL was hit, decides what happens, so both share one handler.
        .route("/pay/cancel/{reference}", get(pay::aborted))
        .route("/pay/fail/{reference}", get(pay::aborted))
        .route(NO_PHOTO_PATH, get(no_photo))
}

/// The KakaoTalk emulator, mounted only when `DEV_EMULATOR` is on (never in production).
fn emulator_routes(emulator: dev::Emulator) -> Router<AppState> {
    use dev::emulator::{asset, blocks, notices, page, photo, skill, upload};
    Router::new()
        .route("/dev/chat", get(page))
        .route("/dev/chat/assets/{name}", get(asset))
        .route("/dev/chat/catalogue", get(blocks))
        .route("/dev/chat/skill", post(skill))
        .route("/dev/chat/photos", post(upload))
        .route("/dev/chat/photos/{name}", get(photo))
        .route("/dev/chat/notices", get(notices))
        .with_state(emulator)
}

/// The development stand-ins of Kakao Pay and the Event API, served on their own loopback port as the real
/// services live at their own hosts ([`dev::Standins::start`]).
pub fn standin_routes(shared: dev::standins::StandinState) -> Router {
    use dev::standins::{checkout, checkout_approve, checkout_cancel, pay_api, talk, task};
    Router::new()
        // Kakao Pay: the API our client calls, and the page the buyer's browser is sent to.
        .route("/online/v1/payment/{endpoint}", post(pay_api))
        .route("/checkout/{tid}", get(checkout))
        .route("/checkout/{tid}/approve", post(checkout_approve))
        .route("/checkout/{tid}/cancel", post(checkout_cancel))
        // The Event API.
        .route("/v2/bots/{bot}/talk", post(talk))
        .route("/v1/tasks/{task}", get(task))
        .with_state(shared)
}

/// Liveness and readiness, for the load balancer and the orchestrator.
fn probe_routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
}

/// Admin API operations anyone may call: they take credentials in their bodies. Each handler's path is
/// in its `#[utoipa::path]` annotation, from which the OpenAPI document is made.
pub fn admin_public() -> OpenApiRouter<AdminState> {
    use admin::auth;
    OpenApiRouter::new()
        .routes(routes!(auth::login)) // POST /admin/auth/login
        .routes(routes!(auth::refresh)) // POST /admin/auth/refresh
        .routes(routes!(auth::logout)) // POST /admin/auth/logout
}

/// Admin API operations that need an access token: [`admin::mount`] puts all of them behind
/// [`admin::AdminAuthLayer`].
pub fn admin_protected() -> OpenApiRouter<AdminState> {
    use admin::{account_api, auth, deals, members, notices, orders, products, reports, skill_calls};
    OpenApiRouter::new()
        .routes(routes!(auth::me)) // GET /admin/me
        .routes(routes!(auth::revoke_all)) // POST /admin/auth/revoke-all
        .routes(routes!(account_api::list)) // GET /admin/accounts
        .routes(routes!(account_api::disable)) // POST /admin/accounts/{id}/disable
        .routes(routes!(account_api::enable)) // POST /admin/accounts/{id}/enable
        .routes(routes!(account_api::set_role)) // PUT /admin/accounts/{id}/role
        .routes(routes!(account_api::set_password)) // PUT /admin/accounts/{id}/password
        .routes(routes!(members::list)) // GET /admin/members
        .routes(routes!(members::detail)) // GET /admin/members/{id}
        .routes(routes!(members::set_grade)) // PUT /admin/members/{id}/grade
        .routes(routes!(members::deactivate)) // POST /admin/members/{id}/deactivate
        .routes(routes!(members::unsuspend)) // POST /admin/members/{id}/unsuspend
        .routes(routes!(products::list)) // GET /admin/products
        .routes(routes!(products::detail, products::delete)) // GET, DELETE /admin/products/{id}
        .routes(routes!(products::change_status)) // PUT /admin/products/{id}/status
        .routes(routes!(products::release)) // POST /admin/products/{id}/release
        .routes(routes!(reports::list)) // GET /admin/reports
        .routes(routes!(reports::decide)) // POST /admin/reports/{id}/decision
        .routes(routes!(orders::list)) // GET /admin/orders
        .routes(routes!(orders::detail)) // GET /admin/orders/{id}
        .routes(routes!(orders::cancel)) // POST /admin/orders/{id}/cancel
        .routes(routes!(notices::list, notices::create)) // GET, POST /admin/notices
        // GET, PUT, DELETE /admin/notices/{id}
        .routes(routes!(notices::detail, notices::update, notices::delete))
        .routes(routes!(notices::set_status)) // PUT /admin/notices/{id}/status
        .routes(routes!(deals::sources)) // GET /admin/deals/sources
        .routes(routes!(deals::refresh)) // POST /admin/deals/refresh
        .routes(routes!(skill_calls::stats)) // GET /admin/skill-calls/stats
}

/// The admin web console: the sign-in page and its files, and the pages behind a session
/// ([`admin::mount`] adds the session and CSRF check, `admin::console::session::require_session`).
pub fn console_routes() -> admin::console::Routes {
    use admin::console::{
        accounts, assets, dashboard, deals, members, notices, orders, products, reports, session, skill_calls,
    };
    let open = Router::new()
        .route("/admin/ui/login", get(session::login_page).post(session::login))
        .route("/admin/ui/assets/{name}", get(assets::asset));
    let signed_in = Router::new()
        .route("/admin/ui", get(dashboard::show))
        .route("/admin/ui/logout", post(session::logout))
        .route("/admin/ui/members", get(members::list))
        .route("/admin/ui/members/{id}", get(members::detail))
        .route("/admin/ui/members/{id}/grade", post(members::set_grade))
        .route("/admin/ui/members/{id}/deactivate", post(members::deactivate))
        .route("/admin/ui/members/{id}/unsuspend", post(members::unsuspend))
        .route("/admin/ui/products", get(products::list))
        .route("/admin/ui/products/{id}", get(products::detail))
        .route("/admin/ui/products/{id}/status", post(products::change_status))
        .route("/admin/ui/products/{id}/release", post(products::release))
        .route("/admin/ui/orders", get(orders::list))
        .route("/admin/ui/orders/{id}", get(orders::detail))
        // GET asks to confirm; POST refunds.
        .route(
            "/admin/ui/orders/{id}/refund",
            get(orders::confirm_refund).post(orders::refund),
        )
        .route("/admin/ui/reports", get(reports::list))
        .route("/admin/ui/reports/{id}/decision", post(reports::decide))
        .route("/admin/ui/notices", get(notices::list))
        .route("/admin/ui/notices/new", get(notices::new).post(notices::create))
        .route("/admin/ui/notices/preview", post(notices::preview))
        .route("/admin/ui/notices/{id}", get(notices::edit).post(notices::update))
        .route("/admin/ui/notices/{id}/status", post(notices::set_status))
        .route("/admin/ui/deals", get(deals::show))
        .route("/admin/ui/deals/refresh", post(deals::refresh))
        .route("/admin/ui/skill-calls", get(skill_calls::show))
        .route("/admin/ui/accounts", get(accounts::list))
        .route("/admin/ui/accounts/{id}/disable", post(accounts::disable))
        .route("/admin/ui/accounts/{id}/enable", post(accounts::enable))
        .route("/admin/ui/accounts/{id}/role", post(accounts::set_role))
        .route("/admin/ui/accounts/{id}/password", post(accounts::set_password));
    admin::console::Routes { open, signed_in }
}

/// The OpenAPI document of every admin operation.
pub fn admin_openapi() -> utoipa::openapi::OpenApi {
    admin::document(admin_public(), admin_protected())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    assemble(state, skill_routes(), None)
}

/// The whole application with the development emulator at `/dev/chat`.
pub fn router_with_emulator(state: AppState, emulator: dev::Emulator) -> Router {
    assemble(state, skill_routes(), Some(emulator))
}

/// The admin API with `extra` operations protected like [`admin_protected`]'s (tests add their own).
pub fn admin_routes(state: &AppState, extra: OpenApiRouter<AdminState>) -> Router<AppState> {
    admin::mount(
        state,
        admin_public(),
        admin_protected().merge(extra),
        console_routes(),
        admin_openapi(),
    )
}

/// Largest request body accepted; Kakao's payloads are a few KB.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Puts `skills` behind the secret check, adds every other group of URLs (the emulator's when given) and
/// the middleware stack.
pub fn assemble(state: AppState, skills: Router<AppState>, emulator: Option<dev::Emulator>) -> Router {
    let skills = skills.route_layer(middleware::from_fn_with_state(
        state.clone(),
        guard::require_skill_secret,
    ));
    let mut router = Router::new()
        .merge(skills)
        .merge(browser_routes())
        .merge(probe_routes())
        .merge(admin_routes(&state, OpenApiRouter::new()));
    // Locally stored photos are served by us; S3 serves its own.
    if matches!(state.config.images.storage, ImageStorage::Local { .. }) {
        let images = Router::new()
            .route("/images/{*key}", get(pages::images::serve))
            .with_state(state.images.store().clone());
        router = router.merge(images);
    }
    if let Some(emulator) = emulator {
        router = router.merge(emulator_routes(emulator));
    }
    // The layers every request passes, outermost first.
    let trusted_proxies = Arc::new(state.config.trusted_proxies.clone());
    let stack = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn(count_request))
        .layer(middleware::from_fn_with_state(
            trusted_proxies,
            crate::client_addr::layer,
        ))
        .layer(CatchPanicLayer::new())
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT_BYTES));
    router.layer(stack).with_state(state)
}

/// The placeholder shown where a product has no photo yet.
async fn no_photo() -> impl axum::response::IntoResponse {
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/png"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        NO_PHOTO_PNG,
    )
}

/// The span of one request, keyed on the route template so it stays low-cardinality.
fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id,
        block = tracing::field::Empty,
        outcome = tracing::field::Empty,
        skill_ms = tracing::field::Empty,
    )
}

/// Counts every request by route template, method and status (outside the panic catcher, so a panic
/// counts as the 500 it became).
async fn count_request(request: Request, next: middleware::Next) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |m| m.as_str().to_owned());
    let method = request.method().clone();
    let response = next.run(request).await;
    crate::metrics::global().http_request(&route, method.as_str(), response.status().as_u16());
    response
}

/// The line each request ends with. A success is logged at debug (`RUST_LOG=info,junggye::router=debug` shows
/// every request): each skill call is already one line of the skill request log, with its outcome and
/// latency, and every request is counted in the metrics, so an info line per success only repeated them,
/// at a real share of a read skill's cost (with the request's span, 8–9 % of its CPU in a profile).
/// Refusals are info and server errors warn, with the request's span (route, request id, block) around
/// them.
fn log_response<B>(response: &axum::http::Response<B>, latency: Duration, _span: &Span) {
    let status = response.status().as_u16();
    let latency_us = latency.as_micros() as u64;
    match status {
        500.. => tracing::warn!(status, latency_us, "request finished"),
        400.. => tracing::info!(status, latency_us, "request finished"),
        _ => tracing::debug!(status, latency_us, "request finished"),
    }
}
