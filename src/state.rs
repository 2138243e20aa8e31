//! The application state: the market's services and the infrastructure they run on, built once at start
//! and shared by every request.
//!
//! It sits between the faces above (Kakao skills, browser pages, the admin API, probes — see
//! [`crate::router`]) and the market core below; it imports only the core and the infrastructure.

use std::sync::Arc;

use crate::blocks::{Nav, NavError};
use crate::cache::Cache;
use crate::config::Config;
use crate::db::Db;
use crate::images::{ImageError, Images};
use crate::orders::Payments;
use crate::products::catalog::Catalog;

/// Everything a request handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: Db,
    pub cache: Cache,
    pub nav: Arc<Nav>,
    pub images: Images,
    pub catalog: Arc<Catalog>,
    /// Who is in a block, so lists read blocks only for them (kept fresh with the catalog's time-to-live).
    pub block_roster: Arc<crate::blocking::Roster>,
    /// The Kakao Pay flow; `None` when Kakao Pay is not configured.
    pub payments: Option<Payments>,
    /// Hot deals: this process's copy of the cached boards, and their refreshers.
    pub deals: crate::deals::Deals,
    /// The skill request log (its writer and purge run in the background).
    pub skill_log: crate::skill_log::SkillLog,
    /// Whether the database still accepts writes, for the readiness check.
    pub write_probe: crate::db::WriteProbe,
    /// Where changes write their notices (off without the Event API), and the sender's bell.
    pub outbox: crate::notifications::Outbox,
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
    Blocks(#[from] NavError),
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
        let outbox = match config.notify {
            Some(_) => crate::notifications::Outbox::on(),
            None => crate::notifications::Outbox::off(),
        };
        let catalog = Arc::new(Catalog::new(config.catalog_cache));
        let payments = match &config.payments {
            Some(settings) => Some(Payments::new(
                settings,
                &config.public_url,
                db.clone(),
                catalog.clone(),
                outbox.clone(),
            )?),
            None => None,
        };
        let deals = crate::deals::Deals::new(
            &config.deals,
            &config.public_url,
            cache.clone(),
            crate::deals::DealsOptions::default(),
        )?;
        let block_roster = Arc::new(crate::blocking::Roster::new());
        block_roster.keep_fresh(db.clone(), config.catalog_cache);
        let skill_log = crate::skill_log::SkillLog::start(&db, &config.skill_log, config.jwt_secret.as_ref());
        Ok(Self {
            config: Arc::new(config),
            db,
            cache,
            nav: Arc::new(nav),
            images,
            catalog,
            block_roster,
            payments,
            deals,
            skill_log,
            write_probe: crate::db::WriteProbe::default(),
            outbox,
        })
    }
}

/// Warnings about a configuration that runs but should not be used with real users (see
/// [`Config::warnings`]).
pub fn warn_about(config: &Config) {
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
}
