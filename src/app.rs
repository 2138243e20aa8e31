//! The application: shared state, the router with every URL, and the HTTP server's lifecycle.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::cache::Cache;
use crate::config::ImageStorage;
use crate::config::{AppEnv, Config};
use crate::db::Db;
use crate::images::{ImageError, Images};
use crate::orders::Payments;
use crate::products::cards::{NO_PHOTO_PATH, NO_PHOTO_PNG};
use crate::products::catalog::Catalog;
use crate::skill::{Nav, guard};
use crate::{members, notices, ops, orders, products, validation};

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Cache,
    pub nav: Arc<Nav>,
    pub images: Images,
    pub catalog: Arc<Catalog>,
    /// The Kakao Pay flow; `None` when Kakao Pay is not configured.
    pub payments: Option<Payments>,
    /// Hot deals: this process's copy of the cached boards, and their refreshers.
    pub deals: crate::deals::Deals,
    /// The skill request log (its writer and purge run in the background).
    pub skill_log: crate::skill_log::SkillLog,
    /// Whether the database still accepts writes, for the readiness check.
    pub write_probe: crate::db::WriteProbe,
}

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("blocks file: {0}")]
    Blocks(#[from] crate::skill::nav::NavError),
    #[error("images: {0}")]
    Images(#[from] ImageError),
    #[error("{0}")]
    Payments(#[from] crate::kakaopay::SettingsError),
    #[error("hot deals: {0}")]
    Deals(#[from] crate::deals::DealsError),
}

impl AppState {
    /// Connects to the database (applying migrations), the cache, and reads the blocks file.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        let db = Db::connect(&config.database_url, config.database_max_connections).await?;
        db.migrate().await?;
        let cache = match &config.redis_url {
            Some(url) => Cache::redis(secrecy::ExposeSecret::expose_secret(url))?,
            None => Cache::memory(),
        };
        let nav = match &config.blocks_file {
            Some(path) => Nav::load(path)?,
            None => Nav::default(),
        };
        Self::from_parts(config, db, cache, nav)
    }

    /// Assembles the state from connected parts (tests bring their own database and cache). Call it inside
    /// a tokio runtime: it starts the skill request log's writer and purge there.
    pub fn from_parts(config: Config, db: Db, cache: Cache, nav: Nav) -> Result<Self, StartError> {
        let images = Images::new(&config.images, &config.public_url)?;
        let catalog = Arc::new(Catalog::new(config.catalog_cache));
        let payments = match &config.payments {
            Some(settings) => Some(Payments::new(
                settings,
                &config.public_url,
                db.clone(),
                catalog.clone(),
            )?),
            None => None,
        };
        let deals = crate::deals::Deals::from_config(&config, cache.clone())?;
        let skill_log = crate::skill_log::SkillLog::start(&db, &config.skill_log, config.jwt_secret.as_ref());
        Ok(Self {
            config: Arc::new(config),
            db,
            cache,
            nav: Arc::new(nav),
            images,
            catalog,
            payments,
            deals,
            skill_log,
            write_probe: crate::db::WriteProbe::default(),
        })
    }
}

/// Every skill route. Tests add their own skills to this before [`assemble`].
pub fn skill_routes() -> Router<AppState> {
    Router::new()
        .merge(members::skills::routes())
        .merge(notices::skills::routes())
        .merge(orders::skills::routes())
        .merge(products::skills::routes())
        .merge(validation::routes())
        .merge(crate::deals::skill::routes())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    assemble(state, skill_routes())
}

/// Largest request body accepted; Kakao's payloads are a few KB.
const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Puts the skill routes behind the secret check, adds the operational routes and the middleware stack.
pub fn assemble(state: AppState, skills: Router<AppState>) -> Router {
    let skills = skills.route_layer(middleware::from_fn_with_state(
        state.clone(),
        guard::require_skill_secret,
    ));
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
    let mut router = Router::new()
        .merge(skills)
        .merge(ops::routes())
        .merge(orders::routes::routes())
        .merge(crate::admin::router(&state))
        .route(NO_PHOTO_PATH, axum::routing::get(no_photo));
    // Locally stored photos are served by us; S3 serves its own.
    if matches!(state.config.images.storage, ImageStorage::Local { .. }) {
        router = router.merge(crate::images::routes(state.images.store().clone()));
    }
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

fn log_response<B>(response: &axum::http::Response<B>, latency: Duration, _span: &Span) {
    tracing::info!(
        status = response.status().as_u16(),
        latency_us = latency.as_micros() as u64,
        "request finished"
    );
}

pub use crate::http_server::serve;

/// A future that resolves on SIGTERM or ctrl-c (SIGINT).
///
/// The handlers are installed here, before the caller binds its listener: a signal that arrives once the
/// port answers must drain the server, not kill it with the default action.
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let wait = {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        async move {
            tokio::select! {
                _ = terminate.recv() => {},
                _ = interrupt.recv() => {},
            }
        }
    };
    #[cfg(not(unix))]
    let wait = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    Ok(async move {
        wait.await;
        tracing::info!("shutdown requested; draining requests in flight");
    })
}

/// Warnings about a configuration that runs but should not be used with real users.
pub fn warn_about(config: &Config) {
    if config.skill_secret.is_none() {
        tracing::warn!(
            "SKILL_SECRET is not set: anyone who finds the skill URLs can act as any Kakao user. \
             Set it (and the same header in Open Builder) before real users arrive."
        );
    }
    if config.kakao_bot_id.is_none() && config.env != AppEnv::Test {
        tracing::warn!("KAKAO_BOT_ID is not set: calls from any bot are accepted");
    }
}
