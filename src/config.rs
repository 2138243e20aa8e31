//! Typed configuration, read once at start-up from the environment (and an optional `.env` file).
//!
//! Every variable is listed in [`VARIABLES`], which is also the README's table, so the documentation and
//! the code cannot drift apart. An invalid value stops the server with a message naming the variable; the
//! production profile also refuses to start without the secrets it needs rather than running open.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// One documented environment variable.
pub struct Variable {
    pub name: &'static str,
    pub default: &'static str,
    pub meaning: &'static str,
}

/// Every variable the server reads, with its default and meaning.
pub const VARIABLES: &[Variable] = &[
    Variable {
        name: "APP_ENV",
        default: "development",
        meaning: "`development`, `test` or `production`. Production refuses to start without `SKILL_SECRET`, `KAKAO_BOT_ID`, `JWT_SECRET` and an https `PUBLIC_URL`.",
    },
    Variable {
        name: "DEV_EMULATOR",
        default: "`on` in development, else `off`",
        meaning: "The KakaoTalk emulator at `/dev/chat`, with stand-ins of Kakao Pay and the Event API on a loopback port filling in whichever of them is not configured. Refused with `APP_ENV=production`.",
    },
    Variable {
        name: "BIND_ADDR",
        default: "127.0.0.1:8080",
        meaning: "Address the HTTP server listens on.",
    },
    Variable {
        name: "PUBLIC_URL",
        default: "http://{BIND_ADDR}",
        meaning: "Base URL users' browsers reach the server at (image and payment links).",
    },
    Variable {
        name: "DATABASE_URL",
        default: "sqlite://data/junggye.db",
        meaning: "`sqlite://path` (file created if missing) or `postgres://user:pass@host/db`.",
    },
    Variable {
        name: "DATABASE_MAX_CONNECTIONS",
        default: "16",
        meaning: "Connection pool size.",
    },
    Variable {
        name: "REDIS_URL",
        default: "(unset: in-process cache)",
        meaning: "`redis://host:port/db`; shared cache and locks between instances.",
    },
    Variable {
        name: "SKILL_SECRET",
        default: "(unset: skills open, with a warning)",
        meaning: "Shared secret Open Builder sends in a custom header on every skill call. At least 32 bytes with `APP_ENV=production`; a shorter one elsewhere only warns.",
    },
    Variable {
        name: "SKILL_SECRET_HEADER",
        default: "X-Skill-Secret",
        meaning: "Name of that header.",
    },
    Variable {
        name: "KAKAO_BOT_ID",
        default: "(unset: any bot)",
        meaning: "Expected `bot.id`; the development channel's trailing `!` is accepted.",
    },
    Variable {
        name: "KAKAO_BLOCKS_FILE",
        default: "(unset: quick replies send messages)",
        meaning: "TOML file mapping our block keys to Open Builder block ids (see `skills/blocks.example.toml`).",
    },
    Variable {
        name: "SKILL_DEADLINE_MS",
        default: "3000",
        meaning: "Time a skill may take before a polite fallback answer is sent (Kakao gives up at 5000).",
    },
    Variable {
        name: "SKILL_LOG_RETENTION_DAYS",
        default: "30",
        meaning: "Days the skill request log (`skill_calls`: hashed user, route, block, outcome, latency) is kept; older rows are purged at start and hourly. `0` or `off` records nothing and deletes what earlier runs recorded.",
    },
    Variable {
        name: "SKILL_LOG_HASH_KEY",
        default: "(unset: derived from `JWT_SECRET`, else a random key per start)",
        meaning: "Key (≥ 32 bytes) of the HMAC that turns Kakao user keys into the log's pseudonyms; the same on every instance. Never stored.",
    },
    Variable {
        name: "SKILL_LOG_QUEUE",
        default: "10000",
        meaning: "Skill log records waiting to be written at most; beyond that records are dropped and counted, never a skill call slowed.",
    },
    Variable {
        name: "CATALOG_CACHE_MS",
        default: "2000",
        meaning: "How long browse pages and product details are reused before being read again (0: never). Changes made through this instance show at once.",
    },
    Variable {
        name: "BUMP_INTERVAL_HOURS",
        default: "24",
        meaning: "How often a seller may bump (끌어올리기) a product on sale back to the top of the lists, counted from its registration or last bump (1–720).",
    },
    Variable {
        name: "REPORTS_TO_HOLD",
        default: "3",
        meaning: "Open reports (신고) from different members that take a product off the lists until an admin looks (1–100).",
    },
    Variable {
        name: "IMAGE_HOSTS",
        default: "*.kakaocdn.net",
        meaning: "Comma-separated hosts product images may be downloaded from (`*.` allows subdomains). Anything else is refused.",
    },
    Variable {
        name: "IMAGE_MAX_BYTES",
        default: "10485760",
        meaning: "Largest image accepted, in bytes.",
    },
    Variable {
        name: "IMAGE_STORAGE",
        default: "local",
        meaning: "`local` (files under `IMAGE_DIR`, served at `/images/…`) or `s3`. Several instances need `s3`: with `REDIS_URL` set (a cache shared between instances) production refuses `local` unless `IMAGE_STORAGE_SHARED=true`.",
    },
    Variable {
        name: "IMAGE_DIR",
        default: "data/images",
        meaning: "Directory of the local image storage.",
    },
    Variable {
        name: "IMAGE_STORAGE_SHARED",
        default: "false",
        meaning: "`true`: the local `IMAGE_DIR` is a volume every instance shares, so `IMAGE_STORAGE=local` may run with `REDIS_URL`.",
    },
    Variable {
        name: "S3_BUCKET",
        default: "(required with `s3`)",
        meaning: "Bucket for images.",
    },
    Variable {
        name: "S3_REGION",
        default: "ap-northeast-2",
        meaning: "Region of the bucket.",
    },
    Variable {
        name: "S3_ENDPOINT",
        default: "(unset: AWS)",
        meaning: "Endpoint of an S3-compatible store, e.g. `http://127.0.0.1:9000`.",
    },
    Variable {
        name: "S3_PATH_STYLE",
        default: "false",
        meaning: "`true` for path-style bucket addressing (most S3-compatible stores).",
    },
    Variable {
        name: "S3_PUBLIC_URL",
        default: "https://{S3_BUCKET}.s3.{S3_REGION}.amazonaws.com",
        meaning: "Base URL under which stored images are publicly readable.",
    },
    Variable {
        name: "S3_ACCESS_KEY_ID",
        default: "(required with `s3`)",
        meaning: "Access key of the image bucket.",
    },
    Variable {
        name: "S3_SECRET_ACCESS_KEY",
        default: "(required with `s3`)",
        meaning: "Secret key of the image bucket.",
    },
    Variable {
        name: "KAKAOPAY_SECRET_KEY",
        default: "(unset: Kakao Pay off)",
        meaning: "`SECRET_KEY` of the Kakao Pay app (`DEV…` for tests, `PRD…` live). Set it to offer \"카카오페이로 구매\".",
    },
    Variable {
        name: "KAKAOPAY_BASE_URL",
        default: "https://open-api.kakaopay.com",
        meaning: "Scheme and host of the Kakao Pay API.",
    },
    Variable {
        name: "KAKAOPAY_CID",
        default: "TC0ONETIME",
        meaning: "Merchant id (`TC0ONETIME` is Kakao's test merchant).",
    },
    Variable {
        name: "KAKAOPAY_TIMEOUT_MS",
        default: "3000",
        meaning: "Longest one Kakao Pay call may take; an unanswered call is settled by asking Kakao Pay's order status.",
    },
    Variable {
        name: "PAY_LINK_SECRET",
        default: "(unset: a random key per start)",
        meaning: "Key (≥ 32 bytes) signing payment links. Required in production with Kakao Pay on, and the same on every instance.",
    },
    Variable {
        name: "PAY_LINK_TTL_SECS",
        default: "600",
        meaning: "How long a payment link shown in the chat stays usable.",
    },
    Variable {
        name: "PAY_HOLD_SECS",
        default: "900",
        meaning: "How long a product stays held for a buyer who is paying before the hold is released.",
    },
    Variable {
        name: "PAY_RECONCILE_SECS",
        default: "30",
        meaning: "How often unsettled payments (expired holds, lost answers, refunds to retry) are checked with Kakao Pay.",
    },
    Variable {
        name: "AUTO_CONFIRM_DAYS",
        default: "7",
        meaning: "Days after the tracking number is entered when a purchase the buyer has not confirmed is confirmed automatically (the buyer is warned a day before); 2 to 60.",
    },
    Variable {
        name: "KAKAO_REST_API_KEY",
        default: "(unset: nobody is notified)",
        meaning: "REST API key of the Kakao app linked to the bot; with `KAKAO_BOT_ID` it turns on notices through Kakao's Event API (15원 a message). Unset, no notice is written or sent.",
    },
    Variable {
        name: "KAKAO_EVENT_BASE_URL",
        default: "https://bot-api.kakao.com",
        meaning: "Scheme and host of Kakao's Event API (tests point it at a fake).",
    },
    Variable {
        name: "KAKAO_EVENT_NAME",
        default: "market_notice",
        meaning: "Event name of the one event block that shows every notice (see `skills/README.md`).",
    },
    Variable {
        name: "KAKAO_EVENT_TIMEOUT_MS",
        default: "3000",
        meaning: "Total time for one Event API call; 100 to 10000.",
    },
    Variable {
        name: "NOTIFY_DAILY_CAP",
        default: "10000",
        meaning: "Messages sent per day (KST). Past it, trade notices still go and alerts wait for the next morning.",
    },
    Variable {
        name: "NOTIFY_KEYWORD_ALERTS_PER_DAY",
        default: "5",
        meaning: "Keyword alerts one member gets per day (KST); more matches are summarised in one message the next morning.",
    },
    Variable {
        name: "NOTIFY_RECHECK_SECS",
        default: "600",
        meaning: "How long a send whose answer was lost waits for proof of delivery before it is sent again.",
    },
    Variable {
        name: "NOTIFY_LEASE_SECS",
        default: "120",
        meaning: "How long a sender holds the notices it took before another instance may take them back (a sender that stopped mid-send); at least twice KAKAO_EVENT_TIMEOUT_MS.",
    },
    Variable {
        name: "NOTIFY_POLL_MS",
        default: "1000",
        meaning: "How often the sender looks for due notices (it is also woken by every change that writes one).",
    },
    Variable {
        name: "NOTIFY_MESSAGE_PRICE_WON",
        default: "0",
        meaning: "What Kakao charges per message sent, in won (your contract's price); the admin console's dashboard shows the day's cost with it. 0: not shown.",
    },
    Variable {
        name: "DEALS_ENABLED",
        default: "true",
        meaning: "`false` stops reading hot-deal boards; the 핫딜 skill then says deals are unavailable.",
    },
    Variable {
        name: "DEALS_SOURCES_FILE",
        default: "(unset: the shipped `deals/sources.toml`, built in)",
        meaning: "TOML file of hot-deal boards (URL template, CSS selectors, politeness); checked completely at start-up.",
    },
    Variable {
        name: "DEALS_USER_AGENT",
        default: "junggye/{version} (hot-deal reader)",
        meaning: "User agent sent to deal boards; put a contact URL or address in it so a board's operator can reach you.",
    },
    Variable {
        name: "JWT_SECRET",
        default: "(unset: admin API disabled)",
        meaning: "Key (≥ 32 bytes) signing admin access tokens. Unset, every `/admin` URL but `/admin/openapi.json` answers 503.",
    },
    Variable {
        name: "ADMIN_ACCESS_TTL_SECS",
        default: "900",
        meaning: "How long an admin access token (JWT) is accepted; 60 to 3600.",
    },
    Variable {
        name: "ADMIN_REFRESH_TTL_SECS",
        default: "1209600",
        meaning: "How long an unused admin refresh token stays exchangeable (14 days); each is single-use.",
    },
    Variable {
        name: "METRICS_ADDR",
        default: "127.0.0.1:9464",
        meaning: "Address of the Prometheus listener serving `/metrics` (kept off the public port); `off` turns it off.",
    },
    Variable {
        name: "TRUSTED_PROXIES",
        default: "(unset: the client is the TCP peer)",
        meaning: "Comma-separated addresses or networks (`127.0.0.1`, `10.0.0.0/8`) of reverse proxies whose `X-Real-IP` / `X-Forwarded-For` are believed.",
    },
    Variable {
        name: "LOG_FORMAT",
        default: "text",
        meaning: "`text` or `json`.",
    },
    Variable {
        name: "RUST_LOG",
        default: "info,sqlx=warn",
        meaning: "Log filter (tracing `EnvFilter` syntax). Successful requests are logged at debug: `info,sqlx=warn,junggye::router=debug` shows each one.",
    },
];

