//! `lunas client` and `lunas check-callback`: the merchant's side, through
//! `lunas-client`, with credentials from a file or the environment.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use lunas_client::check::{Check, Face, check_callback};
use lunas_client::protocol::crypto::RsaPrivateKey;
use lunas_client::verify::CallbackKeys;
use lunas_client::{Pg3Client, Pg3Config, Signing, SnapClient, SnapConfig};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

/// Where the merchant's secrets are: the credentials file, overridden by the
/// environment. Never flags: a flag would show in `ps`.
#[derive(Debug, Args)]
pub struct SecretsFile {
    /// The merchant's credentials, as `lunas merchant create` prints them (JSON with
    /// partner_id, client_secret, secret_unbound_id, hash_key). LUNAS_PARTNER_ID,
    /// LUNAS_CLIENT_SECRET, LUNAS_SECRET_UNBOUND_ID and LUNAS_HASH_KEY override it.
    #[arg(long, global = true, env = "LUNAS_CREDENTIALS", value_name = "JSON_FILE")]
    credentials: Option<PathBuf>,
}

/// Where the gateway is and who the merchant is.
#[derive(Debug, Args)]
pub struct Credentials {
    /// Base URL of the gateway.
    #[arg(long, global = true, env = "LUNAS_URL", default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Base URL of the SNAP access-token endpoint, when it is not --url (iFortepay
    /// serves tokens from its own host).
    #[arg(long, global = true, env = "LUNAS_TOKEN_URL")]
    token_url: Option<String>,
    #[command(flatten)]
    secrets: SecretsFile,
    /// The merchant's RSA private key (PKCS#8 PEM): signs the SNAP token request,
    /// and service calls with --asymmetric.
    #[arg(long, global = true, env = "LUNAS_PRIVATE_KEY", value_name = "PEM_FILE")]
    key: Option<PathBuf>,
}

#[derive(Default, Deserialize)]
struct Secrets {
    partner_id: Option<String>,
    client_secret: Option<String>,
    secret_unbound_id: Option<String>,
    hash_key: Option<String>,
}

impl SecretsFile {
    fn load(&self) -> anyhow::Result<Secrets> {
        let mut secrets = match &self.credentials {
            Some(path) => {
                serde_json::from_str(&read(path)?).with_context(|| format!("{} is not JSON", path.display()))?
            }
            None => Secrets::default(),
        };
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        for (field, name) in [
            (&mut secrets.partner_id, "LUNAS_PARTNER_ID"),
            (&mut secrets.client_secret, "LUNAS_CLIENT_SECRET"),
            (&mut secrets.secret_unbound_id, "LUNAS_SECRET_UNBOUND_ID"),
            (&mut secrets.hash_key, "LUNAS_HASH_KEY"),
        ] {
            if let Some(value) = env(name) {
                *field = Some(value);
            }
        }
        Ok(secrets)
    }
}

impl Credentials {
    fn secrets(&self) -> anyhow::Result<Secrets> {
        self.secrets.load()
    }

    fn snap(&self, signing: Signing) -> anyhow::Result<SnapClient> {
        let secrets = self.secrets()?;
        let key = self.key.as_deref().context("no private key: give --key or LUNAS_PRIVATE_KEY")?;
        let key = RsaPrivateKey::from_pem(&read(key)?).with_context(|| format!("{}", key.display()))?;
        let mut config = SnapConfig::new(
            &self.url,
            &need(secrets.partner_id, "partner_id")?,
            &need(secrets.client_secret, "client_secret")?,
            key,
        );
        if let Some(token_url) = &self.token_url {
            config.token_base_url = token_url.trim_end_matches('/').to_string();
        }
        config.signing = signing;
        Ok(SnapClient::new(config)?)
    }

    fn pg3(&self) -> anyhow::Result<Pg3Client> {
        let s = self.secrets()?;
        let config = Pg3Config::new(
            &self.url,
            &need(s.partner_id, "partner_id")?,
            &need(s.secret_unbound_id, "secret_unbound_id")?,
            &need(s.hash_key, "hash_key")?,
        );
        Ok(Pg3Client::new(config)?)
    }
}

fn need(value: Option<String>, name: &str) -> anyhow::Result<String> {
    value.with_context(|| format!("no {name}: give --credentials or LUNAS_{}", name.to_ascii_uppercase()))
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Take a SNAP B2B access token and print the answer.
    Token,
    /// Call any SNAP service: BODY (JSON text, @FILE, or - for standard input) is
    /// signed and sent to PATH, such as /v1.0/qr/qr-mpm-query.
    Snap {
        path: String,
        body: String,
        /// GET, POST, PUT or DELETE.
        #[arg(long, default_value = "POST", value_parser = parse_method)]
        method: Method,
        /// Sign with the RSA key instead of the access token and client secret.
        #[arg(long)]
        asymmetric: bool,
    },
    /// Call any PG3 endpoint (/va, /va/inquiry, /va/cancel) with BODY (as for snap).
    Pg3 { path: String, body: String },
    /// The sandbox wallet pays a QR: its qrContent, amount included.
    PayQr { qr_content: String },
    /// The sandbox bank transfers AMOUNT (rupiah, such as 15000) to a virtual account.
    PayVa { va_number: String, amount: String },
}

