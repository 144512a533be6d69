//! [`Conn`]: the store's primitives over any [`Sql`] connection, written once for both
//! backends. The methods live in one file per aggregate: `payments.rs`,
//! `merchants.rs`, `outbox.rs`.

use super::sql::{Dialect, Sql, SqlError};
use super::{Loaded, Need, StoreError, StoreResult};
use crate::domain::DomainError;

pub struct Conn<'a> {
    pub(super) sql: &'a mut dyn Sql,
    /// Lock the rows a command loads (PostgreSQL, after optimistic attempts lost
    /// races): commands on one payment then queue instead of racing.
    pub(super) lock: bool,
}

impl<'a> Conn<'a> {
    pub(super) fn new(sql: &'a mut dyn Sql, lock: bool) -> Self {
        Self { sql, lock }
    }

    pub(super) fn dialect(&self) -> Dialect {
        self.sql.dialect()
    }

    /// The read-only view a command decides from.
    pub fn loader(&mut self) -> Loader<'_, 'a> {
        Loader(self)
    }
}

/// What a command may do before it decides: read. Writing is the store's job, after.
pub struct Loader<'c, 'a>(&'c mut Conn<'a>);

impl Loader<'_, '_> {
    pub fn load(&mut self, need: &Need<'_>) -> StoreResult<Loaded> {
        self.0.load(need)
    }
}

impl From<SqlError> for StoreError {
    fn from(e: SqlError) -> Self {
        match e {
            // A request id is unique per merchant and day: whoever recorded it first won.
            SqlError::Unique { table } if table == "request_ids" => DomainError::RequestIdReused.into(),
            // Someone else wrote first; the command runs again and sees what they wrote.
            SqlError::Unique { .. } | SqlError::Transient(_) => StoreError::Conflict,
            SqlError::Decode(reason) => StoreError::Internal(anyhow::anyhow!("undecodable row: {reason}")),
            SqlError::Other(e) => StoreError::Internal(e),
        }
    }
}