/// Kakao gives up after five seconds; a deadline above this leaves no time for the network.
const DEADLINE_CEILING_MS: u64 = 4_500;
/// HS256 keys shorter than this are guessable.
const JWT_SECRET_MIN_BYTES: usize = 32;
/// The skill secret is a bearer password on every skill call: production refuses a shorter one.
pub const SKILL_SECRET_MIN_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

impl AppEnv {
    /// The name `APP_ENV` is written with.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

use crate::db::{DatabaseUrl, redact_url_password};
use crate::telemetry::LogFormat;

/// The effective configuration. `Debug` and `Display` never show secrets.
#[derive(Clone, Debug)]
pub struct Config {
    pub env: AppEnv,
    pub bind_addr: SocketAddr,
    pub public_url: String,
    pub database_url: DatabaseUrl,
    pub database_max_connections: u32,
    pub redis_url: Option<SecretString>,
    pub skill_secret: Option<SecretString>,
    pub skill_secret_header: http::HeaderName,
    pub kakao_bot_id: Option<String>,
    pub blocks_file: Option<PathBuf>,
    pub skill_deadline: Duration,
    pub catalog_cache: Duration,
    pub market: MarketRules,
    pub jwt_secret: Option<SecretString>,
    pub admin: AdminSettings,
    pub log_format: LogFormat,
    pub images: ImageSettings,
    /// Whether a local `IMAGE_DIR` is a volume every instance shares (`IMAGE_STORAGE_SHARED`).
    pub image_storage_shared: bool,
    /// Kakao Pay, when configured.
    pub payments: Option<PaymentSettings>,
    /// Notices through the Event API, when configured.
    pub notify: Option<NotifySettings>,
    pub deals: crate::deal_sources::DealSettings,
    /// Where `/metrics` is served; `None` when turned off.
    pub metrics_addr: Option<SocketAddr>,
    pub trusted_proxies: crate::client_addr::TrustedProxies,
    pub skill_log: crate::skill_log::SkillLogSettings,
    /// Whether the development emulator (`/dev/chat`) and its stand-ins run.
    pub emulator: bool,
    /// Whether `PAY_LINK_SECRET` was given (else payment links are signed with a key made at start).
    pub pay_link_secret_set: bool,
    /// `RUST_LOG`, when set (the log subscriber reads it itself; kept here for `check-config`).
    pub log_filter: Option<String>,
}

/// The market's own tunable rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarketRules {
    /// Least time between two listings of a product (registration or bump) for a bump (`BUMP_INTERVAL_HOURS`).
    pub bump_interval: Duration,
    /// Open reports from different members that hold a product for an admin (`REPORTS_TO_HOLD`).
    pub reports_to_hold: u32,
}

impl Default for MarketRules {
    fn default() -> Self {
        Self {
            bump_interval: Duration::from_secs(24 * 3_600),
            reports_to_hold: 3,
        }
    }
}

/// Lifetimes of the admin API's tokens.
#[derive(Clone, Debug)]
pub struct AdminSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

/// Kakao Pay and the payment links.
#[derive(Clone, Debug)]
pub struct PaymentSettings {
    pub kakaopay: crate::kakaopay::KakaoPaySettings,
    pub link_secret: SecretString,
    pub link_ttl: Duration,
    pub hold: Duration,
    pub reconcile_every: Duration,
    /// How long after the tracking number an unconfirmed purchase confirms itself.
    pub auto_confirm_after: Duration,
}

/// Notices through Kakao's Event API, when configured.
#[derive(Clone, Debug)]
pub struct NotifySettings {
    pub event_api: crate::kakao_event::EventApiSettings,
    /// Messages per KST day; alerts past it wait for the next morning.
    pub daily_cap: u32,
    /// Keyword alerts per member and KST day; the rest go into one digest.
    pub keyword_alerts_per_day: u32,
    /// How long a send whose answer was lost waits for proof of delivery before it is sent again.
    pub recheck_after: Duration,
    /// How long a sender's claim on rows holds; a call is only made while the claim outlasts it.
    pub lease: Duration,
    pub poll_every: Duration,
    /// Kakao's price per message (won), for the dashboard's cost; 0 when not given.
    pub message_price_won: u32,
}

/// Where product images may come from and where they are kept.
#[derive(Clone, Debug)]
pub struct ImageSettings {
    /// Host patterns images may be downloaded from: `host`, `host:port` or `*.domain` (subdomains only).
    pub allowed_hosts: Vec<String>,
    pub max_bytes: u64,
    pub storage: ImageStorage,
}

