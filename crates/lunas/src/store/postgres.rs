//! The scale-out backend: PostgreSQL, shared by any number of lunas instances.
//!
//! A fixed set of connection threads takes jobs from one queue. A command first runs
//! optimistically: it loads without locks and writes in one statement that checks
//! the version it loaded (two round trips, no transaction). If another instance
//! changed the payment in between, nothing was written and it runs again; after a
//! few lost races it takes the row lock (`FOR UPDATE`) inside a transaction, so
//! commands on a busy payment queue instead of racing.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::Arc;

use anyhow::Context;
use crossbeam_channel::{Receiver, Sender};
use postgres::error::SqlState;
use postgres::types::{IsNull, ToSql, Type, to_sql_checked};
use postgres::{Client, Statement};

use super::conn::Conn;
use super::sql::{Dialect, Param, Row, Sql, SqlError};
use super::{Job, StoreError, StoreResult, migrate, stale};
use crate::config::DatabaseConfig;

/// Optimistic attempts before a command locks its row.
const OPTIMISTIC_ATTEMPTS: usize = 3;
/// Attempts with the row lock; only creates (unique indexes) can still race.
const LOCKED_ATTEMPTS: usize = 5;

/// How a job runs on its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Reads that need no common snapshot.
    Read,
    /// Reads that must see one moment.
    Snapshot,
    /// A command or another write.
    Write,
}

pub struct Engine {
    jobs: Sender<(Mode, Box<dyn Job>)>,
}

impl Engine {
    /// Connects, migrates, and starts `max_connections` connection threads.
    pub fn open(url: &str, settings: &DatabaseConfig, now: i64) -> anyhow::Result<Engine> {
        let connector = Arc::new(Connector::new(url)?);
        let mut first = connector.connect().context("cannot connect to PostgreSQL")?;
        let mut statements = HashMap::new();
        migrate::run(&mut PgSql { client: &mut first, statements: &mut statements }, now)
            .context("migrating the database")?;
        let (jobs, queue) = crossbeam_channel::unbounded();
        let patience = std::time::Duration::from_millis(settings.acquire_timeout_ms);
        let mut spare = Some(first);
        for _ in 0..settings.max_connections.max(1) {
            let (connector, queue, client) = (Arc::clone(&connector), queue.clone(), spare.take());
            std::thread::Builder::new()
                .name("lunas-postgres".into())
                .spawn(move || connection_loop(&connector, client, &queue, patience))
                .context("cannot start a connection thread")?;
        }
        Ok(Engine { jobs })
    }

    pub fn submit(&self, mode: Mode, job: Box<dyn Job>) {
        if let Err(returned) = self.jobs.send((mode, job)) {
            returned.into_inner().1.finish(Err(StoreError::Internal(anyhow::anyhow!("the store has stopped"))));
        }
    }
}

fn connection_loop(
    connector: &Connector,
    mut client: Option<Client>,
    queue: &Receiver<(Mode, Box<dyn Job>)>,
    patience: std::time::Duration,
) {
    let mut statements = HashMap::new();
    while let Ok((mode, mut job)) = queue.recv() {
        if let Some(refusal) = stale(job.as_ref(), patience) {
            job.finish(Err(refusal));
            continue;
        }
        if client.as_ref().is_none_or(Client::is_closed) {
            statements.clear();
            client = match connector.connect() {
                Ok(fresh) => Some(fresh),
                Err(e) => {
                    job.finish(Err(StoreError::Internal(e.context("cannot connect to PostgreSQL"))));
                    continue;
                }
            };
        }
        let client = client.as_mut().expect("connected above");
        let mut sql = PgSql { client, statements: &mut statements };
        let outcome = match mode {
            Mode::Read => job.run(&mut Conn::new(&mut sql, false)),
            Mode::Snapshot => in_transaction(&mut sql, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", |sql| {
                job.run(&mut Conn::new(sql, false))
            }),
            Mode::Write => write(&mut sql, job.as_mut()),
        };
        job.finish(outcome);
    }
}

