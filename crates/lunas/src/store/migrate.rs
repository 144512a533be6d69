//! Schema migrations, embedded in the binary, one SQL file per backend and version.
//! All pending ones run in one transaction, under a lock, so instances starting
//! together migrate once. Databases made by lunas 0.1 (whose migrations sqlx
//! recorded in `_sqlx_migrations`) are recognised and upgraded.

use anyhow::Context;

use super::sql::{Dialect, Sql, params};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

/// `migration!(version, "file stem", "name")`, from `migrations/{sqlite,postgres}/`.
macro_rules! migration {
    ($version:literal, $file:literal, $name:literal) => {
        Migration {
            version: $version,
            name: $name,
            sqlite: include_str!(concat!("../../migrations/sqlite/", $file, ".sql")),
            postgres: include_str!(concat!("../../migrations/postgres/", $file, ".sql")),
        }
    };
}

const MIGRATIONS: [Migration; 6] = [
    migration!(1, "0001_initial", "initial"),
    migration!(2, "0002_history_and_parking", "history and parking"),
    migration!(3, "0003_delivery_attempts", "delivery attempts"),
    migration!(4, "0004_pending_expiry", "pending expiry"),
    migration!(5, "0005_payments_by_merchant", "payments by merchant"),
    migration!(6, "0006_payments_by_merchant_reference", "payments by merchant reference"),
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS lunas_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
const SQLITE_HAS_TABLE: &str = "SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = $1";
const POSTGRES_HAS_TABLE: &str =
    "SELECT 1 AS found FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1";
const ADOPT_SQLX: &str = "INSERT INTO lunas_migrations (version, name, applied_at)
     SELECT version, description, 0 FROM _sqlx_migrations WHERE success ON CONFLICT DO NOTHING";
const APPLIED: &str = "SELECT version FROM lunas_migrations";
const RECORD: &str = "INSERT INTO lunas_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

/// An arbitrary constant that names lunas's migration lock on PostgreSQL.
const POSTGRES_LOCK: &str = "SELECT pg_advisory_xact_lock(7417110253)";

/// Applies every pending migration; returns how many ran.
pub fn run(sql: &mut dyn Sql, now: i64) -> anyhow::Result<usize> {
    let dialect = sql.dialect();
    match dialect {
        // IMMEDIATE takes the write lock first, so two processes migrate in turn.
        Dialect::Sqlite => sql.batch("BEGIN IMMEDIATE")?,
        Dialect::Postgres => sql.batch(&format!("BEGIN; {POSTGRES_LOCK}"))?,
    }
    match migrate(sql, dialect, now) {
        Ok(count) => {
            sql.batch("COMMIT")?;
            Ok(count)
        }
        Err(e) => {
            let _ = sql.batch("ROLLBACK");
            Err(e)
        }
    }
}

fn migrate(sql: &mut dyn Sql, dialect: Dialect, now: i64) -> anyhow::Result<usize> {
    sql.batch(CREATE_LEDGER)?;
    let has_table = match dialect {
        Dialect::Sqlite => SQLITE_HAS_TABLE,
        Dialect::Postgres => POSTGRES_HAS_TABLE,
    };
    if sql.query_opt(has_table, &params!["_sqlx_migrations"], |_| Ok(()))?.is_some() {
        sql.execute(ADOPT_SQLX, &[])?;
    }
    let applied = sql.query_all(APPLIED, &[], |row| row.int("version"))?;
    let mut count = 0;
    for m in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        let script = match dialect {
            Dialect::Sqlite => m.sqlite,
            Dialect::Postgres => m.postgres,
        };
        sql.batch(script).with_context(|| format!("migration {:04} {}", m.version, m.name))?;
        sql.execute(RECORD, &params![m.version, m.name, now])?;
        count += 1;
    }
    Ok(count)
}