#[derive(Clone, Debug)]
pub enum ImageStorage {
    /// Files under a directory, served by this server at `/images/{key}`.
    Local {
        dir: PathBuf,
    },
    S3(S3Settings),
}

#[derive(Clone, Debug)]
pub struct S3Settings {
    pub bucket: String,
    pub region: String,
    pub endpoint: Option<String>,
    pub path_style: bool,
    /// Base URL under which stored objects are publicly readable (no trailing slash).
    pub public_url: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
}

/// Everything wrong with the environment, one line per variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(&environment())
    }

    /// Builds the configuration from a set of variables (the environment, or a test's map).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut errors = Vec::new();
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());

        let env = match get("APP_ENV")
            .unwrap_or("development")
            .to_ascii_lowercase()
            .as_str()
        {
            "development" | "dev" => AppEnv::Development,
            "test" => AppEnv::Test,
            "production" | "prod" => AppEnv::Production,
            other => {
                errors.push(format!(
                    "APP_ENV: `{other}` is not development, test or production"
                ));
                AppEnv::Development
            }
        };
        let bind_addr = parse_or(
            &mut errors,
            "BIND_ADDR",
            get("BIND_ADDR"),
            "127.0.0.1:8080".parse().unwrap(),
        );
        let public_url = get("PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{bind_addr}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            errors.push("PUBLIC_URL: must start with http:// or https://".into());
        }
        let database_url = DatabaseUrl::new(get("DATABASE_URL").unwrap_or("sqlite://data/junggye.db"));
        let db_url = database_url.expose();
        if !(db_url.starts_with("sqlite:")
            || db_url.starts_with("postgres://")
            || db_url.starts_with("postgresql://"))
        {
            errors.push("DATABASE_URL: must start with sqlite:, postgres:// or postgresql://".into());
        }
        let database_max_connections: u32 = parse_or(
            &mut errors,
            "DATABASE_MAX_CONNECTIONS",
            get("DATABASE_MAX_CONNECTIONS"),
            16,
        );
        if database_max_connections == 0 {
            errors.push("DATABASE_MAX_CONNECTIONS: must be at least 1".into());
        }
        let redis_url = get("REDIS_URL").map(|u| SecretString::from(u.to_owned()));
        if let Some(url) = &redis_url
            && !(url.expose_secret().starts_with("redis://") || url.expose_secret().starts_with("rediss://"))
        {
            errors.push("REDIS_URL: must start with redis:// or rediss://".into());
        }
        let skill_secret = get("SKILL_SECRET").map(|s| SecretString::from(s.to_owned()));
        let skill_secret_header = match get("SKILL_SECRET_HEADER").unwrap_or("X-Skill-Secret").parse() {
            Ok(h) => h,
            Err(_) => {
                errors.push("SKILL_SECRET_HEADER: not a valid HTTP header name".into());
                http::HeaderName::from_static("x-skill-secret")
            }
        };
        let kakao_bot_id = get("KAKAO_BOT_ID").map(|b| b.trim_end_matches('!').to_owned());
        let blocks_file = get("KAKAO_BLOCKS_FILE").map(PathBuf::from);
        let deadline_ms = number_in(
            &mut errors,
            &get,
            "SKILL_DEADLINE_MS",
            3_000,
            100..=DEADLINE_CEILING_MS,
        );
        let catalog_cache_ms = number_in(&mut errors, &get, "CATALOG_CACHE_MS", 2_000, 0..=60_000);
        let market = MarketRules {
            bump_interval: Duration::from_secs(
                3_600 * number_in(&mut errors, &get, "BUMP_INTERVAL_HOURS", 24, 1..=720),
            ),
            reports_to_hold: number_in(&mut errors, &get, "REPORTS_TO_HOLD", 3, 1..=100),
        };
        let jwt_secret = get("JWT_SECRET").map(|s| SecretString::from(s.to_owned()));
        if let Some(key) = &jwt_secret
            && key.expose_secret().len() < JWT_SECRET_MIN_BYTES
        {
            errors.push(format!(
                "JWT_SECRET: must be at least {JWT_SECRET_MIN_BYTES} bytes"
            ));
        }
        let admin = admin_settings(&mut errors, &get);
        let images = image_settings(&mut errors, &get);
        let image_storage_shared = match get("IMAGE_STORAGE_SHARED").unwrap_or("false") {
            "true" | "1" => true,
            "false" | "0" => false,
            other => {
                errors.push(format!("IMAGE_STORAGE_SHARED: `{other}` is not true or false"));
                false
            }
        };
        let payments = payment_settings(&mut errors, &get, env);
        let notify = notify_settings(&mut errors, &get);
        let deals = deal_settings(&mut errors, &get);
        let metrics_addr = match get("METRICS_ADDR") {
            Some(off) if off.eq_ignore_ascii_case("off") => None,
            value => Some(parse_or(
                &mut errors,
                "METRICS_ADDR",
                value,
                SocketAddr::from(([127, 0, 0, 1], 9464)),
            )),
        };
        let trusted_proxies = crate::client_addr::TrustedProxies::parse(get("TRUSTED_PROXIES").unwrap_or(""))
            .unwrap_or_else(|e| {
                errors.push(format!("TRUSTED_PROXIES: {e}"));
                Default::default()
            });
        let skill_log = skill_log_settings(&mut errors, &get);
        let emulator = match get("DEV_EMULATOR").map(str::to_ascii_lowercase).as_deref() {
            None => env == AppEnv::Development,
            Some("on" | "true" | "1") if env == AppEnv::Production => {
                errors
                    .push("DEV_EMULATOR: never on with APP_ENV=production (it pays with a stand-in)".into());
                false
            }
            Some("on" | "true" | "1") => true,
            Some("off" | "false" | "0") => false,
            Some(other) => {
                errors.push(format!("DEV_EMULATOR: `{other}` is not on or off"));
                false
            }
        };
        let log_format = match get("LOG_FORMAT").unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                errors.push(format!("LOG_FORMAT: `{other}` is not text or json"));
                LogFormat::Text
            }
        };

        if env == AppEnv::Production {
            for (name, missing) in [
                ("SKILL_SECRET", skill_secret.is_none()),
                ("KAKAO_BOT_ID", kakao_bot_id.is_none()),
                ("JWT_SECRET", jwt_secret.is_none()),
            ] {
                if missing {
                    errors.push(format!("{name}: required when APP_ENV=production"));
                }
            }
            if let Some(secret) = &skill_secret
                && secret.expose_secret().len() < SKILL_SECRET_MIN_BYTES
            {
                errors.push(format!(
                    "SKILL_SECRET: must be at least {SKILL_SECRET_MIN_BYTES} bytes when APP_ENV=production"
                ));
            }
            if !public_url.starts_with("https://") {
                errors.push("PUBLIC_URL: must be https:// when APP_ENV=production".into());
            }
            if local_photos_between_instances(&images, redis_url.is_some(), image_storage_shared) {
                errors.push(
                    "IMAGE_STORAGE: `local` with REDIS_URL set (several instances): each instance would keep \
                     its own photos and the others would lose them. Several instances need IMAGE_STORAGE=s3 \
                     (or IMAGE_DIR on a volume they all share, with IMAGE_STORAGE_SHARED=true)"
                        .into(),
                );
            }
        }

        if !errors.is_empty() {
            return Err(ConfigError(errors));
        }
        Ok(Self {
            env,
            bind_addr,
            public_url,
            database_url,
            database_max_connections,
            redis_url,
            skill_secret,
            skill_secret_header,
            kakao_bot_id,
            blocks_file,
            skill_deadline: Duration::from_millis(deadline_ms),
            catalog_cache: Duration::from_millis(catalog_cache_ms),
            market,
            jwt_secret,
            admin,
            log_format,
            images,
            payments,
            notify,
            deals,
            metrics_addr,
            trusted_proxies,
            skill_log,
            emulator,
            image_storage_shared,
            pay_link_secret_set: get("PAY_LINK_SECRET").is_some(),
            log_filter: get("RUST_LOG").map(str::to_owned),
        })
    }

    /// What is wrong with a configuration that runs but should not be used with real users, one sentence
    /// each (logged at start by [`crate::state::warn_about`]).
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        match &self.skill_secret {
            None => warnings.push(
                "SKILL_SECRET is not set: anyone who finds the skill URLs can act as any Kakao user. \
                 Set it (and the same header in Open Builder) before real users arrive."
                    .to_owned(),
            ),
            Some(secret) if secret.expose_secret().len() < SKILL_SECRET_MIN_BYTES => warnings.push(format!(
                "SKILL_SECRET is shorter than {SKILL_SECRET_MIN_BYTES} bytes: it can be guessed, and \
                 APP_ENV=production refuses it."
            )),
            Some(_) => {}
        }
        if self.kakao_bot_id.is_none() && self.env != AppEnv::Test {
            warnings.push("KAKAO_BOT_ID is not set: calls from any bot are accepted".to_owned());
        }
        if local_photos_between_instances(&self.images, self.redis_url.is_some(), self.image_storage_shared) {
            warnings.push(
                "IMAGE_STORAGE=local with REDIS_URL set means several instances, and each keeps its own \
                 photos: a photo uploaded through one is missing on the others. Use IMAGE_STORAGE=s3 (or \
                 IMAGE_DIR on a volume every instance shares, with IMAGE_STORAGE_SHARED=true); \
                 APP_ENV=production refuses to start like this."
                    .to_owned(),
            );
        }
        warnings
    }

    /// The configuration of a development server whose emulator is on: Kakao Pay and the Event API, where
    /// no real ones are configured, become the stand-ins listening at `standins`, and the server's own
    /// address may serve product photos (the emulator's photo picker uploads them there).
    ///
    /// The stand-ins need a bot id to name in the Event API's URL; one made up for them is not kept as
    /// [`Config::kakao_bot_id`], so skill calls from any bot are still accepted.
    pub fn with_standins(vars: &HashMap<String, String>, standins: SocketAddr) -> Result<Self, ConfigError> {
        let mut vars = vars.clone();
        let set = |name: &str| vars.get(name).is_some_and(|v| !v.trim().is_empty());
        let base = format!("http://{standins}");
        let mut added = Vec::new();
        if !set("KAKAOPAY_SECRET_KEY") {
            added.push(("KAKAOPAY_SECRET_KEY", STANDIN_SECRET.to_owned()));
            added.push(("KAKAOPAY_BASE_URL", base.clone()));
        }
        let invented_bot = !set("KAKAO_BOT_ID");
        if !set("KAKAO_REST_API_KEY") {
            added.push(("KAKAO_REST_API_KEY", STANDIN_SECRET.to_owned()));
            added.push(("KAKAO_EVENT_BASE_URL", base));
            if invented_bot {
                added.push(("KAKAO_BOT_ID", STANDIN_BOT_ID.to_owned()));
            }
        }
        let own = loopback(Self::from_vars(&vars)?.bind_addr);
        let hosts = vars.get("IMAGE_HOSTS").map_or("*.kakaocdn.net", |h| h.as_str());
        added.push(("IMAGE_HOSTS", format!("{hosts},{own}")));
        vars.extend(added.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let mut config = Self::from_vars(&vars)?;
        if invented_bot {
            config.kakao_bot_id = None;
        }
        Ok(config)
    }

    /// Where this server can be reached from the machine it runs on (its own loopback when it listens on
    /// every address).
    pub fn own_address(&self) -> SocketAddr {
        loopback(self.bind_addr)
    }
}