/// Runs a write optimistically, then with row locks, until it does not lose a race.
fn write(sql: &mut PgSql<'_>, job: &mut dyn Job) -> StoreResult<()> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        match job.run(&mut Conn::new(sql, false)) {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    for _ in 0..LOCKED_ATTEMPTS {
        match in_transaction(sql, "BEGIN", |sql| job.run(&mut Conn::new(sql, true))) {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Internal(anyhow::anyhow!(
        "a command lost {} races in a row",
        OPTIMISTIC_ATTEMPTS + LOCKED_ATTEMPTS
    )))
}

fn in_transaction(
    sql: &mut PgSql<'_>,
    begin: &str,
    body: impl FnOnce(&mut PgSql<'_>) -> StoreResult<()>,
) -> StoreResult<()> {
    sql.batch(begin)?;
    let outcome = body(sql);
    let end = if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" };
    match (outcome, sql.batch(end)) {
        (Ok(()), Err(e)) => Err(e.into()),
        (outcome, _) => outcome,
    }
}

/// [`Sql`] over a `postgres` client, with its prepared statements.
struct PgSql<'c> {
    client: &'c mut Client,
    statements: &'c mut HashMap<&'static str, Statement>,
}

impl PgSql<'_> {
    fn prepared(&mut self, sql: &'static str) -> Result<Statement, SqlError> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(sql)?;
        self.statements.insert(sql, statement.clone());
        Ok(statement)
    }
}

fn refs<'p>(params: &'p [Param<'p>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params.iter().map(|p| p as &(dyn ToSql + Sync)).collect()
}

impl Sql for PgSql<'_> {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn execute(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<u64, SqlError> {
        let statement = self.prepared(sql)?;
        Ok(self.client.execute(&statement, &refs(params))?)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let statement = self.prepared(sql)?;
        for row in self.client.query(&statement, &refs(params))? {
            each(&row)?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), SqlError> {
        Ok(self.client.batch_execute(sql)?)
    }
}

impl From<postgres::Error> for SqlError {
    fn from(e: postgres::Error) -> Self {
        match e.as_db_error() {
            Some(db) if *db.code() == SqlState::UNIQUE_VIOLATION => {
                SqlError::Unique { table: db.table().unwrap_or("").to_string() }
            }
            Some(db) if matches!(*db.code(), SqlState::T_R_DEADLOCK_DETECTED | SqlState::T_R_SERIALIZATION_FAILURE) => {
                SqlError::Transient(db.message().to_string())
            }
            _ => SqlError::Other(e.into()),
        }
    }
}

impl ToSql for Param<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match *self {
            Param::Int(value) if *ty == Type::INT4 => i32::try_from(value)?.to_sql(ty, out),
            Param::Int(value) => value.to_sql(ty, out),
            Param::Text(value) => value.to_sql(ty, out),
            Param::Null => Ok(IsNull::Yes),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT8 | Type::INT4 | Type::TEXT | Type::VARCHAR | Type::NAME | Type::BPCHAR)
    }

    to_sql_checked!();
}

