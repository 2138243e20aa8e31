//! The `junggye` binary: parse the command line and configuration, then serve or run a tool.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use junggye::app::{self, AppState};
use junggye::config::Config;
use junggye::db::Db;
use junggye::telemetry;

/// Photo downloads still pending this long after they started belonged to a process that stopped.
const PHOTO_DOWNLOAD_GRACE_MS: i64 = 10 * 60 * 1000;

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
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
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
            Ok(())
        }
        Command::Migrate => migrate(config).await,
        Command::Serve => serve(config).await,
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

async fn migrate(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let _logs = telemetry::init(config.log_format);
    let db = Db::connect(&config.database_url, 1).await?;
    db.migrate().await?;
    tracing::info!(backend = db.backend(), "migrations applied");
    Ok(())
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    let _logs = telemetry::init(config.log_format);
    app::warn_about(&config);
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
    let listener = tokio::net::TcpListener::bind(bind_addr).await?;
    tracing::info!(
        addr = %listener.local_addr()?,
        database = state.db.backend(),
        cache = state.cache.backend(),
        "serving"
    );
    let db = state.db.clone();
    app::serve(listener, app::router(state), app::shutdown_signal()).await?;
    db.close().await;
    Ok(())
}
