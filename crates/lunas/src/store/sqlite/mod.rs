//! The embedded backend: SQLite in WAL mode.
//!
//! - One writer thread owns the only write connection. It takes every job waiting
//!   in its queue, runs them one after another inside one transaction (each
//!   command's writes in their own savepoint, so a failing one rolls back alone) and
//!   commits once.
//! - The syncer thread (`sync.rs`) flushes the WAL after each commit, one fsync for
//!   the whole batch, and only then answers the batch's callers. The writer goes on
//!   with the next batch meanwhile.
//! - Reader threads, each with a read-only connection, take read jobs the same way,
//!   inside one read transaction per batch, and are answered by the syncer too.
//! - A checkpointer thread copies the WAL back into the database file in the
//!   background, so no commit waits for a checkpoint.
//!
//! Statements are prepared once per connection and cached.

mod adapter;
mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rusqlite::{Connection, OpenFlags};

use self::adapter::SqliteSql;
use self::sync::{Finished, Syncer};
use super::conn::Conn;
use super::{Job, StoreError, StoreResult, migrate, stale};
use crate::config::DatabaseConfig;

/// Most jobs one commit covers; more would only delay the first caller's answer.
const MAX_BATCH: usize = 256;
const READERS: usize = 2;
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);
/// How often a command that lost a race runs again: only a bug or a foreign writer
/// makes SQLite commands conflict, since the writer thread holds the write lock.
const ATTEMPTS: usize = 3;

pub struct Engine {
    writer: Sender<Box<dyn Job>>,
    readers: Sender<Box<dyn Job>>,
    stats: Arc<Stats>,
    /// Dropping it stops the checkpointer.
    _checkpointer: Sender<()>,
}

/// What the writer has done so far.
#[derive(Debug, Default)]
pub struct Stats {
    /// Transactions committed.
    pub commits: AtomicU64,
    /// Jobs answered from those commits.
    pub jobs: AtomicU64,
}

impl Engine {
    /// Opens (creating if needed) and migrates the database `url` names
    /// (`sqlite:PATH`), and starts the threads.
    pub fn open(url: &str, settings: &DatabaseConfig, now: i64) -> anyhow::Result<Engine> {
        let path = path_of(url)?;
        let patience = Duration::from_millis(settings.acquire_timeout_ms);
        let writer = connect(&path, Role::Writer)?;
        let mut writer = SqliteSql::new(writer);
        migrate::run(&mut writer, now).context("migrating the database")?;
        let syncer = Arc::new(Syncer::start(&path).context("opening the write-ahead log")?);
        let (write_jobs, write_queue) = crossbeam_channel::unbounded();
        let (read_jobs, read_queue) = crossbeam_channel::unbounded();
        let stats = Arc::new(Stats::default());
        let (counted, durable) = (Arc::clone(&stats), Arc::clone(&syncer));
        spawn("lunas-sqlite-writer", move || write_loop(&mut writer, &write_queue, patience, &durable, &counted));
        for _ in 0..READERS {
            let mut reader = SqliteSql::new(connect(&path, Role::Reader)?);
            let (queue, durable) = (read_queue.clone(), Arc::clone(&syncer));
            spawn("lunas-sqlite-reader", move || read_loop(&mut reader, &queue, patience, &durable));
        }
        let (stop, stopped) = crossbeam_channel::bounded(0);
        let checkpointer = connect(&path, Role::Checkpointer)?;
        spawn("lunas-sqlite-checkpoint", move || checkpoint_loop(&checkpointer, &stopped));
        Ok(Engine { writer: write_jobs, readers: read_jobs, stats, _checkpointer: stop })
    }

    pub fn write(&self, job: Box<dyn Job>) {
        send(&self.writer, job);
    }

    pub fn read(&self, job: Box<dyn Job>) {
        send(&self.readers, job);
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }
}