impl Row for postgres::Row {
    fn opt_int(&self, column: &str) -> Result<Option<i64>, SqlError> {
        let decode = |e: postgres::Error| SqlError::Decode(format!("{column}: {e}"));
        let ty = self
            .columns()
            .iter()
            .find(|c| c.name() == column)
            .map(|c| c.type_().clone())
            .ok_or_else(|| SqlError::Decode(format!("no column {column}")))?;
        match ty {
            Type::INT4 => Ok(self.try_get::<_, Option<i32>>(column).map_err(decode)?.map(i64::from)),
            _ => self.try_get(column).map_err(decode),
        }
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, SqlError> {
        self.try_get(column).map_err(|e| SqlError::Decode(format!("{column}: {e}")))
    }
}

/// Connection settings from the URL, with TLS as its `sslmode` asks: `disable`;
/// `prefer` and `require` encrypt without checking the server (as libpq does);
/// `verify-ca` and `verify-full` check it against `sslrootcert`.
struct Connector {
    config: postgres::Config,
    tls: Option<tokio_postgres_rustls::MakeRustlsConnect>,
}

impl Connector {
    fn new(url: &str) -> anyhow::Result<Self> {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let mut kept = Vec::new();
        let (mut mode, mut root_cert) = ("prefer".to_string(), None);
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("sslmode", value)) => mode = value.to_string(),
                Some(("sslrootcert", value)) => root_cert = Some(value.to_string()),
                _ => kept.push(pair),
            }
        }
        let url = if kept.is_empty() { base.to_string() } else { format!("{base}?{}", kept.join("&")) };
        let mut config = postgres::Config::from_str(&url).context("invalid PostgreSQL URL")?;
        let tls = match mode.as_str() {
            "disable" => None,
            "prefer" | "require" => Some(tls::encrypt_only()),
            "verify-ca" | "verify-full" => {
                let path = root_cert.context("sslmode=verify-ca and verify-full need sslrootcert=FILE")?;
                Some(tls::verified(&path, mode == "verify-full")?)
            }
            other => anyhow::bail!("unsupported sslmode {other:?}"),
        };
        config.ssl_mode(match mode.as_str() {
            "disable" => postgres::config::SslMode::Disable,
            "prefer" => postgres::config::SslMode::Prefer,
            _ => postgres::config::SslMode::Require,
        });
        Ok(Self { config, tls })
    }

    fn connect(&self) -> anyhow::Result<Client> {
        Ok(match &self.tls {
            Some(tls) => self.config.connect(tls.clone())?,
            None => self.config.connect(postgres::NoTls)?,
        })
    }
}

mod tls {
    //! rustls set-ups for the `sslmode`s.

    use std::sync::Arc;

    use anyhow::Context;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
    use tokio_postgres_rustls::MakeRustlsConnect;

    fn provider() -> Arc<CryptoProvider> {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }

    /// Encrypts, but accepts any certificate: what `require` means to libpq.
    pub fn encrypt_only() -> MakeRustlsConnect {
        let config = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the default protocol versions are supported")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth();
        MakeRustlsConnect::new(config)
    }

    /// Checks the server's chain against the CA certificates in `root_cert`, and its
    /// name too when `check_name`.
    pub fn verified(root_cert: &str, check_name: bool) -> anyhow::Result<MakeRustlsConnect> {
        let mut roots = RootCertStore::empty();
        for cert in CertificateDer::pem_file_iter(root_cert).with_context(|| format!("reading {root_cert}"))? {
            roots.add(cert.with_context(|| format!("reading {root_cert}"))?)?;
        }
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .expect("the default protocol versions are supported");
        let config = if check_name {
            builder.with_root_certificates(roots).with_no_client_auth()
        } else {
            let inner = rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .context("building the certificate verifier")?;
            builder.dangerous().with_custom_certificate_verifier(Arc::new(AnyName(inner))).with_no_client_auth()
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// `require`: the channel is encrypted and the handshake signed, whoever signs it.
    #[derive(Debug)]
    struct AnyCertificate(Arc<CryptoProvider>);

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _: &CertificateDer<'_>,
            _: &[CertificateDer<'_>],
            _: &ServerName<'_>,
            _: &[u8],
            _: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.signature_verification_algorithms.supported_schemes()
        }
    }

    /// `verify-ca`: the chain must lead to a trusted CA; the name is not checked.
    #[derive(Debug)]
    struct AnyName(Arc<rustls::client::WebPkiServerVerifier>);

    impl ServerCertVerifier for AnyName {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            server_name: &ServerName<'_>,
            ocsp: &[u8],
            now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
                Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForName))
                | Err(rustls::Error::InvalidCertificate(rustls::CertificateError::NotValidForNameContext { .. })) => {
                    Ok(ServerCertVerified::assertion())
                }
                other => other,
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls12_signature(message, cert, dss)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            self.0.verify_tls13_signature(message, cert, dss)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_verify_schemes()
        }
    }
}