/// Whether photos would be kept on one instance's disk while several instances run: local storage not
/// declared shared, with `REDIS_URL` set (the server cannot count its instances; a shared cache means
/// several).
fn local_photos_between_instances(images: &ImageSettings, redis: bool, shared: bool) -> bool {
    matches!(images.storage, ImageStorage::Local { .. }) && redis && !shared
}

/// The variables of `.env` (if present) and the process environment, the latter winning.
pub fn environment() -> HashMap<String, String> {
    let _ = dotenvy::dotenv();
    std::env::vars().collect()
}

/// The key the development stand-ins expect (they run only on loopback, in development).
pub const STANDIN_SECRET: &str = "DEV_STANDIN_KEY";
/// The bot id the Event API stand-in is called with when none is configured.
pub const STANDIN_BOT_ID: &str = "emulator-bot";

fn loopback(addr: SocketAddr) -> SocketAddr {
    use std::net::{Ipv4Addr, Ipv6Addr};
    match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => SocketAddr::from((Ipv4Addr::LOCALHOST, addr.port())),
        ip if ip.is_unspecified() => SocketAddr::from((Ipv6Addr::LOCALHOST, addr.port())),
        _ => addr,
    }
}

impl Config {
    /// A configuration for tests and tools: embedded defaults, no secrets, and no hot-deal boards read
    /// (a test that wants deals points them at its own fake board).
    pub fn for_tests(database_url: &str) -> Self {
        let vars = HashMap::from([
            ("APP_ENV".to_owned(), "test".to_owned()),
            ("DATABASE_URL".to_owned(), database_url.to_owned()),
            ("DEALS_ENABLED".to_owned(), "false".to_owned()),
        ]);
        Self::from_vars(&vars).expect("test configuration is valid")
    }
}

/// Admin token lifetimes. Access tokens cannot be revoked, so their life is kept short; a refresh token
/// longer than 90 days would outlive any reasonable sign-in.
fn admin_settings<'a>(errors: &mut Vec<String>, get: &impl Fn(&str) -> Option<&'a str>) -> AdminSettings {
    let mut secs = |name: &str, default: u64, range: RangeInclusive<u64>| {
        Duration::from_secs(number_in(errors, get, name, default, range))
    };
    AdminSettings {
        access_ttl: secs("ADMIN_ACCESS_TTL_SECS", 900, 60..=3_600),
        refresh_ttl: secs("ADMIN_REFRESH_TTL_SECS", 14 * 86_400, 3_600..=90 * 86_400),
    }
}

/// Longest retention anyone may configure (ten years); the log is for operations, not an archive.
const SKILL_LOG_RETENTION_CEILING_DAYS: u64 = 3_650;

/// The skill request log: retention (`0`/`off`: off), the hash key, the queue's size.
fn skill_log_settings<'a>(
    errors: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> crate::skill_log::SkillLogSettings {
    let retention = match get("SKILL_LOG_RETENTION_DAYS").unwrap_or("30") {
        "off" | "0" => None,
        text => match text.parse::<u64>() {
            Ok(days) if days <= SKILL_LOG_RETENTION_CEILING_DAYS => Some(Duration::from_secs(days * 86_400)),
            _ => {
                errors.push(format!(
                    "SKILL_LOG_RETENTION_DAYS: `{text}` is not `off` or 0 to {SKILL_LOG_RETENTION_CEILING_DAYS}"
                ));
                None
            }
        },
    };
    let hash_key = get("SKILL_LOG_HASH_KEY").map(|k| SecretString::from(k.to_owned()));
    if let Some(key) = &hash_key
        && key.expose_secret().len() < JWT_SECRET_MIN_BYTES
    {
        errors.push(format!(
            "SKILL_LOG_HASH_KEY: must be at least {JWT_SECRET_MIN_BYTES} bytes"
        ));
    }
    let queue = number_in(errors, get, "SKILL_LOG_QUEUE", 10_000, 1..=1_000_000);
    crate::skill_log::SkillLogSettings::new(retention, hash_key, queue)
}

/// Kakao Pay's settings, or `None` when no secret key is configured (payments off).
fn payment_settings<'a>(
    errors: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<&'a str>,
    env: AppEnv,
) -> Option<PaymentSettings> {
    use crate::kakaopay::{DEFAULT_BASE_URL, KakaoPaySettings, TEST_CID};
    let secret_key = get("KAKAOPAY_SECRET_KEY")?;
    let timeout_ms = number_in(errors, get, "KAKAOPAY_TIMEOUT_MS", 3_000, 100..=10_000);
    let link_secret = match get("PAY_LINK_SECRET") {
        Some(key) if key.len() < JWT_SECRET_MIN_BYTES => {
            errors.push(format!(
                "PAY_LINK_SECRET: must be at least {JWT_SECRET_MIN_BYTES} bytes"
            ));
            SecretString::from(key.to_owned())
        }
        Some(key) => SecretString::from(key.to_owned()),
        None if env == AppEnv::Production => {
            errors.push("PAY_LINK_SECRET: required when APP_ENV=production and Kakao Pay is on".into());
            SecretString::from(String::new())
        }
        // Links signed with a per-start key stop working at a restart: fine on a developer's machine.
        None => SecretString::from(format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        )),
    };
    let mut secs = |name: &str, default: u64, range: RangeInclusive<u64>| {
        Duration::from_secs(number_in(errors, get, name, default, range))
    };
    let link_ttl = secs("PAY_LINK_TTL_SECS", 600, 10..=86_400);
    let hold = secs("PAY_HOLD_SECS", 900, 60..=86_400);
    let reconcile_every = secs("PAY_RECONCILE_SECS", 30, 1..=3_600);
    let auto_confirm_days = number_in(errors, get, "AUTO_CONFIRM_DAYS", 7, 2..=60);
    Some(PaymentSettings {
        kakaopay: KakaoPaySettings {
            base_url: get("KAKAOPAY_BASE_URL").unwrap_or(DEFAULT_BASE_URL).to_owned(),
            secret_key: SecretString::from(secret_key.to_owned()),
            cid: get("KAKAOPAY_CID").unwrap_or(TEST_CID).to_owned(),
            timeout: Duration::from_millis(timeout_ms),
        },
        link_secret,
        link_ttl,
        hold,
        reconcile_every,
        auto_confirm_after: Duration::from_secs(auto_confirm_days * 86_400),
    })
}