/// Runs one client command and prints the gateway's JSON answer; an error when the
/// answer is not a success.
pub async fn client(credentials: Credentials, command: ClientCommand) -> anyhow::Result<()> {
    let (status, answer) = match command {
        ClientCommand::Token => {
            let token = credentials.snap(Signing::Symmetric)?.request_token().await?;
            (200, serde_json::to_vec(&token)?)
        }
        ClientCommand::Snap { path, body, method, asymmetric } => {
            let signing = if asymmetric { Signing::Asymmetric } else { Signing::Symmetric };
            let body = body_text(&body)?;
            credentials.snap(signing)?.send(method, &path, body.as_bytes(), false).await?
        }
        ClientCommand::Pg3 { path, body } => {
            credentials.pg3()?.send(&path, body_text(&body)?.as_bytes(), false).await?
        }
        ClientCommand::PayQr { qr_content } => {
            sandbox(&credentials.url, "qris", json!({"qrContent": qr_content})).await?
        }
        ClientCommand::PayVa { va_number, amount } => {
            sandbox(&credentials.url, "va", json!({"va_number": va_number, "amount": amount})).await?
        }
    };
    match serde_json::from_slice::<Value>(&answer) {
        Ok(json) => println!("{}", serde_json::to_string_pretty(&json)?),
        Err(_) => println!("{}", String::from_utf8_lossy(&answer)),
    }
    anyhow::ensure!((200..300).contains(&status), "the gateway answered HTTP {status}");
    Ok(())
}

fn parse_method(text: &str) -> Result<Method, String> {
    match text.to_ascii_uppercase().as_str() {
        "GET" => Ok(Method::GET),
        "POST" => Ok(Method::POST),
        "PUT" => Ok(Method::PUT),
        "DELETE" => Ok(Method::DELETE),
        other => Err(format!("{other} is not a method SNAP uses")),
    }
}

fn body_text(arg: &str) -> anyhow::Result<String> {
    match arg {
        "-" => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            Ok(text)
        }
        _ => match arg.strip_prefix('@') {
            Some(path) => read(Path::new(path)),
            None => Ok(arg.to_string()),
        },
    }
}

async fn sandbox(base: &str, what: &str, body: Value) -> anyhow::Result<(u16, Vec<u8>)> {
    let url = format!("{}/sandbox/{what}/pay", base.trim_end_matches('/'));
    let answer = reqwest::Client::new().post(url).json(&body).send().await?;
    Ok((answer.status().as_u16(), answer.bytes().await?.to_vec()))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CallbackFace {
    Snap,
    Pg3,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The merchant's callback endpoint.
    #[arg(value_name = "URL")]
    endpoint: String,
    #[arg(long, value_enum, default_value = "snap")]
    face: CallbackFace,
    /// The URL SNAP signatures cover, when the endpoint is reached at another address
    /// than the gateway posts to (default: URL).
    #[arg(long)]
    notify_url: Option<String>,
    /// How long the endpoint may take (default: the gateway's callbacks.request_timeout_ms).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: Option<u64>,
    /// The X-TIMESTAMP age the endpoint should accept at most; the stale case is
    /// twice as old (at least ten minutes).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    max_age_secs: u64,
    #[command(flatten)]
    secrets: SecretsFile,
}

/// Grades the endpoint; an error (non-zero exit) when a case fails.
pub async fn check(args: CheckArgs, delivery_timeout_ms: u64) -> anyhow::Result<()> {
    let secrets = args.secrets.load()?;
    let face = match args.face {
        CallbackFace::Snap => Face::Snap,
        CallbackFace::Pg3 => Face::Pg3,
    };
    let keys = CallbackKeys {
        notify_url: args.notify_url.unwrap_or_else(|| args.endpoint.clone()),
        client_secret: secrets.client_secret.unwrap_or_default(),
        hash_key: secrets.hash_key.unwrap_or_default(),
        max_age: Duration::from_secs(args.max_age_secs),
    };
    match face {
        Face::Snap => anyhow::ensure!(!keys.client_secret.is_empty(), "no client_secret to sign SNAP notifications"),
        Face::Pg3 => anyhow::ensure!(!keys.hash_key.is_empty(), "no hash_key to sign PG3 callbacks"),
    }
    // Only SNAP notifications name the merchant.
    let partner_id = match face {
        Face::Snap => need(secrets.partner_id, "partner_id")?,
        Face::Pg3 => secrets.partner_id.unwrap_or_default(),
    };
    let check = Check {
        url: args.endpoint,
        face,
        partner_id,
        keys,
        timeout: Duration::from_millis(args.timeout_ms.unwrap_or(delivery_timeout_ms)),
    };
    let report = check_callback(&check).await;
    println!("{report}");
    anyhow::ensure!(report.passed(), "the callback endpoint failed the check");
    Ok(())
}
