//! Typed configuration, read once at start-up from the environment (and an optional `.env` file).
//!
//! Every variable is listed in [`VARIABLES`], which is also the README's table, so the documentation and
//! the code cannot drift apart. An invalid value stops the server with a message naming the variable; the
//! production profile also refuses to start without the secrets it needs rather than running open.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
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
        meaning: "Shared secret Open Builder sends in a custom header on every skill call.",
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
        name: "JWT_SECRET",
        default: "(unset: admin API disabled)",
        meaning: "Key (≥ 32 bytes) signing admin tokens.",
    },
    Variable {
        name: "LOG_FORMAT",
        default: "text",
        meaning: "`text` or `json`.",
    },
    Variable {
        name: "RUST_LOG",
        default: "info,sqlx=warn",
        meaning: "Log filter (tracing `EnvFilter` syntax).",
    },
];

/// Kakao gives up after five seconds; a deadline above this leaves no time for the network.
const DEADLINE_CEILING_MS: u64 = 4_500;
/// HS256 keys shorter than this are guessable.
const JWT_SECRET_MIN_BYTES: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Test,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

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
    pub jwt_secret: Option<SecretString>,
    pub log_format: LogFormat,
}

/// A database URL; it may carry a password, so it is only shown redacted.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    pub fn new(url: &str) -> Self {
        Self(SecretString::from(url.to_owned()))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    pub fn is_sqlite(&self) -> bool {
        self.expose().starts_with("sqlite:")
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        redact_url_password(self.expose())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// `scheme://user:secret@host` → `scheme://user:***@host`.
pub fn redact_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let masked = if userinfo.contains(':') {
                format!("{user}:***")
            } else {
                user.to_owned()
            };
            format!("{scheme}://{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Everything wrong with the environment, one line per variable.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

impl Config {
    /// Reads `.env` (if present) and then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_vars(&vars)
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
        let deadline_ms: u64 = parse_or(&mut errors, "SKILL_DEADLINE_MS", get("SKILL_DEADLINE_MS"), 3_000);
        if !(100..=DEADLINE_CEILING_MS).contains(&deadline_ms) {
            errors.push(format!(
                "SKILL_DEADLINE_MS: must be between 100 and {DEADLINE_CEILING_MS}"
            ));
        }
        let jwt_secret = get("JWT_SECRET").map(|s| SecretString::from(s.to_owned()));
        if let Some(key) = &jwt_secret
            && key.expose_secret().len() < JWT_SECRET_MIN_BYTES
        {
            errors.push(format!(
                "JWT_SECRET: must be at least {JWT_SECRET_MIN_BYTES} bytes"
            ));
        }
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
            if !public_url.starts_with("https://") {
                errors.push("PUBLIC_URL: must be https:// when APP_ENV=production".into());
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
            jwt_secret,
            log_format,
        })
    }

    /// A configuration for tests and tools: embedded defaults, no secrets.
    pub fn for_tests(database_url: &str) -> Self {
        let vars = HashMap::from([
            ("APP_ENV".to_owned(), "test".to_owned()),
            ("DATABASE_URL".to_owned(), database_url.to_owned()),
        ]);
        Self::from_vars(&vars).expect("test configuration is valid")
    }
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

/// What `check-config` prints: every setting, secrets shown only as set or unset.
impl fmt::Display for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "(set)" } else { "(unset)" };
        writeln!(f, "APP_ENV={:?}", self.env)?;
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
        writeln!(f, "JWT_SECRET={}", set(&self.jwt_secret))?;
        write!(f, "LOG_FORMAT={:?}", self.log_format)
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
            ("SKILL_SECRET", "s3cret"),
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
    fn secrets_never_appear_in_debug_or_display() {
        let c = Config::from_vars(&vars(&[
            ("SKILL_SECRET", "hunter2-skill"),
            ("JWT_SECRET", "hunter2-jwt-0123456789abcdef0123456789"),
            ("DATABASE_URL", "postgres://app:hunter2-db@db/market"),
            ("REDIS_URL", "redis://:hunter2-redis@cache:6379"),
        ]))
        .unwrap();
        for shown in [format!("{c:?}"), c.to_string()] {
            assert!(!shown.contains("hunter2"), "{shown}");
        }
        assert!(c.to_string().contains("postgres://app:***@db/market"));
    }
}
