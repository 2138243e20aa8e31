//! The `junggye` binary: parse the command line and configuration, then serve or run a tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use junggye::admin::{self, accounts::Role};
use junggye::config::Config;
use junggye::db::Db;
use junggye::state::{self, AppState};
use junggye::telemetry;
use junggye::{http_server, router};

/// Photo downloads still pending this long after they started belonged to a process that stopped.
const PHOTO_DOWNLOAD_GRACE_MS: i64 = 10 * 60 * 1000;
/// How long a stopping server waits for the skill request log to write what it still holds.
const SKILL_LOG_FLUSH_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Parser)]
#[command(name = "junggye", version, about = "중계나라 KakaoTalk market chatbot server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets redacted); exit non-zero when it is invalid.
    CheckConfig,
    /// Print the admin API's OpenAPI document (what `/admin/openapi.json` serves) and exit.
    Openapi,
    /// Manage admin API accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Hot-deal boards.
    Deals {
        #[command(subcommand)]
        command: DealsCommand,
    },
}

#[derive(Subcommand)]
enum DealsCommand {
    /// Print what a board would show (titles, prices, links, skipped rows and why), enabled or not.
    Try {
        /// The source's `key` in the sources file.
        source: String,
        /// Read the list page from this saved file instead of fetching it (deal pages are then not read).
        #[arg(long)]
        file: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account. The password is typed at a prompt (not echoed) or piped with --password-stdin.
    Create {
        #[arg(long)]
        username: String,
        /// `admin` changes things; `viewer` only reads.
        #[arg(long, default_value = "viewer", value_parser = admin::cli::parse_role)]
        role: Role,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every account with its role and state.
    List,
    /// Disable an account: it can no longer sign in, and its sign-ins end at once.
    Disable { username: String },
    /// Enable a disabled account again.
    Enable { username: String },
    /// Give an account another role (`admin` or `viewer`).
    Role {
        username: String,
        #[arg(value_parser = admin::cli::parse_role)]
        role: Role,
    },
    /// Set an account's password (typed at a prompt, or piped with --password-stdin); its sign-ins end.
    Password {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The document is built from the code alone, so it prints without any configuration (CI validates it).
    if matches!(cli.command, Some(Command::Openapi)) {
        return print_openapi();
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{err}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::CheckConfig => {
            println!("{config}");
            // The blocks file is read as `serve` reads it, so a bad one fails here first.
            match &config.blocks_file {
                Some(path) => junggye::blocks::Nav::load(path).map(drop).map_err(Into::into),
                None => Ok(()),
            }
        }
        Command::Migrate => migrate(config).await,
        // Printed above, before the configuration was read.
        Command::Openapi => Ok(()),
        Command::Serve => serve(config).await,
        Command::Admin { command } => admin(config, command).await,
        Command::Deals {
            command: DealsCommand::Try { source, file },
        } => deals_try(&config, &source, file.as_deref()).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!("{err}");
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

fn print_openapi() -> ExitCode {
    match junggye::router::admin_openapi().to_pretty_json() {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn admin_create(
    config: Config,
    username: &str,
    role: Role,
    password_stdin: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let username = admin::cli::parse_username(username)?;
    let password = admin::cli::read_password(password_stdin)?;
    let db = Db::connect(&config.database_url, 1).await?;
    let account = admin::cli::create(&db, &username, role, &password).await?;
    db.close().await;
    println!(
        "created admin account `{}` (id {}, role {})",
        account.username,
        account.id,
        role.as_str()
    );
    Ok(())
}

/// `admin create | list | disable | enable | role | password`.
async fn admin(config: Config, command: AdminCommand) -> Result<(), Box<dyn std::error::Error>> {
    use junggye::admin::accounts::AccountChange;
    let (username, change) = match command {
        AdminCommand::Create {
            username,
            role,
            password_stdin,
        } => return admin_create(config, &username, role, password_stdin).await,
        AdminCommand::List => {
            let db = Db::connect(&config.database_url, 1).await?;
            print!("{}", admin::cli::list(&db).await?);
            db.close().await;
            return Ok(());
        }
        AdminCommand::Disable { username } => (username, AccountChange::Disable),
        AdminCommand::Enable { username } => (username, AccountChange::Enable),
        AdminCommand::Role { username, role } => (username, AccountChange::Role(role)),
        AdminCommand::Password {
            username,
            password_stdin,
        } => {
            admin::cli::parse_username(&username)?;
            let password = admin::cli::read_password(password_stdin)?;
            (username, AccountChange::Password(password))
        }
    };
    let username = admin::cli::parse_username(&username)?;
    let db = Db::connect(&config.database_url, 1).await?;
    let said = admin::cli::change(&db, &username, change).await;
    db.close().await;
    println!("{}", said?);
    Ok(())
}

async fn deals_try(
    config: &Config,
    source: &str,
    file: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let trial = junggye::deals::trial::try_source(&config.deals, source, file).await?;
    print!("{trial}");
    Ok(())
}

/// Serves `/metrics` on its own listener, away from the public port, until the process ends.
async fn serve_metrics(addr: std::net::SocketAddr, db: Db) -> Result<(), Box<dyn std::error::Error>> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("METRICS_ADDR {addr}: {e} (set another address, or `off`)"))?;
    tracing::info!(addr = %listener.local_addr()?, "serving metrics");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, junggye::metrics::router(db)).await {
            tracing::error!(error = %e, "metrics listener stopped");
        }
    });
    Ok(())
}

async fn migrate(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let _logs = telemetry::init(config.log_format);
    let db = Db::connect(&config.database_url, 1).await?;
    db.migrate().await?;
    tracing::info!(backend = db.backend(), "migrations applied");
    Ok(())
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let _logs = telemetry::init(config.log_format);
    // Development: Kakao's stand-ins start first, so the configuration can point at them.
    let (config, standins) = if config.emulator {
        let standins = junggye::dev::Standins::start(router::standin_routes).await?;
        let config = Config::with_standins(&junggye::config::environment(), standins.addr())?;
        (config, Some(standins))
    } else {
        (config, None)
    };
    state::warn_about(&config);
    let bind_addr = config.bind_addr;
    let state = AppState::build(config).await?;
    let interrupted =
        junggye::products::store::fail_stale_photo_sets(&state.db, PHOTO_DOWNLOAD_GRACE_MS).await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "photo downloads interrupted by a previous stop were marked failed"
        );
    }
    if let (Some(payments), Some(settings)) = (&state.payments, &state.config.payments) {
        junggye::orders::reconcile::spawn(payments.clone(), settings.reconcile_every);
    }
    if let Some(settings) = &state.config.notify {
        junggye::notifications::Sender::new(settings, state.db.clone(), state.outbox.clone())?.spawn();
        tracing::info!(event = %settings.event_api.event_name, "notice sender started");
    }
    junggye::conversations::spawn_purge(state.db.clone(), std::time::Duration::from_secs(3_600));
    let refreshers = state.deals.spawn_refreshers();
    if !refreshers.is_empty() {
        tracing::info!(sources = refreshers.len(), "hot-deal refreshers started");
    }
    if let Some(addr) = state.config.metrics_addr {
        serve_metrics(addr, state.db.clone()).await?;
    }
    let shutdown = http_server::shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind(bind_addr).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        database = state.db.backend(),
        cache = state.cache.backend(),
        "serving"
    );
    let db = state.db.clone();
    let skill_log = state.skill_log.clone();
    let app = match standins {
        Some(standins) => {
            tracing::warn!(url = %format!("{}/dev/chat", state.config.public_url), "the KakaoTalk emulator is on");
            let emulator = junggye::dev::Emulator::new(&state, standins);
            router::router_with_emulator(state, emulator)
        }
        None => router::router(state),
    };
    http_server::serve(listener, app, shutdown).await?;
    skill_log.shutdown(SKILL_LOG_FLUSH_GRACE).await;
    db.close().await;
    Ok(())
}