/// The Event API's settings, or `None` without a REST API key (nobody is notified). The key needs the
/// bot id: it names the bot in the URL.
fn notify_settings<'a>(
    errors: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Option<NotifySettings> {
    let key = get("KAKAO_REST_API_KEY")?;
    let Some(bot_id) = get("KAKAO_BOT_ID") else {
        errors.push("KAKAO_REST_API_KEY: needs KAKAO_BOT_ID (the Event API names the bot in its URL)".into());
        return None;
    };
    let base_url = get("KAKAO_EVENT_BASE_URL")
        .unwrap_or("https://bot-api.kakao.com")
        .trim_end_matches('/')
        .to_owned();
    if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
        errors.push("KAKAO_EVENT_BASE_URL: must start with https:// or http://".into());
    }
    let event_name = get("KAKAO_EVENT_NAME").unwrap_or("market_notice").to_owned();
    if !event_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        errors.push("KAKAO_EVENT_NAME: letters, digits, `_` and `-` only (as in the event block)".into());
    }
    let mut number =
        |name: &str, default: u64, range: RangeInclusive<u64>| number_in(errors, get, name, default, range);
    let timeout_ms = number("KAKAO_EVENT_TIMEOUT_MS", 3_000, 100..=10_000);
    let daily_cap = number("NOTIFY_DAILY_CAP", 10_000, 0..=10_000_000);
    let keyword_alerts_per_day = number("NOTIFY_KEYWORD_ALERTS_PER_DAY", 5, 1..=100);
    let recheck_secs = number("NOTIFY_RECHECK_SECS", 600, 1..=86_400);
    let poll_ms = number("NOTIFY_POLL_MS", 1_000, 10..=60_000);
    let lease_secs = number("NOTIFY_LEASE_SECS", 120, 1..=3_600);
    let message_price_won = number("NOTIFY_MESSAGE_PRICE_WON", 0, 0..=10_000);
    if lease_secs * 1000 < 2 * timeout_ms {
        errors.push(
            "NOTIFY_LEASE_SECS: must be at least twice KAKAO_EVENT_TIMEOUT_MS (a claim must outlast a call)"
                .into(),
        );
    }
    Some(NotifySettings {
        event_api: crate::kakao_event::EventApiSettings {
            base_url,
            rest_api_key: SecretString::from(key.to_owned()),
            bot_id: bot_id.to_owned(),
            event_name,
            timeout: Duration::from_millis(timeout_ms),
        },
        daily_cap: u32::try_from(daily_cap).unwrap_or(u32::MAX),
        keyword_alerts_per_day: u32::try_from(keyword_alerts_per_day).unwrap_or(u32::MAX),
        recheck_after: Duration::from_secs(recheck_secs),
        lease: Duration::from_secs(lease_secs),
        poll_every: Duration::from_millis(poll_ms),
        message_price_won: u32::try_from(message_price_won).unwrap_or(u32::MAX),
    })
}

/// The hot-deal settings; the sources file is read and checked here, so `check-config` catches a bad one.
fn deal_settings<'a>(
    errors: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> crate::deal_sources::DealSettings {
    let enabled = match get("DEALS_ENABLED").unwrap_or("true") {
        "true" | "1" => true,
        "false" | "0" => false,
        other => {
            errors.push(format!("DEALS_ENABLED: `{other}` is not true or false"));
            true
        }
    };
    let sources_file = get("DEALS_SOURCES_FILE").map(PathBuf::from);
    let text = match &sources_file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| format!("DEALS_SOURCES_FILE: cannot read {}: {e}", path.display())),
        None => Ok(crate::deal_sources::SHIPPED_SOURCES.to_owned()),
    };
    let sources = text
        .and_then(|t| crate::deal_sources::load_sources(&t).map_err(|e| format!("DEALS_SOURCES_FILE: {e}")))
        .unwrap_or_else(|e| {
            errors.push(e);
            Vec::new()
        });
    let default_agent = concat!("junggye/", env!("CARGO_PKG_VERSION"), " (hot-deal reader)");
    let user_agent = get("DEALS_USER_AGENT").unwrap_or(default_agent).trim().to_owned();
    if user_agent.is_empty() || !user_agent.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        errors.push("DEALS_USER_AGENT: must be printable ASCII and not empty".into());
    }
    crate::deal_sources::DealSettings {
        enabled,
        sources_file,
        sources,
        user_agent,
    }
}

/// Largest image size anyone may configure: beyond this a download cannot finish within a skill's budget.
const IMAGE_MAX_BYTES_CEILING: u64 = 50 * 1024 * 1024;

fn image_settings<'a>(errors: &mut Vec<String>, get: &impl Fn(&str) -> Option<&'a str>) -> ImageSettings {
    let allowed_hosts: Vec<String> = get("IMAGE_HOSTS")
        .unwrap_or("*.kakaocdn.net")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    if allowed_hosts.iter().any(|h| h == "*" || h.contains('/')) {
        errors.push("IMAGE_HOSTS: list host names (or *.domain), not `*` or URLs".into());
    }
    let max_bytes = number_in(
        errors,
        get,
        "IMAGE_MAX_BYTES",
        10 * 1024 * 1024,
        1024..=IMAGE_MAX_BYTES_CEILING,
    );
    let storage = match get("IMAGE_STORAGE").unwrap_or("local") {
        "local" => ImageStorage::Local {
            dir: PathBuf::from(get("IMAGE_DIR").unwrap_or("data/images")),
        },
        "s3" => {
            let mut required = |name: &str| {
                get(name).map(str::to_owned).unwrap_or_else(|| {
                    errors.push(format!("{name}: required when IMAGE_STORAGE=s3"));
                    String::new()
                })
            };
            let bucket = required("S3_BUCKET");
            let access_key_id = required("S3_ACCESS_KEY_ID");
            let secret_access_key = SecretString::from(required("S3_SECRET_ACCESS_KEY"));
            let region = get("S3_REGION").unwrap_or("ap-northeast-2").to_owned();
            let public_url = get("S3_PUBLIC_URL")
                .map(|u| u.trim_end_matches('/').to_owned())
                .unwrap_or_else(|| format!("https://{bucket}.s3.{region}.amazonaws.com"));
            let path_style = match get("S3_PATH_STYLE").unwrap_or("false") {
                "true" | "1" => true,
                "false" | "0" => false,
                other => {
                    errors.push(format!("S3_PATH_STYLE: `{other}` is not true or false"));
                    false
                }
            };
            ImageStorage::S3(S3Settings {
                bucket,
                region,
                endpoint: get("S3_ENDPOINT").map(str::to_owned),
                path_style,
                public_url,
                access_key_id,
                secret_access_key,
            })
        }
        other => {
            errors.push(format!("IMAGE_STORAGE: `{other}` is not local or s3"));
            ImageStorage::Local {
                dir: PathBuf::from("data/images"),
            }
        }
    };
    ImageSettings {
        allowed_hosts,
        max_bytes,
        storage,
    }
}

/// The number in variable `name` (`default` when unset), recording an error when it is not a number or
/// lies outside `range`.
fn number_in<'a, T>(
    errors: &mut Vec<String>,
    get: &impl Fn(&str) -> Option<&'a str>,
    name: &str,
    default: T,
    range: RangeInclusive<T>,
) -> T
where
    T: std::str::FromStr + PartialOrd + fmt::Display,
{
    let value = parse_or(errors, name, get(name), default);
    if !range.contains(&value) {
        errors.push(format!(
            "{name}: must be between {} and {}",
            range.start(),
            range.end()
        ));
    }
    value
}

fn parse_or<T: std::str::FromStr>(
    errors: &mut Vec<String>,
    name: &str,
    value: Option<&str>,
    default: T,
) -> T {
    match value {
        None => default,
        Some(v) => v.parse().unwrap_or_else(|_| {
            errors.push(format!("{name}: `{v}` is not valid"));
            default
        }),
    }
}