fn send(queue: &Sender<Box<dyn Job>>, job: Box<dyn Job>) {
    if let Err(returned) = queue.send(job) {
        returned.into_inner().finish(Err(StoreError::Internal(anyhow::anyhow!("the SQLite threads have stopped"))));
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new().name(name.to_string()).spawn(body).expect("a thread can be started");
}

/// `sqlite:PATH`, `sqlite://PATH`, with any `?options` ignored.
fn path_of(url: &str) -> anyhow::Result<PathBuf> {
    let rest = url.strip_prefix("sqlite:").context("not a sqlite: URL")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    anyhow::ensure!(!path.is_empty() && !path.starts_with(":memory:"), "sqlite needs a file path, got {url:?}");
    Ok(PathBuf::from(path))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Writer,
    Reader,
    Checkpointer,
}

fn connect(path: &Path, role: Role) -> anyhow::Result<Connection> {
    let flags = match role {
        Role::Writer => OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE,
        Role::Reader | Role::Checkpointer => OpenFlags::SQLITE_OPEN_READ_WRITE,
    } | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).with_context(|| format!("cannot open {}", path.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(64);
    // NORMAL: a commit does not wait for the disk, the syncer does before anyone is
    // told; checkpoints still flush the WAL before copying it and the database after.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
    )?;
    match role {
        // No journal_size_limit: truncating a large WAL when it restarts froze the
        // writer and the syncer for ~100 ms (ext4 freeing and discarding blocks); the
        // file keeps its size and is reused, and SQLite deletes it on a clean close.
        Role::Writer => conn.execute_batch("PRAGMA cache_size = -16384; PRAGMA wal_autocheckpoint = 0;")?,
        Role::Reader => conn.execute_batch("PRAGMA cache_size = -8192; PRAGMA query_only = ON;")?,
        Role::Checkpointer => {}
    }
    Ok(conn)
}

/// The jobs waiting now, up to a batch; those that waited too long are refused.
fn next_batch(queue: &Receiver<Box<dyn Job>>, patience: Duration) -> Option<Vec<Box<dyn Job>>> {
    let first = queue.recv().ok()?;
    let mut batch = Vec::with_capacity(queue.len().min(MAX_BATCH) + 1);
    for job in std::iter::once(first).chain(queue.try_iter().take(MAX_BATCH - 1)) {
        match stale(job.as_ref(), patience) {
            Some(refusal) => job.finish(Err(refusal)),
            None => batch.push(job),
        }
    }
    Some(batch)
}

fn write_loop(sql: &mut SqliteSql, queue: &Receiver<Box<dyn Job>>, patience: Duration, syncer: &Syncer, stats: &Stats) {
    while let Some(batch) = next_batch(queue, patience) {
        if !batch.is_empty() {
            commit_batch(sql, batch, syncer, stats);
        }
    }
}

/// Runs a batch in one transaction; its jobs are answered once the commit is on disk.
fn commit_batch(sql: &mut SqliteSql, batch: Vec<Box<dyn Job>>, syncer: &Syncer, stats: &Stats) {
    let conn = &sql.conn;
    let started = std::time::Instant::now();
    let mut done: Vec<Finished> = Vec::with_capacity(batch.len());
    let mut began = conn.execute_batch("BEGIN IMMEDIATE").map_err(internal);
    for mut job in batch {
        if let Err(e) = &began {
            job.finish(Err(StoreError::Internal(anyhow::anyhow!("cannot begin a write transaction: {e}"))));
            continue;
        }
        let outcome = run_job(sql, job.as_mut());
        let conn = &sql.conn;
        if conn.is_autocommit() {
            // A fatal error ended the transaction: nothing of this batch is on disk.
            for (earlier, _) in done.drain(..) {
                earlier.finish(Err(rolled_back()));
            }
            job.finish(outcome.and(Err(rolled_back())));
            began = conn.execute_batch("BEGIN IMMEDIATE").map_err(internal);
            continue;
        }
        done.push((job, outcome));
    }
    if began.is_err() {
        return;
    }
    let conn = &sql.conn;
    let committed = conn.execute_batch("COMMIT").map_err(internal);
    if committed.is_err() && !conn.is_autocommit() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    match committed {
        Ok(()) => {
            stats.commits.fetch_add(1, Ordering::Relaxed);
            stats.jobs.fetch_add(done.len() as u64, Ordering::Relaxed);
            // The batch's work and commit; its flush is the syncer's.
            metrics::histogram!("lunas_commit_batch_size").record(done.len() as f64);
            metrics::histogram!("lunas_commit_duration_seconds").record(started.elapsed().as_secs_f64());
            syncer.answer_when_durable(done);
        }
        Err(e) => {
            for (job, _) in done {
                job.finish(Err(StoreError::Internal(anyhow::anyhow!("the commit failed: {e}"))));
            }
        }
    }
}

fn run_job(sql: &mut SqliteSql, job: &mut dyn Job) -> StoreResult<()> {
    for _ in 0..ATTEMPTS {
        match job.run(&mut Conn::new(sql, false)) {
            Err(StoreError::Conflict) => continue,
            other => return other,
        }
    }
    Err(StoreError::Internal(anyhow::anyhow!("a command conflicted {ATTEMPTS} times on SQLite")))
}

fn rolled_back() -> StoreError {
    StoreError::Internal(anyhow::anyhow!("the batch's transaction was rolled back"))
}

fn internal(e: rusqlite::Error) -> anyhow::Error {
    anyhow::Error::new(e)
}

fn read_loop(sql: &mut SqliteSql, queue: &Receiver<Box<dyn Job>>, patience: Duration, syncer: &Syncer) {
    while let Some(batch) = next_batch(queue, patience) {
        // One snapshot for the batch: every job sees at least what was committed
        // before it was queued.
        let began = sql.conn.execute_batch("BEGIN");
        let mut done: Vec<Finished> = Vec::with_capacity(batch.len());
        for mut job in batch {
            let outcome = match &began {
                Ok(()) => job.run(&mut Conn::new(sql, false)),
                Err(e) => Err(StoreError::Internal(anyhow::anyhow!("cannot begin a read: {e}"))),
            };
            done.push((job, outcome));
        }
        if !sql.conn.is_autocommit() {
            let _ = sql.conn.execute_batch("COMMIT");
        }
        // What was read may be committed but not yet on disk.
        syncer.answer_when_durable(done);
    }
}

fn checkpoint_loop(conn: &Connection, stop: &Receiver<()>) {
    while let Err(RecvTimeoutError::Timeout) = stop.recv_timeout(CHECKPOINT_EVERY) {
        // PASSIVE never blocks the writer or readers; what it cannot copy now, it
        // copies next time.
        if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; will try again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_files() {
        assert_eq!(path_of("sqlite:lunas.db").unwrap(), PathBuf::from("lunas.db"));
        assert_eq!(path_of("sqlite:///var/lib/lunas.db?mode=rwc").unwrap(), PathBuf::from("/var/lib/lunas.db"));
        assert!(path_of("sqlite::memory:").is_err());
        assert!(path_of("postgres://x").is_err());
    }
}
