//! [`Sql`] over rusqlite.

use std::collections::HashMap;

use rusqlite::{Connection, ErrorCode};

use crate::store::sql::{Dialect, Param, Row, Sql, SqlError};

/// [`Sql`] over a rusqlite connection, with the column names of each statement it
/// ran (rusqlite would scan them through the C API for every column read).
pub struct SqliteSql {
    pub conn: Connection,
    columns: HashMap<&'static str, Vec<String>>,
}

impl SqliteSql {
    pub fn new(conn: Connection) -> Self {
        Self { conn, columns: HashMap::new() }
    }
}

fn bind(stmt: &mut rusqlite::Statement<'_>, params: &[Param<'_>]) -> rusqlite::Result<()> {
    debug_assert_eq!(stmt.parameter_count(), params.len(), "{:?}", stmt.expanded_sql());
    for (i, param) in params.iter().enumerate() {
        let index = i + 1;
        // `$N` parameters are numbered by first appearance; the SQL keeps them ascending.
        debug_assert_eq!(stmt.parameter_name(index), Some(format!("${index}").as_str()));
        match param {
            Param::Int(value) => stmt.raw_bind_parameter(index, value)?,
            Param::Text(value) => stmt.raw_bind_parameter(index, value)?,
            Param::Null => stmt.raw_bind_parameter(index, rusqlite::types::Null)?,
        }
    }
    Ok(())
}

impl From<rusqlite::Error> for SqlError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(failure, message) = &e {
            match failure.code {
                ErrorCode::ConstraintViolation
                    if matches!(
                        failure.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    ) =>
                {
                    // "UNIQUE constraint failed: request_ids.merchant_id, …"
                    let table = message
                        .as_deref()
                        .and_then(|m| m.split_once(": "))
                        .and_then(|(_, columns)| columns.split('.').next())
                        .unwrap_or("")
                        .to_string();
                    return SqlError::Unique { table };
                }
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => return SqlError::Transient(e.to_string()),
                _ => {}
            }
        }
        SqlError::Other(e.into())
    }
}

impl Sql for SqliteSql {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<u64, SqlError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        bind(&mut stmt, params)?;
        Ok(stmt.raw_execute()? as u64)
    }

    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        bind(&mut stmt, params)?;
        let columns = self.columns.entry(sql).or_insert_with(|| stmt.column_names().map(str::to_string).collect());
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            each(&SqliteRow { row, columns })?;
        }
        Ok(())
    }

    fn batch(&mut self, sql: &str) -> Result<(), SqlError> {
        Ok(self.conn.execute_batch(sql)?)
    }
}

struct SqliteRow<'r, 's> {
    row: &'r rusqlite::Row<'s>,
    columns: &'r [String],
}

impl SqliteRow<'_, '_> {
    fn get<T: rusqlite::types::FromSql>(&self, column: &str) -> Result<T, SqlError> {
        let index = self
            .columns
            .iter()
            .position(|c| *c == column)
            .ok_or_else(|| SqlError::Decode(format!("no column {column}")))?;
        self.row.get(index).map_err(|e| SqlError::Decode(format!("{column}: {e}")))
    }
}

impl Row for SqliteRow<'_, '_> {
    fn opt_int(&self, column: &str) -> Result<Option<i64>, SqlError> {
        self.get(column)
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, SqlError> {
        self.get(column)
    }
}