/// What `check-config` prints: every variable of [`VARIABLES`], in its order, one `NAME=value` line each,
/// values written as the documentation writes them and secrets shown only as set or unset.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "(set)" } else { "(unset)" };
        let unused = |f: &mut fmt::Formatter<'_>, names: &[&str], why: &str| -> fmt::Result {
            names
                .iter()
                .try_for_each(|name| writeln!(f, "{name}=(not used: {why})"))
        };
        writeln!(f, "APP_ENV={}", self.env.as_str())?;
        writeln!(f, "DEV_EMULATOR={}", if self.emulator { "on" } else { "off" })?;
        writeln!(f, "BIND_ADDR={}", self.bind_addr)?;
        writeln!(f, "PUBLIC_URL={}", self.public_url)?;
        writeln!(f, "DATABASE_URL={}", self.database_url.redacted())?;
        writeln!(f, "DATABASE_MAX_CONNECTIONS={}", self.database_max_connections)?;
        let redis = self
            .redis_url
            .as_ref()
            .map(|u| redact_url_password(u.expose_secret()));
        writeln!(
            f,
            "REDIS_URL={}",
            redis.as_deref().unwrap_or("(unset: in-process cache)")
        )?;
        writeln!(f, "SKILL_SECRET={}", set(&self.skill_secret))?;
        writeln!(f, "SKILL_SECRET_HEADER={}", self.skill_secret_header)?;
        writeln!(
            f,
            "KAKAO_BOT_ID={}",
            self.kakao_bot_id.as_deref().unwrap_or("(unset)")
        )?;
        let blocks = self.blocks_file.as_ref().map(|p| p.display().to_string());
        writeln!(f, "KAKAO_BLOCKS_FILE={}", blocks.as_deref().unwrap_or("(unset)"))?;
        writeln!(f, "SKILL_DEADLINE_MS={}", self.skill_deadline.as_millis())?;
        let retention = self
            .skill_log
            .retention
            .map(|r| (r.as_secs() / 86_400).to_string());
        writeln!(
            f,
            "SKILL_LOG_RETENTION_DAYS={}",
            retention.as_deref().unwrap_or("off")
        )?;
        let key = crate::skill_log::HashKey::source(&self.skill_log, self.jwt_secret.as_ref());
        writeln!(f, "SKILL_LOG_HASH_KEY={}", key.describe())?;
        writeln!(f, "SKILL_LOG_QUEUE={}", self.skill_log.queue_capacity)?;
        writeln!(f, "CATALOG_CACHE_MS={}", self.catalog_cache.as_millis())?;
        writeln!(
            f,
            "BUMP_INTERVAL_HOURS={}",
            self.market.bump_interval.as_secs() / 3_600
        )?;
        writeln!(f, "REPORTS_TO_HOLD={}", self.market.reports_to_hold)?;
        writeln!(f, "IMAGE_HOSTS={}", self.images.allowed_hosts.join(","))?;
        writeln!(f, "IMAGE_MAX_BYTES={}", self.images.max_bytes)?;
        const S3_VARIABLES: [&str; 7] = [
            "S3_BUCKET",
            "S3_REGION",
            "S3_ENDPOINT",
            "S3_PATH_STYLE",
            "S3_PUBLIC_URL",
            "S3_ACCESS_KEY_ID",
            "S3_SECRET_ACCESS_KEY",
        ];
        match &self.images.storage {
            ImageStorage::Local { dir } => {
                writeln!(f, "IMAGE_STORAGE=local")?;
                writeln!(f, "IMAGE_DIR={}", dir.display())?;
                writeln!(f, "IMAGE_STORAGE_SHARED={}", self.image_storage_shared)?;
                unused(f, &S3_VARIABLES, "IMAGE_STORAGE=local")?;
            }
            ImageStorage::S3(s3) => {
                writeln!(f, "IMAGE_STORAGE=s3")?;
                unused(f, &["IMAGE_DIR", "IMAGE_STORAGE_SHARED"], "IMAGE_STORAGE=s3")?;
                writeln!(f, "S3_BUCKET={}", s3.bucket)?;
                writeln!(f, "S3_REGION={}", s3.region)?;
                writeln!(
                    f,
                    "S3_ENDPOINT={}",
                    s3.endpoint.as_deref().unwrap_or("(unset: AWS)")
                )?;
                writeln!(f, "S3_PATH_STYLE={}", s3.path_style)?;
                writeln!(f, "S3_PUBLIC_URL={}", s3.public_url)?;
                writeln!(f, "S3_ACCESS_KEY_ID={}", s3.access_key_id)?;
                writeln!(f, "S3_SECRET_ACCESS_KEY=(set)")?;
            }
        }
        match &self.payments {
            Some(p) => {
                writeln!(f, "KAKAOPAY_SECRET_KEY=(set)")?;
                writeln!(f, "KAKAOPAY_BASE_URL={}", p.kakaopay.base_url)?;
                writeln!(f, "KAKAOPAY_CID={}", p.kakaopay.cid)?;
                writeln!(f, "KAKAOPAY_TIMEOUT_MS={}", p.kakaopay.timeout.as_millis())?;
                let link_secret = if self.pay_link_secret_set {
                    "(set)"
                } else {
                    "(unset: a random key per start)"
                };
                writeln!(f, "PAY_LINK_SECRET={link_secret}")?;
                writeln!(f, "PAY_LINK_TTL_SECS={}", p.link_ttl.as_secs())?;
                writeln!(f, "PAY_HOLD_SECS={}", p.hold.as_secs())?;
                writeln!(f, "PAY_RECONCILE_SECS={}", p.reconcile_every.as_secs())?;
                writeln!(f, "AUTO_CONFIRM_DAYS={}", p.auto_confirm_after.as_secs() / 86_400)?;
            }
            None => {
                writeln!(f, "KAKAOPAY_SECRET_KEY=(unset: Kakao Pay off)")?;
                let names = [
                    "KAKAOPAY_BASE_URL",
                    "KAKAOPAY_CID",
                    "KAKAOPAY_TIMEOUT_MS",
                    "PAY_LINK_SECRET",
                    "PAY_LINK_TTL_SECS",
                    "PAY_HOLD_SECS",
                    "PAY_RECONCILE_SECS",
                    "AUTO_CONFIRM_DAYS",
                ];
                unused(f, &names, "Kakao Pay off")?;
            }
        }
        match &self.notify {
            Some(n) => {
                writeln!(f, "KAKAO_REST_API_KEY=(set)")?;
                writeln!(f, "KAKAO_EVENT_BASE_URL={}", n.event_api.base_url)?;
                writeln!(f, "KAKAO_EVENT_NAME={}", n.event_api.event_name)?;
                writeln!(f, "KAKAO_EVENT_TIMEOUT_MS={}", n.event_api.timeout.as_millis())?;
                writeln!(f, "NOTIFY_DAILY_CAP={}", n.daily_cap)?;
                writeln!(f, "NOTIFY_KEYWORD_ALERTS_PER_DAY={}", n.keyword_alerts_per_day)?;
                writeln!(f, "NOTIFY_RECHECK_SECS={}", n.recheck_after.as_secs())?;
                writeln!(f, "NOTIFY_LEASE_SECS={}", n.lease.as_secs())?;
                writeln!(f, "NOTIFY_POLL_MS={}", n.poll_every.as_millis())?;
                writeln!(f, "NOTIFY_MESSAGE_PRICE_WON={}", n.message_price_won)?;
            }
            None => {
                writeln!(f, "KAKAO_REST_API_KEY=(unset: nobody is notified)")?;
                let names = [
                    "KAKAO_EVENT_BASE_URL",
                    "KAKAO_EVENT_NAME",
                    "KAKAO_EVENT_TIMEOUT_MS",
                    "NOTIFY_DAILY_CAP",
                    "NOTIFY_KEYWORD_ALERTS_PER_DAY",
                    "NOTIFY_RECHECK_SECS",
                    "NOTIFY_LEASE_SECS",
                    "NOTIFY_POLL_MS",
                    "NOTIFY_MESSAGE_PRICE_WON",
                ];
                unused(f, &names, "nobody is notified")?;
            }
        }
        writeln!(f, "DEALS_ENABLED={}", self.deals.enabled)?;
        let sources = self.deals.sources_file.as_ref().map(|p| p.display().to_string());
        let enabled: Vec<&str> = self
            .deals
            .sources
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.key.as_str())
            .collect();
        writeln!(
            f,
            "DEALS_SOURCES_FILE={} (enabled: {})",
            sources.as_deref().unwrap_or("(shipped)"),
            enabled.join(", ")
        )?;
        writeln!(f, "DEALS_USER_AGENT={}", self.deals.user_agent)?;
        writeln!(f, "JWT_SECRET={}", set(&self.jwt_secret))?;
        writeln!(f, "ADMIN_ACCESS_TTL_SECS={}", self.admin.access_ttl.as_secs())?;
        writeln!(f, "ADMIN_REFRESH_TTL_SECS={}", self.admin.refresh_ttl.as_secs())?;
        match self.metrics_addr {
            Some(addr) => writeln!(f, "METRICS_ADDR={addr}")?,
            None => writeln!(f, "METRICS_ADDR=off")?,
        }
        let proxies = self.trusted_proxies.to_string();
        if proxies.is_empty() {
            writeln!(f, "TRUSTED_PROXIES=(unset: the client is the TCP peer)")?;
        } else {
            writeln!(f, "TRUSTED_PROXIES={proxies}")?;
        }
        let log_format = match self.log_format {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        };
        writeln!(f, "LOG_FORMAT={log_format}")?;
        write!(
            f,
            "RUST_LOG={}",
            self.log_filter
                .as_deref()
                .unwrap_or(crate::telemetry::DEFAULT_FILTER)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn an_empty_environment_gives_the_embedded_defaults() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert!(c.database_url.is_sqlite());
        assert!(c.redis_url.is_none());
        assert_eq!(c.bind_addr.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert_eq!(c.skill_secret_header.as_str(), "x-skill-secret");
        assert_eq!(c.skill_deadline, Duration::from_millis(3000));
    }

    #[test]
    fn a_sender_claim_must_outlast_two_event_api_calls() {
        let notify = |lease: &str| {
            Config::from_vars(&vars(&[
                ("KAKAO_REST_API_KEY", "key"),
                ("KAKAO_BOT_ID", "bot"),
                ("KAKAO_EVENT_TIMEOUT_MS", "5000"),
                ("NOTIFY_LEASE_SECS", lease),
            ]))
        };
        let err = notify("9").unwrap_err().to_string();
        assert!(err.contains("NOTIFY_LEASE_SECS: must be at least twice"), "{err}");
        let lease = notify("10").unwrap().notify.unwrap().lease;
        assert_eq!(lease, Duration::from_secs(10));
        let default = Config::from_vars(&vars(&[("KAKAO_REST_API_KEY", "key"), ("KAKAO_BOT_ID", "bot")]));
        assert_eq!(default.unwrap().notify.unwrap().lease, Duration::from_secs(120));
    }

    #[test]
    fn production_refuses_to_start_without_its_secrets() {
        let err = Config::from_vars(&vars(&[("APP_ENV", "production")])).unwrap_err();
        let text = err.to_string();
        for name in ["SKILL_SECRET", "KAKAO_BOT_ID", "JWT_SECRET", "PUBLIC_URL"] {
            assert!(text.contains(name), "{text}");
        }
    }

    #[test]
    fn production_starts_with_its_secrets() {
        let c = Config::from_vars(&vars(&[
            ("APP_ENV", "production"),
            ("SKILL_SECRET", "a-skill-secret-of-32-bytes-or-so"),
            ("KAKAO_BOT_ID", "bot!"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
            ("PUBLIC_URL", "https://market.example/"),
        ]))
        .unwrap();
        assert_eq!(c.kakao_bot_id.as_deref(), Some("bot"));
        assert_eq!(c.public_url, "https://market.example");
    }

    #[test]
    fn every_bad_value_is_reported_by_name() {
        let err = Config::from_vars(&vars(&[
            ("BIND_ADDR", "nowhere"),
            ("SKILL_DEADLINE_MS", "9000"),
            ("DATABASE_URL", "mysql://x"),
            ("JWT_SECRET", "short"),
            ("LOG_FORMAT", "xml"),
        ]))
        .unwrap_err();
        assert_eq!(err.0.len(), 5, "{err}");
    }

    #[test]
    fn s3_storage_needs_its_bucket_and_keys_and_never_shows_the_secret() {
        let err = Config::from_vars(&vars(&[("IMAGE_STORAGE", "s3")]))
            .unwrap_err()
            .to_string();
        for name in ["S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"] {
            assert!(err.contains(name), "{err}");
        }
        let c = Config::from_vars(&vars(&[
            ("IMAGE_STORAGE", "s3"),
            ("S3_BUCKET", "market-images"),
            ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("S3_SECRET_ACCESS_KEY", "hunter2-s3"),
            ("S3_ENDPOINT", "http://127.0.0.1:9000"),
            ("S3_PATH_STYLE", "true"),
        ]))
        .unwrap();
        let ImageStorage::S3(s3) = &c.images.storage else {
            panic!("s3 expected")
        };
        assert_eq!(
            s3.public_url,
            "https://market-images.s3.ap-northeast-2.amazonaws.com"
        );
        assert!(s3.path_style);
        for shown in [format!("{c:?}"), c.to_string()] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn deal_sources_default_to_the_shipped_file_and_a_bad_file_is_reported_by_name() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert!(c.deals.enabled && c.deals.sources_file.is_none());
        assert!(c.deals.sources.iter().any(|s| s.key == "quasarzone" && s.enabled));
        assert!(c.deals.user_agent.starts_with("junggye/"));
        let dir = std::env::temp_dir().join(format!("deals-{}", uuid::Uuid::new_v4().simple()));
        std::fs::write(&dir, "[[source]]\nkey = \"Bad Key\"\n").unwrap();
        let err = Config::from_vars(&vars(&[
            ("DEALS_SOURCES_FILE", dir.to_str().unwrap()),
            ("DEALS_ENABLED", "maybe"),
            ("DEALS_USER_AGENT", "핫딜봇"),
        ]))
        .unwrap_err();
        std::fs::remove_file(&dir).unwrap();
        let text = err.to_string();
        for name in ["DEALS_SOURCES_FILE", "DEALS_ENABLED", "DEALS_USER_AGENT"] {
            assert!(text.contains(name), "{text}");
        }
        let missing = Config::from_vars(&vars(&[("DEALS_SOURCES_FILE", "/nonexistent/sources.toml")]));
        assert!(missing.unwrap_err().to_string().contains("cannot read"));
        let off = Config::from_vars(&vars(&[("DEALS_ENABLED", "false")])).unwrap();
        assert!(!off.deals.enabled);
        assert!(!Config::for_tests("sqlite://unused.db").deals.enabled);
    }

    #[test]
    fn the_skill_log_is_kept_30_days_unless_turned_off_and_its_key_must_be_long() {
        let c = Config::from_vars(&HashMap::new()).unwrap();
        assert_eq!(c.skill_log.retention, Some(Duration::from_secs(30 * 86_400)));
        assert_eq!(c.skill_log.queue_capacity, 10_000);
        assert!(c.skill_log.hash_key.is_none());
        assert!(
            c.to_string()
                .contains("SKILL_LOG_HASH_KEY=(unset: a random key per start)")
        );
        for off in ["off", "0"] {
            let c = Config::from_vars(&vars(&[("SKILL_LOG_RETENTION_DAYS", off)])).unwrap();
            assert_eq!(c.skill_log.retention, None, "{off}");
            assert!(c.to_string().contains("SKILL_LOG_RETENTION_DAYS=off"));
        }
        let c = Config::from_vars(&vars(&[
            ("SKILL_LOG_RETENTION_DAYS", "7"),
            ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ]))
        .unwrap();
        assert_eq!(c.skill_log.retention, Some(Duration::from_secs(7 * 86_400)));
        assert!(
            c.to_string()
                .contains("SKILL_LOG_HASH_KEY=(unset: derived from JWT_SECRET)")
        );
        let err = Config::from_vars(&vars(&[
            ("SKILL_LOG_RETENTION_DAYS", "forever"),
            ("SKILL_LOG_HASH_KEY", "short"),
            ("SKILL_LOG_QUEUE", "0"),
        ]))
        .unwrap_err()
        .to_string();
        for name in [
            "SKILL_LOG_RETENTION_DAYS",
            "SKILL_LOG_HASH_KEY",
            "SKILL_LOG_QUEUE",
        ] {
            assert!(err.contains(name), "{err}");
        }
    }

    #[test]
    fn image_hosts_are_a_list_of_names_not_a_wildcard() {
        let c = Config::from_vars(&vars(&[("IMAGE_HOSTS", " *.kakaocdn.net, 127.0.0.1:9999 ")])).unwrap();
        assert_eq!(c.images.allowed_hosts, ["*.kakaocdn.net", "127.0.0.1:9999"]);
        assert!(Config::from_vars(&vars(&[("IMAGE_HOSTS", "*")])).is_err());
    }

    #[test]
    fn secrets_never_appear_in_debug_or_display() {
        let c = Config::from_vars(&vars(&[
            ("SKILL_SECRET", "hunter2-skill"),
            ("JWT_SECRET", "hunter2-jwt-0123456789abcdef0123456789"),
            ("DATABASE_URL", "postgres://app:hunter2-db@db/market"),
            ("REDIS_URL", "redis://:hunter2-redis@cache:6379"),
            ("SKILL_LOG_HASH_KEY", "hunter2-log-0123456789abcdef0123456789"),
        ]))
        .unwrap();
        for shown in [format!("{c:?}"), c.to_string()] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert!(c.to_string().contains("postgres://app:***@db/market"));
    }

    /// What production needs, so a test can add or change one thing.
    const PRODUCTION: [(&str, &str); 5] = [
        ("APP_ENV", "production"),
        ("SKILL_SECRET", "a-skill-secret-long-enough-for-production"),
        ("KAKAO_BOT_ID", "bot"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("PUBLIC_URL", "https://market.example"),
    ];

    fn production_with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut pairs = PRODUCTION.to_vec();
        pairs.extend_from_slice(extra);
        Config::from_vars(&vars(&pairs))
    }

    #[test]
    fn check_config_prints_every_documented_variable_in_order() {
        let everything = production_with(&[
            ("IMAGE_STORAGE", "s3"),
            ("S3_BUCKET", "market-images"),
            ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("S3_SECRET_ACCESS_KEY", "hunter2-s3"),
            ("KAKAOPAY_SECRET_KEY", "PRDhunter2-pay"),
            ("PAY_LINK_SECRET", "hunter2-link-0123456789abcdef0123456789"),
            ("KAKAO_REST_API_KEY", "hunter2-rest"),
            ("REDIS_URL", "redis://:hunter2-redis@cache:6379"),
            ("RUST_LOG", "debug"),
            ("LOG_FORMAT", "json"),
        ])
        .unwrap();
        let defaults = Config::from_vars(&HashMap::new()).unwrap();
        let documented: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        for config in [everything, defaults] {
            let shown = config.to_string();
            let printed: Vec<&str> = shown
                .lines()
                .map(|line| line.split_once('=').map_or(line, |(name, _)| name))
                .collect();
            assert_eq!(printed, documented, "{shown}");
            assert!(!shown.contains("hunter2"), "{shown}");
        }
    }

    #[test]
    fn check_config_writes_values_as_the_documentation_does() {
        let c = production_with(&[
            ("LOG_FORMAT", "json"),
            ("IMAGE_STORAGE_SHARED", "true"),
            ("RUST_LOG", "warn"),
        ])
        .unwrap();
        let shown = c.to_string();
        for line in [
            "APP_ENV=production",
            "DEV_EMULATOR=off",
            "LOG_FORMAT=json",
            "IMAGE_STORAGE=local",
            "IMAGE_STORAGE_SHARED=true",
            "DEALS_ENABLED=true",
            "RUST_LOG=warn",
            "S3_PATH_STYLE=(not used: IMAGE_STORAGE=local)",
            "PAY_LINK_SECRET=(not used: Kakao Pay off)",
        ] {
            assert!(shown.lines().any(|l| l == line), "missing `{line}` in:\n{shown}");
        }
        let shown = Config::from_vars(&HashMap::new()).unwrap().to_string();
        for line in [
            "APP_ENV=development",
            "LOG_FORMAT=text",
            "IMAGE_STORAGE_SHARED=false",
            "RUST_LOG=info,sqlx=warn",
            "TRUSTED_PROXIES=(unset: the client is the TCP peer)",
        ] {
            assert!(shown.lines().any(|l| l == line), "missing `{line}` in:\n{shown}");
        }
        let test = Config::for_tests("sqlite://unused.db").to_string();
        assert!(test.starts_with("APP_ENV=test\n"), "{test}");
    }

    #[test]
    fn a_pay_link_secret_shows_whether_it_was_given() {
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("KAKAOPAY_SECRET_KEY", "DEVkey")];
            pairs.extend_from_slice(extra);
            Config::from_vars(&vars(&pairs)).unwrap().to_string()
        };
        assert!(with(&[]).contains("PAY_LINK_SECRET=(unset: a random key per start)\n"));
        let given = with(&[("PAY_LINK_SECRET", "hunter2-link-0123456789abcdef0123456789")]);
        assert!(given.contains("PAY_LINK_SECRET=(set)\n"), "{given}");
        assert!(!given.contains("hunter2"), "{given}");
    }

    #[test]
    fn production_refuses_a_skill_secret_shorter_than_32_bytes() {
        let short = "x".repeat(SKILL_SECRET_MIN_BYTES - 1);
        let err = production_with(&[("SKILL_SECRET", &short)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SKILL_SECRET: must be at least 32 bytes"), "{err}");
        assert!(!err.contains(&short), "{err}");
        let exact = "x".repeat(SKILL_SECRET_MIN_BYTES);
        let c = production_with(&[("SKILL_SECRET", &exact)]).unwrap();
        assert!(c.warnings().is_empty(), "{:?}", c.warnings());
    }

    #[test]
    fn development_accepts_a_short_skill_secret_with_a_warning() {
        for env in ["development", "test"] {
            let c = Config::from_vars(&vars(&[
                ("APP_ENV", env),
                ("SKILL_SECRET", "hunter2"),
                ("KAKAO_BOT_ID", "bot"),
            ]))
            .unwrap();
            let warnings = c.warnings();
            assert_eq!(warnings.len(), 1, "{env}: {warnings:?}");
            assert!(
                warnings[0].starts_with("SKILL_SECRET is shorter than 32 bytes"),
                "{warnings:?}"
            );
            assert!(!warnings[0].contains("hunter2"), "{warnings:?}");
        }
        let long = Config::from_vars(&vars(&[
            ("SKILL_SECRET", "a-skill-secret-long-enough-for-production"),
            ("KAKAO_BOT_ID", "bot"),
        ]))
        .unwrap();
        assert!(long.warnings().is_empty(), "{:?}", long.warnings());
        let unset = Config::from_vars(&vars(&[("KAKAO_BOT_ID", "bot")])).unwrap();
        assert!(unset.warnings()[0].starts_with("SKILL_SECRET is not set"));
    }

    #[test]
    fn production_refuses_local_photos_between_instances_unless_the_directory_is_shared() {
        let redis = ("REDIS_URL", "redis://cache:6379");
        let err = production_with(&[redis]).unwrap_err().to_string();
        assert!(err.contains("IMAGE_STORAGE: `local` with REDIS_URL set"), "{err}");
        assert!(err.contains("Several instances need IMAGE_STORAGE=s3"), "{err}");
        assert!(err.contains("IMAGE_STORAGE_SHARED=true"), "{err}");

        let shared = production_with(&[redis, ("IMAGE_STORAGE_SHARED", "true")]).unwrap();
        assert!(shared.image_storage_shared);
        assert!(shared.warnings().is_empty(), "{:?}", shared.warnings());
        let s3 = production_with(&[
            redis,
            ("IMAGE_STORAGE", "s3"),
            ("S3_BUCKET", "market-images"),
            ("S3_ACCESS_KEY_ID", "AKIAEXAMPLE"),
            ("S3_SECRET_ACCESS_KEY", "secret"),
        ]);
        assert!(s3.is_ok(), "{:?}", s3.err());
        // One instance, without a shared cache: local photos are fine.
        assert!(production_with(&[]).is_ok());

        let err = Config::from_vars(&vars(&[("IMAGE_STORAGE_SHARED", "yes")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("IMAGE_STORAGE_SHARED: `yes` is not true or false"),
            "{err}"
        );
    }

    #[test]
    fn development_warns_about_local_photos_between_instances() {
        for env in ["development", "test"] {
            let warned = |extra: &[(&str, &str)]| {
                let mut pairs = vec![
                    ("APP_ENV", env),
                    ("REDIS_URL", "redis://cache:6379"),
                    ("SKILL_SECRET", "a-skill-secret-long-enough-for-production"),
                    ("KAKAO_BOT_ID", "bot"),
                ];
                pairs.extend_from_slice(extra);
                Config::from_vars(&vars(&pairs)).unwrap().warnings()
            };
            let warnings = warned(&[]);
            assert_eq!(warnings.len(), 1, "{env}: {warnings:?}");
            assert!(
                warnings[0].starts_with("IMAGE_STORAGE=local with REDIS_URL set"),
                "{warnings:?}"
            );
            assert!(warnings[0].contains("IMAGE_STORAGE=s3"), "{warnings:?}");
            assert!(warned(&[("IMAGE_STORAGE_SHARED", "true")]).is_empty(), "{env}");
        }
    }
}
