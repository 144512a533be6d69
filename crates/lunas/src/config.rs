//! Configuration: built-in defaults, then an optional TOML file, then environment
//! variables and command-line flags (handled by the CLI, which overrides the file).

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// The sandbox acquirer and its `/sandbox` routes are on.
    Sandbox,
    /// `/sandbox` answers 404.
    Production,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    /// `sqlite:PATH` (the embedded default) or `postgres://USER@HOST/DB`.
    pub database_url: String,
    pub database: DatabaseConfig,
    pub mode: Mode,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is answered with a timeout.
    pub request_timeout_ms: u64,
    pub snap: SnapConfig,
    pub qris: QrisConfig,
    pub callbacks: CallbackConfig,
    pub cache: CacheConfig,
    pub operator: OperatorConfig,
    pub sandbox: SandboxConfig,
}

/// The sandbox's developer tools (sandbox mode only).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// API calls the request log keeps, newest first.
    pub request_log_entries: usize,
    /// How long a logged call is kept.
    pub request_log_secs: u64,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self { request_log_entries: 1_000, request_log_secs: 24 * 3600 }
    }
}

/// The operator API under `/operator/v1`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OperatorConfig {
    /// The bearer token the API requires (at least 32 characters). Without one, the
    /// API is off: it is never open without authentication.
    pub token: Option<String>,
}

/// Connections. SQLite always writes through one connection (and a thread).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// PostgreSQL connections per instance.
    pub max_connections: u32,
    /// How long a command may wait for its connection (SQLite's writer, or a free
    /// PostgreSQL connection) before it is refused unrun.
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { max_connections: 10, acquire_timeout_ms: 10_000 }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SnapConfig {
    /// How far `X-TIMESTAMP` may be from the server clock, either way.
    pub timestamp_window_secs: u64,
}

/// What the gateway writes into every QRIS it issues.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QrisConfig {
    /// Reverse-domain id of the acquirer (merchant account template, tag 26.00).
    pub acquirer_domain: String,
    pub merchant_city: String,
    pub postal_code: String,
    pub merchant_category_code: String,
    pub merchant_criteria: String,
    /// Largest QR amount in rupiah (Bank Indonesia's QRIS limit by default).
    pub max_amount_rupiah: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CallbackConfig {
    /// Delay before each retry, in milliseconds; its length is the number of retries.
    pub retry_delays_ms: Vec<u64>,
    pub request_timeout_ms: u64,
    /// How long a worker owns a claimed delivery before another may take it.
    pub lease_ms: u64,
    /// How often the worker looks for due deliveries when nothing wakes it.
    pub poll_interval_ms: u64,
    /// Deliveries one instance sends at once.
    pub max_in_flight: u32,
    /// Deliveries in flight for one merchant, across all instances.
    pub per_merchant: u32,
}

/// Lookups every request repeats, kept in memory.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// How long a merchant's credentials are reused before being read again; a change
    /// made through another instance is seen here within this time.
    pub merchant_ttl_ms: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self { merchant_ttl_ms: 5_000 }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite:lunas.db".to_string(),
            database: DatabaseConfig::default(),
            mode: Mode::Sandbox,
            max_body_bytes: 64 * 1024,
            request_timeout_ms: 30_000,
            snap: SnapConfig::default(),
            qris: QrisConfig::default(),
            callbacks: CallbackConfig::default(),
            cache: CacheConfig::default(),
            operator: OperatorConfig::default(),
            sandbox: SandboxConfig::default(),
        }
    }
}

impl Default for SnapConfig {
    fn default() -> Self {
        Self { timestamp_window_secs: 300 }
    }
}

impl Default for QrisConfig {
    fn default() -> Self {
        Self {
            acquirer_domain: "ID.CO.LUNAS.WWW".to_string(),
            merchant_city: "JAKARTA".to_string(),
            postal_code: "10110".to_string(),
            merchant_category_code: "5999".to_string(),
            merchant_criteria: "UMI".to_string(),
            max_amount_rupiah: 10_000_000,
        }
    }
}

impl Default for CallbackConfig {
    fn default() -> Self {
        Self {
            // 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h: eight retries over ~11 h.
            retry_delays_ms: vec![5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000],
            request_timeout_ms: 10_000,
            // A delivery cut short by a crash is retried within 15 s.
            lease_ms: 15_000,
            poll_interval_ms: 1_000,
            max_in_flight: 64,
            per_merchant: 4,
        }
    }
}

impl Config {
    /// Defaults overlaid with the TOML file at `path`, if given.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config: Config = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        config.check()?;
        Ok(config)
    }

    /// Rejects settings that cannot work together.
    pub fn check(&self) -> anyhow::Result<()> {
        let callbacks = &self.callbacks;
        anyhow::ensure!(
            callbacks.lease_ms > callbacks.request_timeout_ms,
            "callbacks.lease_ms must exceed callbacks.request_timeout_ms, or a slow merchant gets a notification twice"
        );
        anyhow::ensure!(self.max_body_bytes > 0, "max_body_bytes must be positive");
        anyhow::ensure!(
            self.operator.token.as_ref().is_none_or(|t| t.len() >= 32 && t.bytes().all(|b| b.is_ascii_graphic())),
            "operator.token must be at least 32 printable characters"
        );
        anyhow::ensure!(
            callbacks.max_in_flight > 0 && callbacks.per_merchant > 0,
            "callbacks.max_in_flight and callbacks.per_merchant must be positive"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_overrides_defaults_and_rejects_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lunas.toml");
        std::fs::write(&path, "mode = \"production\"\n[callbacks]\nretry_delays_ms = [10, 20]\n").unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.mode, Mode::Production);
        assert_eq!(config.callbacks.retry_delays_ms, vec![10, 20]);
        assert_eq!(config.callbacks.request_timeout_ms, 10_000);
        std::fs::write(&path, "lisen = \"0.0.0.0:1\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
        std::fs::write(&path, "[callbacks]\nlease_ms = 5000\nrequest_timeout_ms = 10000\n").unwrap();
        assert!(Config::load(Some(&path)).is_err());
        std::fs::write(&path, "[operator]\ntoken = \"short\"\n").unwrap();
        assert!(Config::load(Some(&path)).is_err(), "a guessable operator token is refused");
        std::fs::write(&path, format!("[operator]\ntoken = \"{}\"\n", "k".repeat(32))).unwrap();
        assert_eq!(Config::load(Some(&path)).unwrap().operator.token, Some("k".repeat(32)));
    }
}
