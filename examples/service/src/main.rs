//! `account-lockout-service`: the demo service on `--listen` (see the library's docs).

#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use account_lockout::MfaPolicy;
use account_lockout_service::admin::AdminToken;
use account_lockout_service::directory::{DEMO_ENVIRONMENT, DEMO_USERS};
use account_lockout_service::state::fleet::FleetStates;
use account_lockout_service::state::memory::MemoryStates;
use account_lockout_service::state::{AccountStates, Policies};
use account_lockout_service::{Service, serve};
use account_lockout_store::{PostgresBackend, RedisBackend};
use clap::Parser;

/// An HTTP service over account-lockout: argon2 logins and PingOne's account endpoints.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A `pingone` policy as JSON, its `mfa` member optional, e.g.
    /// {"pingone":{"failureCount":5,"durationSeconds":900,"mfa":{"failureCount":3,"durationSeconds":600}}}
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A file holding the administrator's bearer token (at least 32 characters) for the
    /// account endpoints; without it a random one is made and printed.
    #[arg(long, value_name = "FILE")]
    admin_token_file: Option<PathBuf>,
    /// Keep the accounts in Redis (e.g. redis://127.0.0.1:6379/), shared by every instance
    /// started on it, instead of in this process's memory.
    #[arg(long, value_name = "URL", conflicts_with = "postgres")]
    redis: Option<String>,
    /// Keep the accounts in PostgreSQL (e.g. "host=127.0.0.1 user=postgres dbname=lockout"),
    /// shared by every instance started on it, instead of in this process's memory.
    #[arg(long, value_name = "URL")]
    postgres: Option<String>,
}

/// The key prefix of the fleet state: every instance on one database shares it.
const FLEET_PREFIX: &str = "account-lockout-service:";

fn policies(file: Option<&PathBuf>) -> Result<Policies, String> {
    let Some(file) = file else {
        return Policies::defaults().map_err(|error| error.to_string());
    };
    let text = std::fs::read(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let policy: MfaPolicy =
        serde_json::from_slice(&text).map_err(|error| format!("{}: {error}", file.display()))?;
    // Without an `mfa` member, MFA codes are checked but not counted (behaviour §7.3).
    Policies::with_account(policy).map_err(|error| error.to_string())
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("account-lockout-service: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = Args::parse();
    // The crate's events (one per transition or refusal, target `account_lockout`) on
    // stderr, at `info` unless RUST_LOG says otherwise.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let policies = policies(args.policy.as_ref())?;
    let store_error = |error: account_lockout_store::Error| error.to_string();
    match (&args.redis, &args.postgres) {
        (Some(url), _) => {
            let backend = RedisBackend::connect(url).await.map_err(store_error)?;
            let states = FleetStates::new(backend, FLEET_PREFIX, policies).map_err(store_error)?;
            run_on(&args, states, "Redis").await
        }
        (None, Some(url)) => {
            let backend = PostgresBackend::connect(url).await.map_err(store_error)?;
            let states = FleetStates::new(backend, FLEET_PREFIX, policies).map_err(store_error)?;
            run_on(&args, states, "PostgreSQL").await
        }
        (None, None) => run_on(&args, MemoryStates::new(policies), "memory").await,
    }
}

async fn run_on<S: AccountStates>(args: &Args, states: S, kept_in: &str) -> Result<(), String> {
    let mut service =
        Service::demo(argon2::Params::default(), states).map_err(|error| error.to_string())?;
    let generated = match &args.admin_token_file {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .map_err(|error| format!("{}: {error}", file.display()))?;
            let token =
                AdminToken::new(text).map_err(|error| format!("{}: {error}", file.display()))?;
            service = service.with_admin_token(token);
            false
        }
        None => true,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| format!("{}: {error}", args.listen))?;
    let address = listener.local_addr().map_err(|error| error.to_string())?;
    println!("listening on http://{address}");
    println!("accounts in {kept_in}");
    println!("environment {DEMO_ENVIRONMENT}");
    if generated {
        // A demo's convenience: a real deployment reads it from a secret store.
        println!("admin token {}", service.admin_token().reveal());
    }
    for user in DEMO_USERS {
        // Demo credentials, printed so that they can be tried.
        println!(
            "user {} {:?} password {:?} mfa code {}",
            user.id, user.username, user.password, user.mfa_code
        );
    }
    let shutdown = async {
        // Without a Ctrl-C handler the process still ends on SIGINT, just not gracefully.
        let _interrupted = tokio::signal::ctrl_c().await;
    };
    serve(listener, Arc::new(service), shutdown)
        .await
        .map_err(|error| error.to_string())
}
