//! The `lunas` command line.

mod client;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::app::{deliveries, merchants};
use crate::config::{Config, Mode};
use crate::domain::Clock;

#[derive(Debug, Parser)]
#[command(name = "lunas", version, about = "A payment gateway that speaks iFortepay's SNAP and PG3 APIs")]
struct Cli {
    /// TOML configuration file; flags and environment variables override it.
    #[arg(long, global = true, env = "LUNAS_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (default sqlite:lunas.db in the working directory).
    #[arg(long, global = true, env = "LUNAS_DATABASE_URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, env = "LUNAS_LISTEN")]
        listen: Option<std::net::SocketAddr>,
        /// sandbox (default) serves /sandbox; production does not.
        #[arg(long, env = "LUNAS_MODE")]
        mode: Option<Mode>,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage merchants.
    #[command(subcommand)]
    Merchant(MerchantCommand),
    /// Inspect and resend merchant notifications.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Call the gateway as a merchant: SNAP and PG3 signed for you, the sandbox's
    /// customer side; prints the JSON answer.
    Client {
        #[command(flatten)]
        credentials: client::Credentials,
        #[command(subcommand)]
        command: client::ClientCommand,
    },
    /// Grade a merchant's callback endpoint: genuine notifications acknowledged,
    /// forged or stale ones refused, answers in time. Exits non-zero on a failure.
    CheckCallback(client::CheckArgs),
}

#[derive(Debug, Subcommand)]
enum MerchantCommand {
    /// Create a merchant and print its credentials (shown this once) as JSON.
    Create {
        #[arg(long)]
        name: String,
        /// The merchant's RSA public key (SPKI PEM) for SHA256withRSA signatures.
        #[arg(long, value_name = "PEM_FILE")]
        public_key: Option<PathBuf>,
        /// SNAP HMAC key; generated when not given.
        #[arg(long)]
        client_secret: Option<String>,
        /// Default callback URL.
        #[arg(long)]
        callback_url: Option<String>,
    },
    /// List merchants (without secrets) as JSON lines.
    List,
    /// Give a merchant new secrets (SNAP client secret, PG3 secret_unbound_id and
    /// hash_key) and print them, shown this once; the old ones stop working.
    Rotate { partner_id: String },
}

#[derive(Debug, Subcommand)]
enum OutboxCommand {
    /// List notifications as JSON lines (undelivered only unless --all).
    List {
        #[arg(long)]
        all: bool,
    },
    /// Make a notification due now, even one whose retries ran out; or, with
    /// --merchant, --from and --until (ISO-8601), every failed notification of that
    /// merchant created in the range.
    Resend {
        #[arg(required_unless_present = "merchant")]
        id: Option<i64>,
        /// The merchant's partner id.
        #[arg(long, conflicts_with = "id", requires_all = ["from", "until"])]
        merchant: Option<String>,
        #[arg(long)]
        from: Option<String>,
        #[arg(long)]
        until: Option<String>,
    },
    /// Every attempt of one notification as JSON lines: when, where, the status, the
    /// latency, the start of the answer, the error.
    Attempts { id: i64 },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = match cli.command {
        Command::Serve { .. } => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut config = Config::load(cli.config.as_deref())?;
    if let Some(database) = cli.database {
        config.database_url = database;
    }
    let open = || crate::server::open(config.clone(), Clock::default());
    match cli.command {
        Command::Serve { listen, mode } => {
            if let Some(listen) = listen {
                config.listen = listen;
            }
            if let Some(mode) = mode {
                config.mode = mode;
            }
            // From the environment or the file only: a flag would show in `ps`.
            if let Ok(token) = std::env::var("LUNAS_OPERATOR_TOKEN") {
                config.operator.token = Some(token);
                config.check()?;
            }
            return crate::server::serve(config).await;
        }
        Command::Migrate => {
            open().await?;
            eprintln!("database {} is up to date", config.database_url);
        }
        Command::Merchant(MerchantCommand::Create { name, public_key, client_secret, callback_url }) => {
            let gateway = open().await?;
            let public_key_pem = public_key
                .map(|path| std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display())))
                .transpose()?;
            let request = merchants::MerchantRequest { name, public_key_pem, client_secret, callback_url };
            let merchant = merchants::create(&gateway.store, request, gateway.clock.now()).await?;
            print_json(&crate::render::operator::credentials(&merchant))?;
        }
        Command::Merchant(MerchantCommand::Rotate { partner_id }) => {
            let merchant = merchants::rotate_secrets(&*open().await?, &partner_id)
                .await?
                .with_context(|| format!("no merchant {partner_id}"))?;
            print_json(&crate::render::operator::credentials(&merchant))?;
        }
        Command::Merchant(MerchantCommand::List) => {
            for m in merchants::list(&open().await?.store).await? {
                print_json(&crate::render::operator::merchant(&m))?;
            }
        }
        Command::Outbox(OutboxCommand::List { all }) => {
            for entry in deliveries::list(&*open().await?, !all).await? {
                print_json(&crate::render::operator::delivery(&entry))?;
            }
        }
        Command::Outbox(OutboxCommand::Attempts { id }) => {
            for attempt in deliveries::attempts(&*open().await?, id).await? {
                print_json(&crate::render::operator::attempt(&attempt))?;
            }
        }
        Command::Outbox(OutboxCommand::Resend { id: Some(id), .. }) => {
            let due = deliveries::resend(&*open().await?, id).await?;
            anyhow::ensure!(due, "no notification {id}, or an attempt of it is in flight");
            eprintln!("notification {id} is due now; a running `lunas serve` will send it");
        }
        Command::Outbox(OutboxCommand::Resend { id: None, merchant, from, until }) => {
            let merchant = merchant.context("--merchant is required without an id")?;
            let instant = |text: Option<String>, flag: &str| {
                text.as_deref()
                    .and_then(lunas_protocol::timestamp::parse)
                    .map(crate::domain::time::from_datetime)
                    .with_context(|| format!("--{flag} must be an ISO-8601 time such as 2026-11-24T00:00:00+07:00"))
            };
            let (from, until) = (instant(from, "from")?, instant(until, "until")?);
            let due = deliveries::resend_failed(&*open().await?, &merchant, from, until)
                .await?
                .with_context(|| format!("no merchant {merchant}"))?;
            eprintln!("{due} notifications are due now; a running `lunas serve` will send them");
        }
        Command::Client { credentials, command } => client::client(credentials, command).await?,
        Command::CheckCallback(args) => client::check(args, config.callbacks.request_timeout_ms).await?,
    }
    Ok(())
}

/// One JSON document per line, as the operator API renders it.
fn print_json(view: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(view)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
