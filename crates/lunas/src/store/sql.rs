//! The little each database driver must offer so that every store primitive is
//! written once: run a prepared statement, read rows by column name, and say which
//! failures mean "lost a race". SQL is written once too, with `$1, $2, …` placeholders
//! whose first appearances ascend (SQLite numbers `$N` parameters by first appearance,
//! PostgreSQL by N, so both read them alike).

/// The database behind a connection, for the few statements that differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn of(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else {
            None
        }
    }
}

/// A bound value. Every column lunas stores is an integer or text.
#[derive(Debug, Clone, Copy)]
pub enum Param<'a> {
    Int(i64),
    Text(&'a str),
    Null,
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Param::Int(value)
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Param::Text(value)
    }
}

impl<'a> From<&'a String> for Param<'a> {
    fn from(value: &'a String) -> Self {
        Param::Text(value)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Param::Null, Into::into)
    }
}

/// Binds a list of values: `params![a, &b, c.as_deref()]`.
macro_rules! params {
    ($($value:expr),* $(,)?) => { [$($crate::store::sql::Param::from($value)),*] };
}
pub(crate) use params;

/// Why a statement failed, as far as the store cares.
#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    /// A unique index of `table` refused the row: another writer got there first.
    #[error("unique index of {table} violated")]
    Unique { table: String },
    /// The database aborted the statement to break a deadlock or a serialization
    /// conflict; running it again may succeed.
    #[error("transient database failure: {0}")]
    Transient(String),
    #[error("a column is missing or has the wrong type: {0}")]
    Decode(String),
    #[error(transparent)]
    Other(anyhow::Error),
}

/// One result row, read by column name.
pub trait Row {
    fn opt_int(&self, column: &str) -> Result<Option<i64>, SqlError>;
    fn opt_text(&self, column: &str) -> Result<Option<String>, SqlError>;

    fn int(&self, column: &str) -> Result<i64, SqlError> {
        self.opt_int(column)?.ok_or_else(|| SqlError::Decode(format!("{column} is NULL")))
    }

    fn text(&self, column: &str) -> Result<String, SqlError> {
        self.opt_text(column)?.ok_or_else(|| SqlError::Decode(format!("{column} is NULL")))
    }
}

/// A connection (or an open transaction on one). Statements are `'static` so drivers
/// can cache their prepared forms by the text.
pub trait Sql {
    fn dialect(&self) -> Dialect;

    /// Runs a statement and returns how many rows it changed.
    fn execute(&mut self, sql: &'static str, params: &[Param<'_>]) -> Result<u64, SqlError>;

    /// Runs a statement and hands each row to `each`.
    fn query(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        each: &mut dyn FnMut(&dyn Row) -> Result<(), SqlError>,
    ) -> Result<(), SqlError>;

    /// Runs statements without parameters or results (transaction control, schema).
    fn batch(&mut self, sql: &str) -> Result<(), SqlError>;
}

impl dyn Sql + '_ {
    /// The first row, decoded by `decode`.
    pub fn query_opt<T>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        decode: impl Fn(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<Option<T>, SqlError> {
        let mut first = None;
        self.query(sql, params, &mut |row| {
            if first.is_none() {
                first = Some(decode(row)?);
            }
            Ok(())
        })?;
        Ok(first)
    }

    /// Every row, decoded by `decode`.
    pub fn query_all<T>(
        &mut self,
        sql: &'static str,
        params: &[Param<'_>],
        decode: impl Fn(&dyn Row) -> Result<T, SqlError>,
    ) -> Result<Vec<T>, SqlError> {
        let mut all = Vec::new();
        self.query(sql, params, &mut |row| {
            all.push(decode(row)?);
            Ok(())
        })?;
        Ok(all)
    }
}
