//! What the bench runs against: a lunas process on a fresh database, the bare
//! baseline process, a callback sink, and (with `--postgres`) throwaway databases.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use lunas_protocol::crypto::{RsaPrivateKey, token_string_to_sign};

use crate::requests::Merchant;

/// A child process killed when dropped.
pub struct Process {
    child: Child,
    pub port: u16,
}

impl Process {
    fn spawn(command: &mut Command, port: u16) -> anyhow::Result<Self> {
        let child = command.spawn().with_context(|| format!("starting {command:?}"))?;
        let process = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                bail!("{command:?} did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(process)
    }

    /// Peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// `lunas serve` on `database` in `mode`, its log in `dir/lunas.log`.
pub fn lunas(bin: &Path, database: &str, mode: &str, dir: &Path) -> anyhow::Result<Process> {
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("lunas.log"))?;
    Process::spawn(
        Command::new(bin)
            .args(["--database", database, "serve", "--mode", mode, "--listen", &format!("127.0.0.1:{port}")])
            .stdout(log.try_clone()?)
            .stderr(log),
        port,
    )
}

/// This executable's `baseline` subcommand, as its own process like lunas.
pub fn baseline(client_secret: &str) -> anyhow::Result<Process> {
    let port = free_port()?;
    Process::spawn(
        Command::new(std::env::current_exe()?)
            .args(["baseline", "--listen", &format!("127.0.0.1:{port}"), "--secret", client_secret])
            .stdout(Stdio::null()),
        port,
    )
}

/// Creates the bench's merchant with the lunas CLI, as an operator would.
pub fn merchant(
    bin: &Path,
    database: &str,
    key: &RsaPrivateKey,
    dir: &Path,
    callback: &str,
) -> anyhow::Result<Merchant> {
    let pem = dir.join("merchant.pub.pem");
    std::fs::write(&pem, key.public_key_pem())?;
    let output = Command::new(bin)
        .args(["--database", database, "merchant", "create", "--name", "bench", "--callback-url", callback])
        .arg("--public-key")
        .arg(&pem)
        .stderr(Stdio::inherit())
        .output()?;
    if !output.status.success() {
        bail!("lunas merchant create failed");
    }
    Ok(serde_json::from_slice(&output.stdout)?)
}

/// A B2B access token, asked for with the merchant's RSA signature.
pub async fn token(port: u16, merchant: &Merchant, key: &RsaPrivateKey) -> anyhow::Result<String> {
    let timestamp = lunas_protocol::timestamp::format(time::OffsetDateTime::now_utc());
    let signature = key.sign_base64(&token_string_to_sign(&merchant.partner_id, &timestamp));
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/v1.0/access-token/b2b"))
        .header("Content-Type", "application/json")
        .header("X-TIMESTAMP", timestamp)
        .header("X-CLIENT-KEY", &merchant.partner_id)
        .header("X-SIGNATURE", signature)
        .body(r#"{"grantType":"client_credentials"}"#)
        .send()
        .await?
        .json()
        .await?;
    answer["accessToken"].as_str().map(str::to_string).with_context(|| format!("no token: {answer}"))
}

/// Answers every notification with 200, as a healthy merchant endpoint does.
pub async fn callback_sink() -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let app = axum::Router::new().fallback(|| async { r#"{"response_code":"00"}"# });
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr}/callback"))
}

/// Throwaway databases on a PostgreSQL server, dropped at the end of the run.
pub struct Postgres {
    admin: String,
    created: Vec<String>,
}

impl Postgres {
    pub fn new(admin: String) -> Self {
        Self { admin, created: Vec::new() }
    }

    /// A new empty database; returns its URL.
    pub fn create(&mut self, name: &str) -> anyhow::Result<String> {
        let name = format!("{name}_{}", std::process::id());
        psql(&self.admin, &format!("drop database if exists {name}"))?;
        psql(&self.admin, &format!("create database {name}"))?;
        self.created.push(name.clone());
        let mut url = reqwest::Url::parse(&self.admin)?;
        url.set_path(&name);
        Ok(url.to_string())
    }

    /// pgbench's simple-update (`-N`) tps with the bench's client and thread counts.
    pub fn pgbench(&mut self, clients: usize, threads: usize, seconds: u64) -> anyhow::Result<f64> {
        let url = self.create("lunas_pgbench")?;
        run(Command::new("pgbench").args(["--initialize", "--quiet", "--scale=10", &url]))?;
        let output = run(Command::new("pgbench").args([
            "--skip-some-updates",
            &format!("--client={clients}"),
            &format!("--jobs={threads}"),
            &format!("--time={seconds}"),
            &url,
        ]))?;
        let tps = output
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next())
            .context("pgbench printed no tps")?;
        Ok(tps.parse()?)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        for name in &self.created {
            let _ = psql(&self.admin, &format!("drop database if exists {name} with (force)"));
        }
    }
}

fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    run(Command::new("psql").args([url, "-qAtc", sql]))
}

/// Runs a PostgreSQL client tool; its chatter is shown only when it fails.
fn run(command: &mut Command) -> anyhow::Result<String> {
    let output = command.env("PGOPTIONS", "-c client_min_messages=warning").output();
    let output = output.with_context(|| format!("{command:?} (scripts/bench needs psql and pgbench)"))?;
    if !output.status.success() {
        bail!("{command:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8(output.stdout)?)
}

pub fn sibling(name: &str) -> anyhow::Result<PathBuf> {
    Ok(std::env::current_exe()?.with_file_name(name))
}
